"""Run a local transformers model over texts and keep every layer's hidden states.

Never downloads: ``model_dir`` must be a folder holding ``config.json``, the weights and the
tokenizer files, or ``pkg:PACKAGE[/sub/folder]`` — such a folder inside an installed Python
package (:func:`resolve_model`); everything is loaded with ``local_files_only=True`` (and the hub offline).
Texts are tokenised one by one (truncated to ``max_length``), optionally block-shuffled
(:func:`embgeo.layers.tokens.block_shuffle`, special tokens stay in place), padded on the
right per batch and run with ``output_hidden_states=True``. For each text and layer
(``layer0`` = the embedding output, ``layerL`` = the last block) the real tokens (attention
mask 1) form its token cloud; pooled rows are their mean, the first token (CLS for BERT-like
models) and the last real token.
"""
from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, either, param, require, setting
from embgeo.results import Metric, Result, Verdict

POOLINGS = ("mean", "first", "last")
DTYPES = ("float32", "float16", "bfloat16")


def _jsonl_records(path: Path) -> tuple[list[dict], list[int]]:
    """The objects of a ``.jsonl`` file and the line number (from 1) of each; blank lines are skipped.
    A line that is not JSON, or not an object, is a one-line error naming that line."""
    records, lines = [], []
    with open(path, encoding="utf-8-sig") as fh:  # (a byte-order mark is not part of the first object)
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EmbgeoError(f"line {number} is not valid JSON ({exc.msg} at column {exc.colno})", source=str(path),
                                  hint="write one JSON object per line") from None
            if not isinstance(record, dict):
                got = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}.get(type(record), "a number")
                raise EmbgeoError(f"line {number} is {got}, not a JSON object", source=str(path),
                                  hint='write one object per line, e.g. {"id": "a1", "text": "..."}')
            records.append(record)
            lines.append(number)
    return records, lines


def _csv_records(path: Path, delimiter: str) -> tuple[list[dict], list[int]]:
    """The rows of a ``.csv``/``.tsv`` file and the line number (from 1, the header is line 1) each ends on."""
    records, lines = [], []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        for row in reader:
            records.append(row)
            lines.append(reader.line_num)
    return records, lines


def read_texts(path, *, text_col: str = "text", id_col: str | None = None) -> tuple[list[str], list[str]]:
    """Texts and ids from ``.txt`` (one text per non-empty line, ids = line numbers from 1),
    ``.csv``/``.tsv`` (a ``text_col`` column; ids from ``id_col`` or an ``id`` column) or
    ``.jsonl`` (one object per line with the same keys). Every problem in a row names its line."""
    path = Path(path)
    if not path.is_file():
        raise EmbgeoError("no such file", source=str(path), hint=f"{either('read_texts', '--texts')} takes a .txt, .csv, .tsv or .jsonl file")
    suf = path.suffix.lower()
    texts, ids = [], []
    records, lines = None, []
    try:
        if suf in (".csv", ".tsv"):
            records, lines = _csv_records(path, "\t" if suf == ".tsv" else ",")
        elif suf == ".jsonl":
            records, lines = _jsonl_records(path)
        else:
            with open(path, encoding="utf-8-sig") as fh:
                for i, line in enumerate(fh.read().splitlines(), 1):
                    if line.strip():
                        texts.append(line)
                        ids.append(str(i))
                        lines.append(i)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise EmbgeoError(f"cannot read the texts ({' '.join(str(exc).split())[:120]})", source=str(path)) from None
    if records is not None:
        if records and text_col not in records[0]:
            raise EmbgeoError(f"has no column '{text_col}' (columns: {', '.join(map(str, list(records[0])[:10]))})", source=str(path),
                              hint=f"name the text column with {param('text_col')}")
        key = id_col or ("id" if records and "id" in records[0] else None)
        if id_col and records and id_col not in records[0]:
            raise EmbgeoError(f"has no id column '{id_col}'", source=str(path), hint=f"check {param('id_col')}")
        for i, (r, line) in enumerate(zip(records, lines)):
            t = r.get(text_col)
            if isinstance(t, (dict, list, bool, int, float)):  # (a .jsonl value; CSV cells are always text)
                what = ("an object" if isinstance(t, dict) else "an array" if isinstance(t, list) else
                        f"{'true/false' if isinstance(t, bool) else 'the number ' + repr(t)}")
                raise EmbgeoError(f"line {line}: '{text_col}' holds {what}, not a text",
                                  source=str(path), hint=f"give each line its text as a string, or name another column with {param('text_col')}")
            if t is None or not str(t).strip():
                raise EmbgeoError(f"line {line} has an empty text", source=str(path), hint="drop empty rows first")
            texts.append(str(t))
            if key:
                v = r.get(key)
                if v is None or isinstance(v, (dict, list)) or not str(v).strip():
                    raise EmbgeoError(f"line {line} has no id in '{key}'", source=str(path),
                                      hint=f"give every line an id, or name another column with {param('id_col')}")
                ids.append(str(v))
            else:
                ids.append(str(i))
    if not texts:
        raise EmbgeoError("holds no texts", source=str(path))
    first: dict[str, int] = {}
    for i, v in enumerate(ids):  # the ids join every later file by id: two rows with one id cannot be told apart
        if v in first:
            raise EmbgeoError(f"id '{v}' is on lines {lines[first[v]]} and {lines[i]}: ids must be unique", source=str(path),
                              hint=f"give each text its own id, or name another column with {param('id_col')}")
        first[v] = i
    return texts, ids


