"""Resumable checkpoints of :func:`embgeo.hyperbolic.poincare.train_poincare` (atomic ``.npz``).

A checkpoint holds the coordinates, the optimiser state, the epoch and the history; resuming
with the same settings (:data:`RESUME_KEYS`) continues bit for bit.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, either, param

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


def load_checkpoint(path, cfg, X, opt, n: int):
    import torch

    p = Path(path)
    if not p.exists():
        raise EmbgeoError("no such checkpoint", source=str(p))
    try:
        z = np.load(p, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not an .npz archive")
        with z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (ValueError, OSError, KeyError, TypeError) as exc:
        raise EmbgeoError(f"is not an embgeo training checkpoint ({exc})", source=str(p)) from None
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


__all__ = ["RESUME_KEYS", "load_checkpoint", "save_checkpoint"]
