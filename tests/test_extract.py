"""embgeo extract on tiny random BERT and GPT-2 models built offline in a temp folder."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("transformers", reason="embgeo[extract] is not installed")  # the extra is optional

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + "the a cat dog sat on mat ran fast slow big small red blue one two".split()
TEXTS = ["the cat sat on the mat", "a dog ran", "big red dog ran fast on the mat", "one two"]


def _tiny(path, kind):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    if kind == "bert":
        tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(0)
    if kind == "bert":
        from transformers import BertConfig, BertModel

        model = BertModel(BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=32, max_position_embeddings=64))
    else:
        from transformers import GPT2Config, GPT2Model

        model = GPT2Model(GPT2Config(vocab_size=len(WORDS), n_embd=16, n_layer=3, n_head=2, n_positions=64, bos_token_id=0, eos_token_id=0))
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    return _tiny(tmp_path_factory.mktemp("bert"), "bert")


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    return _tiny(tmp_path_factory.mktemp("gpt2"), "gpt2")


def test_bert_shapes_lengths_and_pooling(bert):
    from embgeo.extract import extract

    ex = extract(bert, TEXTS, batch_size=3)
    L = 2 + 1  # embedding output + 2 blocks
    for name in ("mean", "first", "last"):
        assert ex.pooled[name].shape == (L, len(TEXTS), 16)
    lengths = [len(t.split()) + 2 for t in TEXTS]  # [CLS] … [SEP]
    assert ex.tokens.lengths.tolist() == lengths
    assert ex.tokens.tokens.shape == (L, sum(lengths), 16)
    for i in range(len(TEXTS)):
        for layer in range(L):
            c = ex.tokens.cloud(layer, i)
            assert np.allclose(ex.pooled["mean"][layer, i], c.mean(axis=0), atol=1e-6)
            assert np.array_equal(ex.pooled["first"][layer, i], c[0].astype(np.float32))
            assert np.array_equal(ex.pooled["last"][layer, i], c[-1].astype(np.float32))
    assert ex.truncated == 0 and ex.verdict().status == "ok"


def test_padding_does_not_leak_and_runs_are_deterministic(bert):
    from embgeo.extract import extract

    one = extract(bert, TEXTS, batch_size=1)  # no padding at all
    batched = extract(bert, TEXTS, batch_size=4)  # padded to the longest text
    assert np.allclose(one.tokens.tokens, batched.tokens.tokens, atol=1e-5)
    again = extract(bert, TEXTS, batch_size=4)
    assert np.array_equal(batched.tokens.tokens, again.tokens.tokens)
    assert np.array_equal(batched.pooled["mean"], again.pooled["mean"])


def test_gpt2_last_token_and_truncation(gpt2):
    from embgeo.extract import extract

    ex = extract(gpt2, TEXTS, batch_size=4, max_length=4, poolings=("last",))
    assert ex.pooled["last"].shape == (4, 4, 16)
    assert ex.tokens.lengths.tolist() == [min(4, len(t.split())) for t in TEXTS]
    assert ex.truncated == 2 and ex.verdict().status == "warn" and "max_length=4" in ex.verdict().reason
    # causal model: a text's states do not depend on what follows it, so the truncated text equals its 4-token prefix
    short = extract(gpt2, ["the cat sat on"], poolings=("last",))
    assert np.allclose(short.tokens.cloud(3, 0), ex.tokens.cloud(3, 0), atol=1e-5)


def test_block_shuffle_control(bert):
    from embgeo.extract import extract

    base = extract(bert, TEXTS[:3], batch_size=3)
    s0 = extract(bert, TEXTS[:3], batch_size=3, shuffle_blocks=0)  # one block: the original order
    assert np.array_equal(base.tokens.tokens, s0.tokens.tokens)
    s5 = extract(bert, TEXTS[:3], batch_size=3, shuffle_blocks=5, seed=1)
    assert s5.tokens.lengths.tolist() == base.tokens.lengths.tolist()
    assert not np.allclose(base.tokens.cloud(0, 2), s5.tokens.cloud(0, 2))
    # the word-embedding part is permuted, special tokens stay: the first ([CLS]) row of layer 0 is unchanged
    assert np.allclose(base.tokens.cloud(0, 2)[0], s5.tokens.cloud(0, 2)[0])


@pytest.mark.parametrize("store", ["h5", "safetensors"])
def test_written_files_round_trip(bert, tmp_path, store):
    from embgeo.extract import extract, load_tokens, write_extraction
    from embgeo.io.readers import load_layers

    ex = extract(bert, TEXTS, ids=["a", "b", "c", "d"])
    paths = write_extraction(ex, tmp_path, store=store)
    ext = ".h5" if store == "h5" else ".safetensors"
    assert [p.rsplit("/", 1)[1] for p in paths] == [f"pooled{ext}", f"tokens{ext}"]
    back = load_tokens(paths[1])
    assert np.array_equal(back.tokens, ex.tokens.tokens) and back.ids.tolist() == ["a", "b", "c", "d"]
    assert back.layer_names == ("layer0", "layer1", "layer2")
    stack = load_layers([f"{paths[0]}:mean"])
    assert len(stack) == 3 and np.array_equal(np.stack(stack.layers), ex.pooled["mean"])


def test_cli_extract_then_layers(bert, tmp_path, run_cli):
    texts = tmp_path / "t.txt"
    texts.write_text("\n".join(TEXTS) + "\n")
    r = run_cli(["extract", bert, "--texts", texts, "--out-dir", tmp_path / "out", "--batch-size", "2", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["schema", "embgeo_version", "command", "inputs", "settings", "results", "verdict", "notes"]
    assert doc["results"]["n_rows"] == 4 and doc["results"]["n_layers"] == 3 and doc["results"]["n_tokens"] == sum(len(t.split()) + 2 for t in TEXTS)
    assert doc["settings"]["batch_size"] == 2 and doc["verdict"]["status"] == "ok"
    assert "wrote" in r.stderr and (tmp_path / "out" / "tokens.h5").is_file()
    r = run_cli(["layers", tmp_path / "out" / "pooled.h5:mean", "--tokens", tmp_path / "out" / "tokens.h5", "-f", "csv"])
    assert r.code == 0, r.stderr
    head = r.stdout.splitlines()[0].split(",")
    assert head[:6] == ["metric", "value", "ci_low", "ci_high", "unit", "status"] and "layer" in head
    ids = {line.split(",")[0] for line in r.stdout.splitlines()[1:]}
    assert {"prompt_entropy", "dataset_entropy", "curvature", "token_gride", "token_overlap"} <= ids


def test_cli_refuses_a_folder_without_a_model(tmp_path, run_cli):
    texts = tmp_path / "t.txt"
    texts.write_text("the cat\n")
    r = run_cli(["extract", tmp_path, "--texts", texts, "--out-dir", tmp_path / "o"])
    assert r.code == 2 and r.stderr.startswith("embgeo: error:") and "config.json" in r.stderr and len(r.stderr.splitlines()) == 1


def test_read_texts_formats(tmp_path):
    from embgeo.errors import EmbgeoError
    from embgeo.extract import read_texts

    (tmp_path / "a.csv").write_text('id,text\nx1,"the cat, sat"\nx2,a dog\n')
    assert read_texts(tmp_path / "a.csv") == (["the cat, sat", "a dog"], ["x1", "x2"])
    (tmp_path / "a.jsonl").write_text('{"body": "one"}\n{"body": "two"}\n')
    assert read_texts(tmp_path / "a.jsonl", text_col="body") == (["one", "two"], ["0", "1"])
    (tmp_path / "a.txt").write_text("one\n\ntwo\n")
    assert read_texts(tmp_path / "a.txt") == (["one", "two"], ["1", "3"])
    with pytest.raises(EmbgeoError, match="no column 'text'"):
        read_texts(tmp_path / "a.jsonl")
    # a repeated id is refused (pooled.h5 carried ids [1, 1, 2]: every later join by id was ambiguous)
    (tmp_path / "dup.csv").write_text("id,text\n1,the cat sat\n1,a dog ran\n2,one two\n")
    with pytest.raises(EmbgeoError, match="id '1' is on lines 2 and 3: ids must be unique"):
        read_texts(tmp_path / "dup.csv")


@pytest.fixture
def weights_package(bert, tmp_path, monkeypatch):
    """An installed-looking package ``embgeo_test_weights`` on sys.path whose ``models/tiny`` folder
    holds the tiny BERT (config, weights, tokenizer), as a package shipping model weights would."""
    import shutil
    import sys

    root = tmp_path / "site" / "embgeo_test_weights"
    (root / "models").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    shutil.copytree(bert, root / "models" / "tiny")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield root
    sys.modules.pop("embgeo_test_weights", None)


def test_extract_from_an_installed_package(weights_package, bert, tmp_path, run_cli):
    from embgeo.extract import extract, resolve_model

    assert resolve_model("pkg:embgeo_test_weights/models/tiny") == weights_package / "models" / "tiny"
    assert resolve_model("pkg:embgeo_test_weights") == weights_package / "models" / "tiny"  # the one model folder inside
    a = extract("pkg:embgeo_test_weights/models/tiny", TEXTS, batch_size=2)
    b = extract(bert, TEXTS, batch_size=2)
    for name in ("mean", "first", "last"):
        assert np.array_equal(a.pooled[name], b.pooled[name])
    assert a.model == "pkg:embgeo_test_weights/models/tiny" and a.settings["model_path"] == str(weights_package / "models" / "tiny")
    texts = tmp_path / "t.txt"
    texts.write_text("\n".join(TEXTS) + "\n")
    r = run_cli(["extract", "pkg:embgeo_test_weights", "--texts", texts, "--out-dir", tmp_path / "out", "--no-tokens", "-f", "json"])
    assert r.code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["inputs"][0]["path"] == "pkg:embgeo_test_weights" and doc["results"]["n_layers"] == 3
    assert doc["settings"]["model_path"] == str(weights_package / "models" / "tiny")


def test_missing_package_or_folder_is_a_one_line_error(weights_package, tmp_path, run_cli):
    texts = tmp_path / "t.txt"
    texts.write_text("the cat\n")
    cases = [("pkg:embgeo_no_such_package_xyz", "no installed Python package 'embgeo_no_such_package_xyz'"),
             ("pkg:embgeo_test_weights/nope", "package 'embgeo_test_weights' has no folder 'nope' (folders: models)"),
             (str(tmp_path / "missing"), "no such model folder")]
    (weights_package / "models" / "other").mkdir()
    (weights_package / "models" / "other" / "config.json").write_text("{}")
    cases.append(("pkg:embgeo_test_weights", "holds 2 model folders (models/other, models/tiny)"))
    for spec, text in cases:
        r = run_cli(["extract", spec, "--texts", texts, "--out-dir", tmp_path / "o"])
        assert r.code == 2 and r.stderr.startswith("embgeo: error:") and text in r.stderr, (spec, r.stderr)
        assert len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()  # refused before any work