@dataclass(frozen=True)
class Extraction(Result):
    """Hidden states of every layer: pooled stacks (``pooled[name]`` is ``L × n × d``) and token clouds."""

    model: str
    ids: tuple
    layer_names: tuple
    pooled: dict = field(repr=False)
    tokens: object = field(repr=False)  # TokenClouds or None
    lengths: np.ndarray = field(repr=False)
    truncated: int = 0
    max_length: int = 0
    settings: dict = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.ids)

    @property
    def n_dims(self) -> int:
        return int(next(iter(self.pooled.values())).shape[2]) if self.pooled else int(self.tokens.n_dims)

    def to_dict(self) -> dict:
        return {"model": self.model, "n_rows": self.n_rows, "n_layers": len(self.layer_names), "n_dims": self.n_dims,
                "n_tokens": int(self.lengths.sum()), "tokens_min": int(self.lengths.min()), "tokens_max": int(self.lengths.max()),
                "truncated_rows": int(self.truncated), "poolings": list(self.pooled), "layer_names": list(self.layer_names)}

    def metrics(self) -> list[Metric]:
        d = self.to_dict()
        return [Metric(k, d[k], unit="tokens" if k.startswith("n_tokens") or k.startswith("tokens_") else "",
                       status=("warn" if d[k] else "ok") if k == "truncated_rows" else "")
                for k in ("n_rows", "n_layers", "n_dims", "n_tokens", "tokens_min", "tokens_max", "truncated_rows")]

    def verdict(self) -> Verdict:
        if self.truncated:
            return Verdict("warn", f"{self.truncated} of {self.n_rows} texts were cut at {setting('max_length', self.max_length)}",
                           f"raise {param('max_length')} if the model allows it", "truncated_rows")
        return Verdict("ok", f"all {self.n_rows} texts fit in {setting('max_length', self.max_length)}", "", "truncated_rows")

    def table(self):
        return ["field", "value"], [[k, v] for k, v in self.to_dict().items()]


#: prefix of a model shipped inside an installed Python package: ``pkg:PACKAGE[/sub/folder]``
PKG_PREFIX = "pkg:"


def _model_folders(root, depth: int = 3) -> list:
    """Folders under ``root`` (an importlib.resources Traversable, ``depth`` levels) that hold a config.json."""
    found, level = [], [(root, "")]
    for _ in range(depth + 1):
        nxt = []
        for node, rel in level:
            try:
                children = list(node.iterdir())
            except (OSError, NotADirectoryError):
                continue
            if any(c.name == "config.json" and c.is_file() for c in children):
                found.append(rel)
            nxt += [(c, f"{rel}/{c.name}".lstrip("/")) for c in children if c.is_dir() and not c.name.startswith(("_", "."))]
        level = nxt
    return sorted(found)


