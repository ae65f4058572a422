"""One vocabulary: a result attribute and the JSON key (``to_dict()``, the command's ``--format json``
``results``) of the same number carry the same name; the former attribute names still read the value,
with a DeprecationWarning (and, for the uniformity family, still work as constructor keywords)."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
import warnings

import numpy as np
import pytest

from embgeo.compare import compare
from embgeo.projection import project
from embgeo.results import Result
from embgeo.uniformity import alignment, centroid_gap, modality_gap, uniformity
from embgeo.uniformity.core import UniformityResult

RNG = np.random.default_rng(7)
X = RNG.normal(size=(60, 6))
Y = X + 0.4 * RNG.normal(size=X.shape) + 0.8  # row-paired with X, with a gap


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def _check(result, json: dict, renamed: dict[str, str]) -> None:
    """Each new attribute equals its JSON value; each former name reads it with a DeprecationWarning."""
    owner = type(result).__name__
    for old, new in renamed.items():
        value = getattr(result, new)
        assert _same(json[new], value), (owner, new, json[new], value)
        with pytest.warns(DeprecationWarning, match=rf"^{owner}\.{old} is now \.{new}$"):
            assert _same(getattr(result, old), value)


def test_uniformity_result_attributes_are_its_json_keys():
    u = uniformity(X, seed=0)
    d = u.to_dict()
    _check(u, d, {"value": "uniformity", "n_samples": "n_rows", "n_features": "n_dims",
                  "sphere_value": "uniformity_sphere", "ratio": "uniformity_ratio"})
    assert (u.n_rows, u.n_dims) == (60, 6) and u.uniformity == d["uniformity"] < 0
    assert u.uniformity_ratio == u.uniformity / u.uniformity_sphere and 0 < u.uniformity_ratio <= 1.05
    sampled = uniformity(X, mode="sample", n_pairs=500, seed=3)
    assert (sampled.ci_low, sampled.ci_high, sampled.n_pairs) == (sampled.to_dict()["ci_low"], sampled.to_dict()["ci_high"], 500)


def test_alignment_result_attributes_are_its_json_keys():
    a = alignment(X, Y)
    d = a.to_dict()
    _check(a, d, {"value": "alignment", "n_pairs": "n_rows", "n_features": "n_dims"})
    Xh = X / np.linalg.norm(X, axis=1, keepdims=True)
    Yh = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    assert a.alignment == pytest.approx(np.mean(np.sum((Xh - Yh) ** 2, axis=1)), rel=1e-12) and a.n_rows == 60


def test_centroid_gap_attributes_are_its_json_keys():
    g = centroid_gap(X, Y)
    d = g.to_dict()
    _check(g, d, {"value": "gap_centroid_distance", "centroid_cosine": "gap_centroid_cosine"})
    Xh = X / np.linalg.norm(X, axis=1, keepdims=True)
    Yh = Y / np.linalg.norm(Y, axis=1, keepdims=True)
    assert g.gap_centroid_distance == pytest.approx(np.linalg.norm(Xh.mean(0) - Yh.mean(0)), abs=1e-12)


def test_gap_result_attributes_are_its_json_keys():
    r = modality_gap(X, Y, separability=False, random_pairs=300, seed=0)
    d = r.to_dict()
    _check(r, d, {"n_pairs": "n_rows", "n_features": "n_dims", "centroid_gap": "gap_centroid_distance",
                  "centroid_cosine": "gap_centroid_cosine", "random_cosine_mean": "random_pair_cosine",
                  "matched_ci_low": "matched_pair_cosine_ci_low", "matched_ci_high": "matched_pair_cosine_ci_high"})
    assert (r.n_rows, r.n_dims) == (60, 6)
    assert r.gap_centroid_distance == centroid_gap(X, Y).gap_centroid_distance > 0.1
    assert r.matched_pair_cosine_ci_low < d["matched_pair_cosine"] < r.matched_pair_cosine_ci_high
    # the parts keep their own JSON names: uniformity and alignment objects, key for key
    assert d["uniformity"]["x"]["uniformity"] == r.uniformity_x.uniformity and d["alignment"]["alignment"] == r.alignment.alignment


def test_projection_result_attributes_are_its_json_keys():
    p = project(X, method="pca", sample=40, seed=0)
    d = p.to_dict()
    _check(p, d, {"n_samples": "n_rows_in", "n_features": "n_dims"})
    assert (p.n_rows_in, p.n_dims, p.n_mapped) == (60, 6, 40) and d["n_rows"] == d["n_mapped"] == 40


def test_compare_result_attributes_are_its_json_keys():
    r = compare(X, Y, methods=["cka"], n_bootstrap=0, n_permutations=0, sample=40, seed=0)
    d = r.to_dict()
    _check(r, d, {"n_rows_total": "n_rows_in"})
    assert (r.n_rows, r.n_rows_in) == (d["n_rows"], 60) and r.n_rows == 40


def test_former_constructor_keywords_still_work():
    u = uniformity(X, seed=0)
    fields = {f.name: getattr(u, f.name) for f in dataclasses.fields(u)}
    old = {**fields}
    for former, new in (("value", "uniformity"), ("n_samples", "n_rows"), ("n_features", "n_dims"), ("sphere_value", "uniformity_sphere")):
        old[former] = old.pop(new)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert UniformityResult(**old) == u
    assert sorted(str(w.message) for w in seen if w.category is DeprecationWarning) == [
        "UniformityResult(n_features=) is now n_dims=", "UniformityResult(n_samples=) is now n_rows=",
        "UniformityResult(sphere_value=) is now uniformity_sphere=", "UniformityResult(value=) is now uniformity="]
    assert dataclasses.replace(u, uniformity=-1.0).uniformity == -1.0  # replace() takes the new names
    from embgeo.errors import EmbgeoError

    with pytest.raises(EmbgeoError, match="n_rows"):  # a former name and its new name together: refused
        UniformityResult(**{**fields, "n_samples": 5})


def _public_result_classes():
    for package in ("embgeo.uniformity", "embgeo.compare"):
        pkg = importlib.import_module(package)
        names = [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
        for name in names:
            if name.endswith(".distributed"):  # needs the optional dask extra; holds functions only
                continue
            yield from _classes(importlib.import_module(name))
    yield from _classes(importlib.import_module("embgeo.projection"))


def _classes(module):
    for name, cls in inspect.getmembers(module, inspect.isclass):
        if not name.startswith("_") and dataclasses.is_dataclass(cls) and issubclass(cls, Result):
            yield cls


def test_no_result_field_is_named_n_samples_or_n_features():
    found = sorted({c.__qualname__ for c in _public_result_classes()})
    assert {"UniformityResult", "AlignmentResult", "GapResult", "ProjectionResult", "CompareResult"} <= set(found), found
    bad = {c.__qualname__: sorted({"n_samples", "n_features"} & {f.name for f in dataclasses.fields(c)}) for c in _public_result_classes()}
    assert not {k: v for k, v in bad.items() if v}, bad
