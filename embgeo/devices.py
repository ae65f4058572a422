"""Where the work runs and which library runs it: the one rule behind every ``backend``/``device`` pair.

``device`` says where: ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``) or ``"auto"`` (cuda when torch sees a GPU,
else cpu); ``backend`` says which library: ``"auto"`` (numpy on the CPU, torch on a GPU), ``"numpy"`` (CPU
only) or ``"torch"``. :func:`resolve_engine` turns a pair into the one actually used; the kNN engine
(:func:`embgeo.knn.engine.knn` and everything that calls it) and the exact uniformity loop
(:func:`embgeo.uniformity.core.exact_engine`) both use it. torch is imported only for ``device="auto"``
or a cuda device.
"""
from __future__ import annotations

from embgeo.errors import EmbgeoError, param, setting

#: the accepted ``backend`` values
BACKENDS = ("auto", "numpy", "torch")


def resolve_engine(backend: str = "auto", device: str | None = "cpu", *, check_gpu: bool = True) -> tuple[str, str]:
    """``(backend, device)`` actually used for a requested pair: backend ``"numpy"`` or ``"torch"``, device
    ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (``device=None`` is the CPU).

    Raises a one-line :class:`EmbgeoError` for an unknown backend or device, for ``backend="numpy"`` on a
    GPU, and (``check_gpu``) for a cuda device when torch sees no GPU here.
    """
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise EmbgeoError(f"{param('backend')} must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if device is not None and not (isinstance(device, str) and (device in ("cpu", "auto") or device.startswith("cuda"))):
        raise EmbgeoError(f"{param('device')} must be 'cpu', 'cuda' (or 'cuda:N') or 'auto', got {device!r}")
    if device == "auto":
        import torch  # (asked for: where is the GPU?)

        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = device or "cpu"
    gpu = device.startswith("cuda")
    if backend == "numpy" and gpu:
        raise EmbgeoError(f"{setting('backend', 'numpy')} runs on the CPU, not on {device!r}",
                          hint=f"drop {param('backend')}, or give {setting('backend', 'torch')}")
    if gpu and check_gpu:
        import torch

        if not torch.cuda.is_available():
            raise EmbgeoError(f"{setting('device', device)}: torch sees no CUDA device here",
                              hint=f"use {setting('device', 'cpu')} or {setting('device', 'auto')}")
    return ("torch" if gpu else backend if backend != "auto" else "numpy"), device
