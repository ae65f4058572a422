"""Torch device helpers shared by the kNN and uniformity engines (torch is imported lazily)."""
from __future__ import annotations

import os
from contextlib import contextmanager

from embgeo.errors import EmbgeoError

#: share of the free device memory the prepared database may occupy (the rest: tiles, top-k, cuBLAS)
DEVICE_DB_SHARE = 0.6
#: bytes of one score tile on a GPU (block_rows × database rows)
DEVICE_TILE_BYTES = 1 << 30


def torch_device(device):
    """``device`` as a ``torch.device``; a clear EmbgeoError for a bad string, no CUDA, or a bad ordinal."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise EmbgeoError(f"device {device!r} is not a torch device ({exc})", hint="use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise EmbgeoError(f"device={device!r} was asked but no CUDA device is available", hint="use device='cpu'")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise EmbgeoError(f"device={device!r}: torch sees {count} CUDA device(s) (cuda:0…cuda:{count - 1})",
                              hint="pick another index or set CUDA_VISIBLE_DEVICES")
    return dev


@contextmanager
def ieee_fp32(dev):
    """float32 matmuls without TF32 inside the block; the caller's setting is restored after.

    torch ≥ 2.9 has the per-backend ``fp32_precision`` (its getter never raises, unlike the legacy
    ``allow_tf32`` / ``get_float32_matmul_precision`` getters once the two APIs were mixed);
    older torch only the legacy flag.
    """
    import torch

    if dev.type != "cuda":
        yield
        return
    if os.environ.get("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE") == "1":
        import warnings

        warnings.warn("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 forces TF32: kNN candidate selection loses precision", stacklevel=3)
    m = torch.backends.cuda.matmul
    if hasattr(m, "fp32_precision"):
        prev = m.fp32_precision
        m.fp32_precision = "ieee"
        try:
            yield
        finally:
            m.fp32_precision = prev
    else:
        prev = m.allow_tf32
        m.allow_tf32 = False
        try:
            yield
        finally:
            m.allow_tf32 = prev