def resolve_model(spec) -> Path:
    """The local folder of a model: ``spec`` itself (a folder with config.json), or, for
    ``pkg:PACKAGE[/sub/folder]``, a folder inside an installed Python package (found with
    :mod:`importlib.resources`; without a sub folder, the one folder of the package holding a
    config.json). Nothing is downloaded; a missing folder or package is a one-line error."""
    import importlib.resources as resources

    text = str(spec)
    if not text.startswith(PKG_PREFIX):
        p = Path(text)
        if not p.exists():
            raise EmbgeoError("no such model folder", source=text,
                              hint="give a folder saved with save_pretrained(), or pkg:PACKAGE for weights in an installed package; embgeo never downloads")
        if not p.is_dir() or not (p / "config.json").is_file():
            raise EmbgeoError("is not a local model folder (no config.json)", source=text,
                              hint="embgeo never downloads: save the model with save_pretrained() to a folder and pass it")
        return p
    package, _, sub = text[len(PKG_PREFIX):].strip("/").partition("/")
    if not package or not package.replace(".", "").replace("_", "").isalnum():
        raise EmbgeoError(f"'{package}' is not a Python package name", source=text, hint="write pkg:PACKAGE or pkg:PACKAGE/sub/folder")
    try:
        root = resources.files(package)
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name and (package + ".").startswith(exc.name + "."):
            raise EmbgeoError(f"no installed Python package '{package}'", source=text,
                              hint="install the package that ships the weights (it is not downloaded here), or give a model folder") from None
        raise EmbgeoError(f"package '{package}' cannot be imported ({' '.join(str(exc).split())[:160]})", source=text) from None
    except (TypeError, ValueError):
        raise EmbgeoError(f"'{package}' is a module, not a package with data folders", source=text,
                          hint="write pkg:PACKAGE/FOLDER with the package that holds the model folder") from None
    node = root
    for part in [q for q in sub.split("/") if q]:
        node = node / part
    if sub and not node.is_dir():
        have = ", ".join(sorted(c.name for c in root.iterdir() if c.is_dir() and not c.name.startswith(("_", "."))))
        raise EmbgeoError(f"package '{package}' has no folder '{sub}' (folders: {have or 'none'})", source=text,
                          hint=f"write pkg:{package}/FOLDER with the folder that holds config.json")
    folders = _model_folders(node)
    if "" not in folders:
        if not folders:
            raise EmbgeoError(f"package '{package}' holds no model folder (no config.json{' under ' + sub if sub else ''})", source=text,
                              hint="point at the folder with config.json, the weights and the tokenizer files")
        if len(folders) > 1:
            raise EmbgeoError(f"package '{package}' holds {len(folders)} model folders ({', '.join(folders[:6])})", source=text,
                              hint=f"pick one: pkg:{package}/{(sub + '/' if sub else '') + folders[0]}")
        node = node / folders[0]
    path = Path(str(node))
    if not path.is_dir():  # a zipped package: transformers needs real files
        raise EmbgeoError(f"package '{package}' is not installed as files on disk (zipped?)", source=text,
                          hint="install it unzipped, or copy the model folder out and pass that")
    return path


def _check_model_dir(model_dir) -> Path:
    return resolve_model(model_dir)


