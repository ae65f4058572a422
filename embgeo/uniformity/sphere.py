"""The closed form of :func:`uniformity_sphere`: the expected uniformity of points uniform on the
unit sphere S^(d−1), by the exponentially scaled Bessel function where it is a normal double, the
₀F₁ series in log space where that underflows, and asymptotic expansions (Hankel, Debye) where
neither applies (split from :mod:`embgeo.uniformity.core`, which re-exports it)."""
from __future__ import annotations

import math

import numpy as np

from embgeo.errors import EmbgeoError
from embgeo.uniformity.checks import check_positive


def uniformity_sphere(d: int, t: float = 2.0) -> float:
    """Expected uniformity of points uniform on the unit sphere S^(d−1) ⊂ R^d.

    With ``s = x·y`` for independent uniform ``x, y``, ``‖x − y‖² = 2 − 2s`` and
    ``E e^{2ts} = Γ(d/2) t^{1−d/2} I_{d/2−1}(2t)``, so

        U(d, t) = −2t + log[ Γ(d/2) · t^(1−d/2) · I_(d/2−1)(2t) ]
                = −2t + log ₀F₁(; d/2; t²).

    The Bessel function is evaluated as ``scipy.special.ive`` (exponentially
    scaled, ``I_ν(x) = ive(ν, x)·eˣ``) in log space; when ``ive`` underflows
    (d ≳ 390 at t = 2) the ₀F₁ series is summed in log space instead (the two agree
    to 1e-15 where both apply). Where neither works — ``ive`` is NaN beyond
    ``2t ≈ 1e9``, and the series would need more than :data:`_SERIES_MAX_TERMS`
    terms — ``log ive`` comes from an asymptotic expansion accurate to double
    precision there: Hankel's in ``1/x`` for ``x ≥ 50(ν² + 1)``, else Debye's
    uniform one in ``1/ν`` (ν ≳ 4 000 there). For d = 384, t = 2 this gives −3.979168;
    as d → ∞ it tends to −2t + t²/(d/2); as t → ∞ it falls like −(d − 1)/2 · log t.
    """
    from scipy.special import gammaln, ive

    if not (isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) and d >= 1):  # True is not d = 1
        raise EmbgeoError(f"d must be a positive integer, got {d!r}")
    t = check_positive("t", t)
    nu = d / 2.0 - 1.0
    x = 2.0 * t
    b = d / 2.0
    scaled = float(ive(nu, x)) if math.isfinite(x) else math.nan
    if scaled > 1e-300 and math.isfinite(scaled):  # a normal double: full precision
        # log I_ν(2t) = log ive + 2t; U = −2t + gammaln(d/2) + (1 − d/2) log t + log I
        return float(gammaln(b) + (1.0 - b) * math.log(t) + math.log(scaled))
    z = t * t
    # the terms of ₀F₁(; b; z) grow while z > k(b + k − 1): the series peaks near this k
    peak = 0.5 * (-(b - 1.0) + math.sqrt((b - 1.0) ** 2 + 4.0 * z)) if math.isfinite(z) else math.inf
    if peak <= _SERIES_MAX_TERMS:
        return _sphere_series(b, t)
    if x >= 50.0 * (nu * nu + 1.0):
        # log ive = −½ log(4πt) + log(series): the powers of t gathered, (1 − b) log t − ½ log t = (½ − b) log t,
        # so that nothing cancels (d = 1: exactly −log 2 whatever t)
        return float(gammaln(b) + (0.5 - b) * math.log(t) - 0.5 * math.log(4.0 * math.pi) + _log_hankel_series(nu, t))
    return float(gammaln(b) + (1.0 - b) * math.log(t) + _log_ive_debye(nu, t))


#: the ₀F₁ series of :func:`uniformity_sphere` is summed when its largest term comes within this many terms
_SERIES_MAX_TERMS = 100_000


def _sphere_series(b: float, t: float) -> float:
    """``−2t + log ₀F₁(; b; t²)`` by the series ``Σ_k z^k / (k! (b)_k)``, ``z = t²``, in log space. Summed
    past the largest term until the terms fall by e⁴⁰ and shrink at least twofold each (what is left is below
    1e-17 of the sum)."""
    log_z = 2.0 * math.log(t)
    log_terms, k, lt, top = [0.0], 0, 0.0, 0.0
    while True:
        k += 1
        step = log_z - math.log(k) - math.log(b + k - 1)
        lt += step
        log_terms.append(lt)
        top = max(top, lt)
        if lt < top - 40 and step < -math.log(2.0):
            break
    lt = np.array(log_terms)
    return float(-2.0 * t + lt.max() + math.log(np.exp(lt - lt.max()).sum()))


def _log_hankel_series(nu: float, t: float) -> float:
    """``log Σ_k (−1)^k a_k(ν) / x^k`` at ``x = 2t ≥ 50(ν² + 1)``, ``a_k = Π_{j≤k} (4ν² − (2j − 1)²) / (k! 8^k)``:
    Hankel's expansion ``I_ν(x) e^{−x} = (2πx)^{−1/2} Σ_k …`` (its terms shrink at least 100-fold each from
    the first; stopped below 1e-18 of the sum)."""
    mu = 4.0 * nu * nu
    total, term = 1.0, 1.0
    for k in range(1, 60):
        term *= -(mu - (2 * k - 1) ** 2) / (k * 8.0) / t / 2.0  # (x = 2t may overflow: t > 9e307)
        total += term
        if abs(term) < 1e-18 * abs(total):
            break
    return math.log(total)


def _log_ive_debye(nu: float, t: float) -> float:
    """``log(I_ν(νz) e^{−νz})``, ``νz = 2t``, by Debye's uniform expansion in ``1/ν``
    (Abramowitz & Stegun 9.7.7, terms u₁…u₄: relative error O(ν⁻⁵), below 1e-17 for ν ≥ 4 000)."""
    z = 2.0 * t / nu
    root = math.hypot(1.0, z)  # √(1 + z²)
    p = 1.0 / root
    # ν·η − νz with η = √(1+z²) + log(z / (1 + √(1+z²))), and √(1+z²) − z = 1/(√(1+z²) + z): no cancellation
    expo = nu / (root + z) + nu * (math.log(z) - math.log1p(root))
    p2 = p * p
    u1 = p * (3.0 - 5.0 * p2) / 24.0
    u2 = p2 * (81.0 - 462.0 * p2 + 385.0 * p2 * p2) / 1152.0
    u3 = p * p2 * (30375.0 - 369603.0 * p2 + 765765.0 * p2**2 - 425425.0 * p2**3) / 414720.0
    u4 = p2 * p2 * (4465125.0 - 94121676.0 * p2 + 349922430.0 * p2**2 - 446185740.0 * p2**3 + 185910725.0 * p2**4) / 39813120.0
    series = 1.0 + u1 / nu + u2 / nu**2 + u3 / nu**3 + u4 / nu**4
    return expo - 0.5 * math.log(2.0 * math.pi * nu) - 0.5 * math.log(root) + math.log(series)
