"""Curvature of a token path: the mean angle between consecutive difference vectors.

Reference ``OFSkean/information_flow`` (``metric_functions.compute_curvature``), after
Hosseini & Fedorenko (2023): for the token sequence ``x_0 … x_{T−1}`` of one text,
``v_k = x_k − x_{k−1}`` and

    curvature = mean_{k=1}^{T−2} arccos( |v_k · v_{k+1}| / (‖v_k‖ ‖v_{k+1}‖) )

in radians. Two choices are the reference's, kept here: the *absolute value* of the dot
product (angles fold into [0, π/2], so a path that turns back on itself counts as straight),
and a pair with a zero-length difference contributes 0 (and still counts; embgeo calls a
difference zero below 1e-12 of the largest token norm, so rounding noise has no direction). The reference
runs it on the normalised token cloud (centred, unit rows: ``preprocess=True``). A text with
fewer than 3 tokens has no angle: the reference scores it 0, embgeo returns NaN and leaves it
out of the average.
"""
from __future__ import annotations

import numpy as np

from embgeo.arguments import check_flag
from embgeo.layers.entropy import cloud_matrix, reference_normalise


def curvature(tokens, *, preprocess: bool = True) -> float:
    """Mean angle (radians) between consecutive token-difference vectors of one text (``tokens``: T × D, at
    least one token, NaN/inf refused; NaN for fewer than 3 tokens). ``preprocess`` (True or False): centre and
    L2-normalise the tokens first, as the reference does."""
    preprocess = check_flag("preprocess", preprocess)
    return _curvature(cloud_matrix(tokens, name="tokens"), preprocess)


def _curvature(X: np.ndarray, preprocess: bool) -> float:
    if preprocess:
        X = reference_normalise(X)
    if X.shape[0] < 3:
        return float("nan")
    V = np.diff(X, axis=0)  # (T−1, D): v_1 … v_{T−1}
    a, b = V[:-1], V[1:]
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    # a difference shorter than 1e-12 of the largest token norm is rounding noise (a repeated point
    # after normalisation): zero length, as the reference's norm == 0 test means it
    tol = 1e-12 * max(float(np.linalg.norm(X, axis=1).max()), 1e-300)
    ok = (na > tol) & (nb > tol)
    ang = np.zeros(a.shape[0])
    u, v = a[ok] / na[ok, None], b[ok] / nb[ok, None]
    v = v * np.where(np.einsum("ij,ij->i", u, v) < 0, -1.0, 1.0)[:, None]  # |u·v|: fold onto the same side
    # arccos(|u·v|), computed as 2·atan2(‖u − v‖, ‖u + v‖): exact near 0, where arccos loses half the digits
    ang[ok] = 2.0 * np.arctan2(np.linalg.norm(u - v, axis=1), np.linalg.norm(u + v, axis=1))
    return float(ang.mean())


def curvatures(clouds, *, preprocess: bool = True) -> np.ndarray:
    """:func:`curvature` of every text (NaN for texts of fewer than 3 tokens)."""
    preprocess = check_flag("preprocess", preprocess)
    return np.array([_curvature(cloud_matrix(c, name=f"text {i}"), preprocess) for i, c in enumerate(clouds)], dtype=np.float64)