def load_model(model_dir, *, device: str = "cpu", dtype: str = "float32"):
    """``(tokenizer, model)`` from a local folder (or ``pkg:PACKAGE[/sub]``, see :func:`resolve_model`), offline."""
    p = _check_model_dir(model_dir)
    if dtype not in DTYPES:
        raise EmbgeoError(f"unknown dtype {dtype!r}", hint=f"use one of {', '.join(DTYPES)}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    require("transformers", package="transformers", extra="extract", feature="embgeo extract")
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # embgeo draws its own progress on stderr
    hf_logging.set_verbosity_error()

    try:
        tok = AutoTokenizer.from_pretrained(str(p), local_files_only=True)
        model = AutoModel.from_pretrained(str(p), local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise EmbgeoError(f"cannot load the model or its tokenizer ({' '.join(str(exc).split())[:200]})", source=str(p),
                          hint="the folder needs config.json, the weights and the tokenizer files") from None
    model = model.to(device=device, dtype=getattr(torch, dtype)).eval()
    return tok, model


def _check_max_length(tok, max_length: int) -> None:
    """``max_length`` must leave room for one real token besides the special tokens the tokenizer adds to every text
    (a shorter one is not honoured by the tokenizer: the texts would pass uncut)."""
    try:
        special = int(tok.num_special_tokens_to_add(pair=False))
    except (AttributeError, NotImplementedError, TypeError, ValueError):
        special = 0
    if max_length < special + 1:
        added = f"adds {special} special token{'s' if special != 1 else ''} to every text"
        raise EmbgeoError(f"{setting('max_length', max_length)} is too short: the tokenizer {added}, so it must be at least {special + 1} "
                          "to keep one token of text", hint=f"pass {setting('max_length', special + 1)} or more")


def extract(
    model_dir,
    texts,
    *,
    ids=None,
    batch_size: int = 16,
    max_length: int = 512,
    device: str = "cpu",
    dtype: str = "float32",
    poolings=POOLINGS,
    tokens: bool = True,
    shuffle_blocks: int | None = None,
    seed=0,
    progress=None,
) -> Extraction:
    """Hidden states of every layer for ``texts`` (see the module docstring)."""
    from embgeo.extract.store import TokenClouds

    for pname in poolings:
        if pname not in POOLINGS:
            raise EmbgeoError(f"unknown pooling {pname!r}", hint=f"use {', '.join(POOLINGS)}")
    if batch_size < 1 or max_length < 1:
        raise EmbgeoError("batch_size and max_length must be positive")
    texts = list(texts)
    ids = [str(i) for i in (ids if ids is not None else range(len(texts)))]
    if len(ids) != len(texts):
        raise EmbgeoError(f"{len(ids)} ids for {len(texts)} texts")
    model_path = resolve_model(model_dir)
    tok, model = load_model(model_path, device=device, dtype=dtype)
    import torch

    _check_max_length(tok, max_length)
    enc = tok(texts, truncation=True, max_length=max_length, return_special_tokens_mask=True, add_special_tokens=True)
    full = tok(texts, truncation=False, add_special_tokens=True)["input_ids"]
    seqs = [list(x) for x in enc["input_ids"]]
    longest = max(len(s) for s in seqs)
    if longest > max_length:  # a tokenizer that did not truncate: never report texts as fitting when they do not
        raise EmbgeoError(f"the tokenizer did not cut the texts to {setting('max_length', max_length)} (the longest has {longest} tokens)",
                          hint=f"raise {param('max_length')}")
    truncated = int(sum(len(f) > len(s) for f, s in zip(full, seqs)))
    if shuffle_blocks is not None:
        from embgeo.layers.tokens import block_shuffle

        for i, (s, sp) in enumerate(zip(seqs, enc["special_tokens_mask"])):
            pos = [j for j, m in enumerate(sp) if not m]
            perm = block_shuffle(len(pos), int(shuffle_blocks), seed=np.random.default_rng([int(seed), i]))
            vals = [s[pos[j]] for j in perm]
            for j, v in zip(pos, vals):
                s[j] = v
    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id if tok.eos_token_id is not None else 0)
    pooled = {p: [] for p in poolings}
    clouds = []
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    if lengths.min() < 1:
        raise EmbgeoError("a text has no tokens after tokenisation", hint="drop empty texts")
    with torch.no_grad():
        for b0 in range(0, len(seqs), batch_size):
            batch = seqs[b0:b0 + batch_size]
            T = max(len(s) for s in batch)
            ids_t = torch.full((len(batch), T), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), T), dtype=torch.long)
            for r, s in enumerate(batch):
                ids_t[r, :len(s)] = torch.tensor(s, dtype=torch.long)
                mask[r, :len(s)] = 1
            out = model(input_ids=ids_t.to(model.device), attention_mask=mask.to(model.device), output_hidden_states=True)
            H = torch.stack(out.hidden_states).float().cpu().numpy()  # L × B × T × d
            for r, s in enumerate(batch):
                n = len(s)
                X = H[:, r, :n, :]
                if "mean" in pooled:
                    pooled["mean"].append(X.mean(axis=1))
                if "first" in pooled:
                    pooled["first"].append(X[:, 0])
                if "last" in pooled:
                    pooled["last"].append(X[:, n - 1])
                if tokens:
                    clouds.append(X.astype(np.float32))
            if progress is not None:
                progress(len(batch))
    L = len(out.hidden_states)
    names = tuple(f"layer{i}" for i in range(L))
    stacks = {p: np.stack(v, axis=1).astype(np.float32) for p, v in pooled.items()}
    tc = TokenClouds.from_lists(clouds, ids=ids, layer_names=names) if tokens else None
    return Extraction(str(model_dir), tuple(ids), names, stacks, tc, lengths, truncated, int(max_length),
                      {"model_path": str(model_path), "batch_size": batch_size, "max_length": max_length, "device": device, "dtype": dtype,
                       "poolings": list(poolings), "tokens": bool(tokens), "shuffle_blocks": shuffle_blocks, "seed": seed})


def write_extraction(ex: Extraction, out_dir, *, store: str = "h5") -> list[str]:
    """``out_dir/pooled.<ext>`` (one ``L × n × d`` dataset per pooling, plus ids and layer names) and
    ``out_dir/tokens.<ext>`` (the ragged token clouds). Returns the paths written."""
    from embgeo.extract.store import write_arrays, write_tokens

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise EmbgeoError("the output folder does not exist", source=str(out_dir), hint="create it first")
    ext = {"h5": ".h5", "hdf5": ".h5", "safetensors": ".safetensors"}.get(store)
    if ext is None:
        raise EmbgeoError(f"unknown store {store!r}", hint="use h5 or safetensors")
    written = []
    if ex.pooled:
        p = out_dir / f"pooled{ext}"
        write_arrays(p, ex.pooled, ids=ex.ids, layer_names=ex.layer_names)
        written.append(str(p))
    if ex.tokens is not None:
        p = out_dir / f"tokens{ext}"
        write_tokens(p, ex.tokens)
        written.append(str(p))
    return written
