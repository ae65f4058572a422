"""Token-cloud geometry (Geometry of Tokens) and the token-cloud store."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from embgeo.errors import EmbgeoError
from embgeo.extract.store import TokenClouds, load_tokens, write_tokens
from embgeo.layers import block_shuffle, layer_suite, pairwise_cosine, token_geometry
from embgeo.layers.tokens import cloud_dimensions, overlap_curve


def test_block_shuffle():
    assert block_shuffle(10, 0, seed=3).tolist() == list(range(10))  # 4^0 = 1 block
    for s, n in [(1, 16), (2, 40), (5, 30)]:
        p = block_shuffle(n, s, seed=7)
        assert sorted(p.tolist()) == list(range(n))
        blocks = np.array_split(np.arange(n), min(4**s, n))
        starts = {int(b[0]): b.tolist() for b in blocks}
        # the permutation is a concatenation of the original contiguous blocks
        i, seen = 0, []
        while i < n:
            b = starts[int(p[i])]
            assert p[i:i + len(b)].tolist() == b
            seen.append(b[0])
            i += len(b)
        assert len(seen) == len(blocks)
    assert not np.array_equal(block_shuffle(64, 3, seed=1), np.arange(64))
    with pytest.raises(EmbgeoError):
        block_shuffle(5, -1)


def test_pairwise_cosine_equals_loop():
    X = np.random.default_rng(1).normal(size=(9, 5))
    vals = []
    for s in range(9):
        for t in range(s + 1, 9):
            vals.append(float(X[s] @ X[t] / (np.linalg.norm(X[s]) * np.linalg.norm(X[t]))))
    m, sd = pairwise_cosine(X)
    assert abs(m - np.mean(vals)) < 1e-12 and abs(sd - np.std(vals)) < 1e-12


def test_overlap_curve_identical_and_disjoint():
    a = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
    assert np.allclose(overlap_curve(a, a), 1.0)
    b = a[:, ::-1]  # same sets at k = 3, reversed order
    assert overlap_curve(a, b).tolist() == pytest.approx([0.0, 0.5, 1.0])  # k=2: {1,2} vs {3,2}


def test_planted_dimension_per_text():
    rng = np.random.default_rng(2)
    plane = rng.normal(size=(2, 30))
    X = rng.uniform(size=(600, 2)) @ plane  # a 2-D plane in 30-D
    X = np.vstack([X, X[:20]])  # 20 duplicate tokens are dropped
    d = cloud_dimensions(X, gride_max=32)
    assert d["n_distinct"] == 600
    assert abs(d["twonn"] - 2) < 0.3 and abs(d["gride"] - 2) < 0.3
    assert max(d["gride_curve"]) == 32  # scales n2 = 2 … 32
    assert math.isnan(cloud_dimensions(X[:3])["gride"])  # too few tokens


def _clouds(rng, n=6, L=3, d=8):
    return TokenClouds.from_lists([rng.normal(size=(L, int(t), d)) for t in rng.integers(12, 30, size=n)],
                                  ids=[f"t{i}" for i in range(n)])


def test_token_geometry_aggregates_and_loss():
    rng = np.random.default_rng(3)
    tc = _clouds(rng)
    out = token_geometry(tc, gride_max=16, overlap_max_k=5)
    per = np.array([[cloud_dimensions(tc.cloud(l, i), gride_max=16)["gride"] for l in range(3)] for i in range(6)])
    assert np.allclose(out["gride"], per.mean(axis=0), atol=1e-12)
    assert np.allclose(out["gride_sd"], per.std(axis=0, ddof=1), atol=1e-12)
    assert out["overlap"].shape == (2, 5)
    # a per-text loss that is the layer-1 ID itself: Spearman 1 there
    out = token_geometry(tc, gride_max=16, overlap_max_k=5, loss=per[:, 1] * 2 + 1)
    assert out["loss_spearman"][1] == pytest.approx(1.0)
    # identical consecutive layers: overlap 1 at every k
    same = TokenClouds(np.repeat(tc.tokens[:1], 2, axis=0), tc.offsets, tc.ids, ("a", "b"))
    assert np.allclose(token_geometry(same, gride_max=8)["overlap"][0, :11], 1.0)


@pytest.mark.parametrize("suffix", [".h5", ".safetensors"])
def test_store_round_trip_and_take(tmp_path, suffix):
    tc = _clouds(np.random.default_rng(4))
    write_tokens(tmp_path / f"t{suffix}", tc)
    back = load_tokens(tmp_path / f"t{suffix}")
    assert np.array_equal(back.tokens, tc.tokens) and back.offsets.tolist() == tc.offsets.tolist()
    assert back.ids.tolist() == tc.ids.tolist() and back.layer_names == tc.layer_names
    sub = back.take([4, 1])
    assert sub.ids.tolist() == ["t4", "t1"] and np.array_equal(sub.cloud(2, 0), tc.cloud(2, 4))
    with pytest.raises(EmbgeoError, match="h5 or .safetensors"):
        write_tokens(tmp_path / "t.npy", tc)


def test_suite_from_tokens_matches_parts():
    from embgeo.layers import curvatures, dataset_entropy, prompt_entropies, reference_pool

    tc = _clouds(np.random.default_rng(5))
    res = layer_suite(tokens=tc, geometry=False, entropy_alpha=2.0, entropy_norm="logN")
    for l in range(3):
        cl = tc.layer(l)
        assert res.values["prompt_entropy"][l] == pytest.approx(np.mean(prompt_entropies(cl, alpha=2.0, norm="logN")), abs=1e-12)
        assert res.values["curvature"][l] == pytest.approx(np.mean(curvatures(cl)), abs=1e-12)
        assert res.values["dataset_entropy"][l] == pytest.approx(dataset_entropy(reference_pool(cl), alpha=2.0, norm="logN"), abs=1e-12)
    rows = res.metrics()
    assert {m.extra["layer"] for m in rows} == {"layer0", "layer1", "layer2"}
    assert all(m.metric.replace("_", "").isalnum() for m in rows)


def test_suite_views_and_groups_agree():
    rng = np.random.default_rng(6)
    base = rng.normal(size=(2, 20, 6))
    v2 = base + 0.2 * rng.normal(size=base.shape)
    by_views = layer_suite(base, views=[v2])
    # the same rows interleaved in one stack with a group column
    inter = np.stack([np.stack([base[l], v2[l]], axis=1).reshape(40, 6) for l in range(2)])
    by_group = layer_suite(inter, groups=np.repeat(np.arange(20), 2))
    for key in ("infonce", "infonce_mi", "lidar", "dime"):
        assert np.allclose(by_views.values[key], by_group.values[key], atol=1e-12)
    with pytest.raises(EmbgeoError, match="at least 2 rows"):
        layer_suite(inter, groups=np.arange(40))


def test_cli_layers_tokens_json_and_loss(tmp_path, run_cli):
    tc = _clouds(np.random.default_rng(7))
    write_tokens(tmp_path / "t.h5", tc)
    (tmp_path / "loss.csv").write_text("id,loss\n" + "".join(f"t{i},{v}\n" for i, v in enumerate([3, 1, 4, 1.5, 9, 2.6])))
    r = run_cli(["layers", "--tokens", tmp_path / "t.h5", "--gride-max", "16", "--loss", "loss", "--labels", tmp_path / "loss.csv",
                 "--entropy-norm", "raw", "-f", "json", "--plot", tmp_path / "p.png"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["command"] == "layers" and doc["settings"]["entropy_norm"] == "raw" and doc["verdict"]["status"] == "info"
    layer0 = doc["results"]["layers"][0]
    assert layer0["layer"] == "layer0" and {"prompt_entropy", "loss_spearman", "token_overlap", "token_gride_curve"} <= set(layer0)
    assert (tmp_path / "p.png").stat().st_size > 1000
    r = run_cli(["layers", "--tokens", tmp_path / "t.h5", "--loss", "loss"])
    assert r.code == 2 and "--labels" in r.stderr


def test_cli_id_tokens(tmp_path, run_cli):
    tc = _clouds(np.random.default_rng(8))
    write_tokens(tmp_path / "t.safetensors", tc)
    r = run_cli(["id", "--tokens", tmp_path / "t.safetensors", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["command"] == "id" and doc["settings"]["gride_max"] == 256
    keys = set(doc["results"]["metrics"])
    assert "token_gride" in keys and "prompt_entropy" not in keys
    direct = token_geometry(tc, gride_max=256)
    assert [row["token_gride"] for row in doc["results"]["layers"]] == pytest.approx(list(direct["gride"]), abs=1e-12)
    assert run_cli(["id"]).code == 2
    # an option token clouds do not read is refused, not ignored (their estimators and intervals are fixed)
    r = run_cli(["id", "--tokens", tmp_path / "t.safetensors", "--confidence", "0.9", "-k", "12"])
    assert r.code == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert "--k, --confidence do not apply with --tokens" in r.stderr
    assert run_cli(["id", "--tokens", tmp_path / "t.safetensors", "--sample", "8", "--seed", "1", "-q", "-f", "csv"]).code == 0


def test_dataset_entropy_follows_the_tokens_when_both_are_given():
    from embgeo.layers import dataset_entropy, reference_pool

    tc = _clouds(np.random.default_rng(9))
    X = np.stack([np.stack([c.mean(axis=0) for c in tc.layer(l)]) for l in range(3)])  # plain mean pooling
    res = layer_suite(X, tokens=tc, geometry=False)
    assert res.values["dataset_entropy"][2] == pytest.approx(dataset_entropy(reference_pool(tc.layer(2))), abs=1e-12)
    assert not any("centred and L2-normalised here" in n for n in res.notes)
    alone = layer_suite(X)  # pooled rows only: centred and normalised here, and said so
    assert alone.values["dataset_entropy"][2] == pytest.approx(dataset_entropy(X[2], preprocess=True), abs=1e-12)
    assert any("centred and L2-normalised here" in n for n in alone.notes)
