"""Resumable checkpoints of :func:`embgeo.hyperbolic.poincare.train_poincare` (atomic ``.npz``).

A checkpoint holds the coordinates, the optimiser state, the epoch and the history; resuming
with the same settings (:data:`RESUME_KEYS`) continues bit for bit.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, either, param, setting

RESUME_KEYS = ("dim", "negatives", "batch_size", "share_negatives", "burnin", "burnin_factor", "optimizer", "model", "c", "dtype", "seed", "init_scale", "lr", "sparse", "holdout")


def save_checkpoint(path, cfg, X, opt, epoch: int, history: list, h) -> None:
    from embgeo.io.writers import save_npz

    arrays = {"params": X.detach().cpu().numpy(), "ids": h.ids.astype(str)}
    state = opt.state.get(X, {})
    meta_state = {}
    for k, val in state.items():
        if hasattr(val, "detach"):
            arrays[f"opt_{k}"] = val.detach().cpu().numpy()
        else:
            meta_state[k] = val
    meta = {"config": asdict(cfg), "epoch": int(epoch), "history": history, "opt_scalars": meta_state, "format": "embgeo.poincare-checkpoint/1"}
    arrays["meta"] = np.array(json.dumps(meta))
    save_npz(path, **arrays)


#: the arrays of every checkpoint :func:`save_checkpoint` writes (besides the optimiser's ``opt_*``)
CHECKPOINT_KEYS = ("meta", "params", "ids")
#: the arrays a checkpoint must hold to be resumed from
REQUIRED_KEYS = ("meta", "params")


def _not_a_checkpoint(p: Path, what: str) -> EmbgeoError:
    """The one line for a file given as a checkpoint that is not one: what a checkpoint is, what this file is, the fix."""
    return EmbgeoError(f"is not an embgeo training checkpoint: {what}; a checkpoint is the .npz that training writes with "
                       f"{setting('checkpoint', 'FILE.npz')}", source=str(p),
                       hint=f"give {param('resume')} a checkpoint that an earlier run with the same settings wrote, or drop {param('resume')} to start afresh")


def _what_file(p: Path, head: bytes) -> str:
    """What a file that is not an .npz archive is, by its first bytes."""
    from embgeo.io.readers import CONTENT_NAMES, sniff_format

    found = sniff_format(p)
    if found is not None:
        return f"it is {CONTENT_NAMES[found]}, not an .npz archive"
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip archive but not an .npz one"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text and head.strip():
        return f"it is text ({p.suffix or 'no suffix'}), not an .npz archive"
    return "it is not an .npz archive"


def read_checkpoint(path) -> tuple[dict, dict]:
    """``(arrays, meta)`` of the checkpoint ``path`` (``arrays`` without ``meta``), every way in which the
    file is not one an :class:`EmbgeoError` of one line. Nothing is unpickled."""
    import zipfile

    from embgeo.io.common import is_permission_error, permission_denied

    p = Path(path)
    if not p.exists():
        raise EmbgeoError("no such checkpoint", source=str(p))
    try:
        with open(p, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        if is_permission_error(exc):
            raise permission_denied(p) from None
        raise EmbgeoError(f"cannot read the checkpoint ({exc.strerror or exc})", source=str(p)) from None
    if not head:
        raise _not_a_checkpoint(p, "the file is empty")
    try:
        with zipfile.ZipFile(p) as zf:
            members = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _not_a_checkpoint(p, _what_file(p, head)) from None
    names = [m[:-4] for m in members if m.endswith(".npy")]
    if len(names) != len(members) or not names:
        raise _not_a_checkpoint(p, "it is a zip archive but not an .npz one (it holds files other than arrays)"
                                   if members else "it is an empty zip archive")
    missing = [k for k in REQUIRED_KEYS if k not in names]
    if missing:
        shown = ", ".join(repr(k) for k in names[:8]) + (", …" if len(names) > 8 else "")
        raise _not_a_checkpoint(p, f"it is an .npz archive without the {' and '.join(repr(k) for k in missing)} "
                                   f"array{'s' if len(missing) > 1 else ''} of a checkpoint (it holds {shown})")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "pickled" in str(exc):
            raise _not_a_checkpoint(p, "it holds arrays of Python objects (pickled), which embgeo never reads") from None
        raise _not_a_checkpoint(p, f"an array of the .npz archive cannot be read ({' '.join(str(exc).split())[:80]})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise EmbgeoError(f"the checkpoint is damaged ({' '.join(str(exc).split())[:80]})", source=str(p),
                          hint=f"write it again: run with {param('checkpoint')}, or drop {param('resume')} to start afresh") from None
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (ValueError, TypeError):
        meta = None
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict) or "epoch" not in meta:
        raise _not_a_checkpoint(p, "its 'meta' array is not the record (JSON) of a training checkpoint")
    return arrays, meta


def load_checkpoint(path, cfg, X, opt, n: int):
    import torch

    p = Path(path)
    arrays, meta = read_checkpoint(p)
    old = meta.get("config", {})
    for k in RESUME_KEYS:
        was = old.get(k, {"sparse": False, "holdout": 0.0}.get(k))  # older checkpoints: dense, nothing held out
        if was != getattr(cfg, k):
            hint = (f"resume with {either(f'sparse={was!r}', '--sparse' if was else '--dense')} as the checkpoint was trained" if k == "sparse"
                    else f"resume with the same settings (only {param('epochs')} and evaluation options may change)")
            raise EmbgeoError(f"checkpoint was trained with {k}={was!r} but this run has {k}={getattr(cfg, k)!r}", source=str(p), hint=hint)
    params = arrays["params"]
    if params.shape != tuple(X.shape):
        raise EmbgeoError(f"checkpoint holds {params.shape[0]} nodes × {params.shape[1]} coordinates; this hierarchy needs {tuple(X.shape)}", source=str(p))
    with torch.no_grad():
        X.copy_(torch.from_numpy(params).to(X.device))
    # optimizer moments on the parameter's device (a checkpoint written on cuda resumes on cpu and back)
    state = {k[4:]: torch.from_numpy(v.copy()).to(X.device) for k, v in arrays.items() if k.startswith("opt_")}
    state.update(meta.get("opt_scalars", {}))
    if state:
        opt.state[X] = state
    return int(meta["epoch"]), list(meta.get("history", []))


__all__ = ["CHECKPOINT_KEYS", "RESUME_KEYS", "load_checkpoint", "read_checkpoint", "save_checkpoint"]
