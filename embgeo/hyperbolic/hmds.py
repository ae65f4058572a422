"""h-MDS: hyperbolic multidimensional scaling of any metric space (Sala et al. 2018, §4).

Given distances ``D`` (n, n) and a scale ``t`` (the curvature is fixed at −1; ``t``
stretches the data instead), the points ``x_i = (x_{i0}, X_i)`` on the hyperboloid
satisfy ``Y = cosh(t·D) = x₀x₀ᵀ − XXᵀ``. After the isometry that *centres* the points
at their pseudo-Euclidean mean (``Xᵀx₀ = 0``) the time coordinates are the Perron
vector of ``Y``: ``Y x₀ = ‖x₀‖² x₀``, so

1. ``(λ₁, u₁)`` = largest eigenpair of ``Y`` (``u₁ > 0``), ``x₀ = √λ₁ · u₁``;
2. ``XXᵀ = x₀x₀ᵀ − Y``; ``X = U_r Λ_r^{1/2}`` from its top-``r`` positive eigenpairs;
3. each row goes to the Poincaré ball: ``p = X / (1 + √(1 + ‖X‖²))``.

The centred version recovers every requested dimension exactly for hyperbolic data;
the public reference code (``hmds-simple.jl``) takes the top-``r`` eigenpairs of ``−Y``
by magnitude and drops the negative ones — the Perron direction is among them, so
it returns ``r − 1`` dimensions and its coordinates are not centred
(``centred=False`` reproduces it for comparison).

Large ``n`` uses a partial (Lanczos) eigensolver; ``cosh(t·D)`` overflows float64 for
``t·max D > 709`` (an error), and requested eigenvalues below round-off of ``λ₁``
(the spectrum spans more than float64 can hold) are reported in ``notes``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from embgeo.arguments import check_count, check_finite_number, check_flag
from embgeo.errors import EmbgeoError, either, param, setting
from embgeo.results import Result

#: largest t·D whose cosh fits in float64
MAX_SCALED_DISTANCE = 709.0
#: n above which the partial eigensolver (scipy eigsh) replaces dense eigh
DENSE_MAX = 1500
#: the default learning rate of the refinement (``refine_lr``)
REFINE_LR = 0.01


@dataclass(frozen=True, slots=True)
class HmdsResult(Result):
    """Result of :func:`hmds`.

    ``coordinates`` (n, dim) points of the Poincaré ball; ``hyperboloid`` (n, dim+1) the
    same on the hyperboloid; ``eigenvalues`` the ``dim`` eigenvalues of ``x₀x₀ᵀ − Y`` used
    (≤ 0 means that dimension was not recovered); ``dims_recovered``; ``perron_eigenvalue``
    ``λ₁``; ``distortion_mean`` / ``distortion_worst`` of ``d_rec/t`` against ``D`` (all pairs);
    ``max_abs_error`` ``max |d_rec/t − D|``; ``map_sala`` (Sala et al.'s MAP) when positives were given.
    """

    n_rows: int
    dim: int
    scale: float
    centred: bool
    solver: str
    dims_recovered: int
    perron_eigenvalue: float
    eigenvalues: np.ndarray
    distortion_mean: float
    distortion_worst: float
    max_abs_error: float
    map_sala: float | None
    refine_steps: int
    seconds: float
    coordinates: np.ndarray = field(repr=False)
    hyperboloid: np.ndarray = field(repr=False)
    notes: tuple = ()

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        skip = {"coordinates", "hyperboloid"}
        d = {k: jsonable(getattr(self, k)) for k in self.__dataclass_fields__ if k not in skip}
        d["n_dims"] = int(self.dim)
        d["notes"] = list(self.notes)
        return d

    def metrics(self):
        from embgeo.hyperbolic.verdicts import distortion_status, map_status
        from embgeo.results import Metric

        v = self.verdict()
        st = lambda key, own: v.status if v.decided_by == key else own  # noqa: E731
        out = []
        if self.map_sala is not None:
            out.append(Metric("map_sala", self.map_sala, status=st("map_sala", map_status(self.map_sala))))
        out += [Metric("distortion_mean", self.distortion_mean, status=st("distortion_mean", distortion_status(self.distortion_mean))),
                Metric("distortion_worst", self.distortion_worst), Metric("max_abs_error", self.max_abs_error),
                Metric("dims_recovered", self.dims_recovered, unit="dims"), Metric("scale", self.scale)]
        return out

    def verdict(self):
        """The tree rule on MAP (when graph neighbours were given) and mean distortion."""
        from embgeo.hyperbolic.verdicts import tree_verdict

        return tree_verdict(self.map_sala, self.distortion_mean, map_id="map_sala", what=f"h-MDS at dim {self.dim}, scale {self.scale:g}",
                            fix=f"try a larger {param('dim')} or another {param('scale')} (or {param('refine_steps', '--refine')} steps)")

    def table(self):
        d = self.to_dict()
        labels = [
            ("map_sala", "MAP (Sala et al.: graph neighbours)"), ("distortion_mean", "mean distortion"),
            ("distortion_worst", "worst-case distortion"), ("max_abs_error", "max |d_rec/t − D|"),
            ("n_rows", "points"), ("dim", "dimension asked"), ("dims_recovered", "dimensions recovered"),
            ("scale", "scale t"), ("centred", "centred (pseudo-Euclidean mean)"), ("solver", "eigensolver"),
            ("perron_eigenvalue", "Perron eigenvalue λ₁ of cosh(tD)"), ("eigenvalues", "eigenvalues of x₀x₀ᵀ − Y"),
            ("refine_steps", "refinement steps"), ("seconds", "seconds"),
        ]
        from embgeo.hyperbolic.display import shown

        d.update(distortion_mean=shown(self.distortion_mean), distortion_worst=shown(self.distortion_worst))
        rows = [[label, d[k]] for k, label in labels if d.get(k) is not None]
        return ["metric", "value"], rows


def points_hint_default() -> str:
    """What to do with a matrix of points instead of distances (the hint of :func:`as_distance_matrix`)."""
    where = either("embgeo.hyperbolic.reembed(X)", "'embgeo hyperbolic reembed'")
    return f"a matrix of points is re-embedded by {where} (kNN geodesics, then h-MDS)"


def as_distance_matrix(D, *, name: str = "D", tol: float = 1e-8, points_hint: str | None = None) -> np.ndarray:
    """Validate a square, symmetric, non-negative, finite distance matrix with zero diagonal.

    ``points_hint`` ends the hint of the errors that suggest ``D`` holds points (or similarities),
    not distances: negative entries, a non-zero diagonal."""
    from embgeo.validation import as_matrix, format_rows

    points_hint = points_hint or points_hint_default()
    # hyperbolic distances are not scale-free (cosh of them): values whose squares overflow are refused, never rescaled
    D = as_matrix(D, name=name, min_rows=2, dtype=np.float64, allow_nonfinite=True, rescale=False,
                  scale_hint=f"divide the distances by a constant and give a {param('scale')} to match (h-MDS works on t·D)")
    n, m = D.shape
    if n != m:
        raise EmbgeoError(f"{name} must be a square distance matrix; got shape {D.shape}", hint="give an (n, n) matrix, or an edge list for graph distances")
    bad = ~np.isfinite(D)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        i, j = np.argwhere(bad)[0]
        raise EmbgeoError(f"{name} has {int(bad.sum())} distances that are NaN or inf, in {rows.size} rows (rows {format_rows(rows)}; first D[{i},{j}] = {D[i, j]})",
                          hint="every distance must be finite; " + either("no row is dropped", "there is no --drop-nonfinite") + " for a distance matrix (a point leaves it only with its row "
                               "and column): compute the missing distances or remove those points; inf between parts of a graph: embed one connected part")
    scale = max(float(np.abs(D).max()), 1.0)
    asym = float(np.abs(D - D.T).max())
    if asym > tol * scale:
        i, j = np.unravel_index(int(np.argmax(np.abs(D - D.T))), D.shape)
        raise EmbgeoError(f"{name} is not symmetric: D[{i},{j}] = {D[i, j]:.6g} but D[{j},{i}] = {D[j, i]:.6g}", hint="symmetrise it, e.g. (D + D.T)/2")
    if D.min() < 0:
        i, j = np.unravel_index(int(np.argmin(D)), D.shape)
        raise EmbgeoError(f"{name} has a negative distance D[{i},{j}] = {D[i, j]:.6g}, so it is not a distance matrix ({int((D < 0).sum())} negative entries)",
                          hint=f"distances are ≥ 0 with 0 on the diagonal; {points_hint}")
    diag = np.abs(np.diag(D)).max()
    if diag > tol * scale:
        i = int(np.argmax(np.abs(np.diag(D))))
        k = int((np.abs(np.diag(D)) > tol * scale).sum())
        raise EmbgeoError(f"{name} has a non-zero diagonal: D[{i},{i}] = {D[i, i]:.6g} ({k} of {n} diagonal entries), but a point's distance to itself is 0",
                          hint=f"if it is a distance matrix, set the diagonal to 0; {points_hint}")
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    return D


def _top_eigh(A: np.ndarray, k: int, *, solver: str, seed) -> tuple[np.ndarray, np.ndarray]:
    """Largest-algebraic ``k`` eigenpairs of symmetric ``A`` (ascending → returned descending)."""
    n = A.shape[0]
    if solver == "dense" or k >= n - 1:
        from scipy.linalg import eigh

        w, V = eigh(A, subset_by_index=[n - k, n - 1])
    else:
        from scipy.sparse.linalg import eigsh

        from embgeo.validation import as_rng

        v0 = as_rng(seed).standard_normal(n)
        w, V = eigsh(A, k=k, which="LA", v0=v0, tol=0.0)
    o = np.argsort(w)[::-1]
    return w[o], V[:, o]


#: reconstructed distances below this fraction of the largest are round-off: the points coincide
SAME_POINT_REL = 1e-9


def hmds(
    D,
    *,
    dim: int = 2,
    scale: float = 1.0,
    centred: bool = True,
    solver: str = "auto",
    refine_steps: int = 0,
    refine_lr: float = REFINE_LR,
    positives=None,
    seed=0,
) -> HmdsResult:
    """Hyperbolic MDS of a distance matrix into the Poincaré ball of dimension ``dim``.

    Parameters
    ----------
    D : (n_points, n_points) distances (symmetric, zero diagonal).
    dim : dimension ``r`` of the ball.
    scale : ``t`` in ``Y = cosh(t·D)``; embedded distances are ``t·D`` (reported metrics
        divide by ``t`` again). Larger ``t`` makes the data more tree-like to the method.
    centred : centre at the pseudo-Euclidean mean (default, True); False mimics the public
        uncentred variant (PCA of ``−Y``), which loses dimensions.
    solver : ``"dense"`` (LAPACK), ``"partial"`` (Lanczos, scipy ``eigsh``) or ``"auto"``
        (dense up to n = 1500).
    refine_steps : optional Riemannian Adam steps (geoopt) on the mean squared relative
        error ``((d_emb/t − D)/D)²`` over all pairs, starting from the h-MDS points (0, the default: none).
    refine_lr : the learning rate of those steps (positive, default 0.01); checked always, and a value other than
        the default is refused with ``refine_steps=0`` (there is nothing for it to tune).
    positives : optional (n, n) graph neighbours (scipy.sparse or an array; non-zero = neighbour): also report
        MAP (Sala et al.). None: no MAP.
    seed : a non-negative int, a numpy Generator or None: the start vector of the partial (Lanczos) eigensolver.
        The dense solver and the refinement draw no random numbers, so with them (n ≤ 1500 under
        ``solver="auto"``) the result does not depend on it; it is checked always.

    Reference: Sala, De Sa, Gu & Ré (2018), *Representation Tradeoffs for Hyperbolic
    Embeddings*, ICML, Algorithm 2 (h-MDS) and §4 (centring).
    """
    from embgeo.validation import check_seed

    t_start = time.perf_counter()
    check_seed(seed)  # validated whatever the solver (the dense one draws nothing)
    centred = check_flag("centred", centred)
    D = as_distance_matrix(D)
    n = D.shape[0]
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise EmbgeoError(f"dim must be a whole number, got {dim!r} ({type(dim).__name__})", hint=f"e.g. {setting('dim', 2)}")
    if not 1 <= dim < n:
        raise EmbgeoError(f"{setting('dim', dim)} is not possible for {n} points: n points span at most n − 1 = {n - 1} dimension{'s' if n > 2 else ''}",
                          hint=f"give {param('dim')} between 1 and {n - 1}" if n > 2 else f"give {setting('dim', 1)}, or more points")
    dim = int(dim)
    if isinstance(scale, bool) or not (isinstance(scale, (int, float)) and scale > 0 and math.isfinite(scale)):
        raise EmbgeoError(f"scale must be a positive number; got {scale!r}")
    if solver not in ("auto", "dense", "partial"):
        raise EmbgeoError(f"solver must be auto, dense or partial; got {solver!r}")
    refine_steps = check_count("refine_steps", refine_steps, minimum=0, flag="refine", hint=f"{setting('refine_steps', 0, 'refine')}: no refinement")
    refine_lr = check_finite_number("refine_lr", refine_lr, low=0.0, closed=False)
    if refine_steps == 0 and refine_lr != REFINE_LR:  # (the command line has no learning-rate option)
        raise EmbgeoError(f"{setting('refine_lr', refine_lr)} is the learning rate of the refinement, but {setting('refine_steps', 0)} runs none: "
                          "it would be ignored", hint="give refine_steps > 0, or leave refine_lr out")
    positives = _check_positives(positives, n)
    scale = float(scale)
    if float(D.max()) == 0.0:
        raise EmbgeoError(f"every distance in the {n}×{n} matrix is 0 (all points coincide): h-MDS has nothing to embed and its "
                          "distortion (relative to distances of 0) is undefined", hint="pass the distances of distinct points")
    tmax = scale * float(D.max())
    if tmax > MAX_SCALED_DISTANCE:
        raise EmbgeoError(
            f"scale·max(D) = {tmax:.4g} exceeds {MAX_SCALED_DISTANCE:.0f}: cosh(t·D) overflows float64",
            hint=f"use {param('scale')} at most {MAX_SCALED_DISTANCE / float(D.max()):.4g}",
        )
    how = solver if solver != "auto" else ("dense" if n <= DENSE_MAX else "partial")
    Y = np.cosh(scale * D)
    notes = []
    if centred:
        lam1, u1 = _top_eigh(Y, 1, solver=how, seed=seed)
        lam1, u1 = float(lam1[0]), u1[:, 0]
        if u1.sum() < 0:
            u1 = -u1
        if (u1 <= 0).any():
            notes.append(f"the Perron vector has {(u1 <= 0).sum()} non-positive entries (not a hyperbolic distance matrix)")
        x0 = math.sqrt(lam1) * u1
        G = np.outer(x0, x0)
        G -= Y
        del Y
        w, V = _top_eigh(G, dim, solver=how, seed=seed)
    else:
        lam1 = float("nan")
        negY = -Y
        if how == "dense":
            from scipy.linalg import eigh

            ww, VV = eigh(negY)
        else:
            from scipy.sparse.linalg import eigsh

            ww, VV = eigsh(negY, k=dim, which="LM")
        o = np.argsort(-np.abs(ww))[:dim]
        w, V = ww[o], VV[:, o]
        keep = np.argsort(-w)
        w, V = w[keep], V[:, keep]
    pos = w > 0
    # eigenvalues at round-off level of the largest (the spectrum exceeds float64 range)
    roundoff = np.finfo(np.float64).eps * n * max(abs(lam1) if centred else float(np.abs(w).max()), 1.0)
    tiny = pos & (w < roundoff)
    if tiny.any():
        notes.append(f"{int(tiny.sum())} of the {dim} eigenvalues are at float64 round-off of the largest ({roundoff:.3g}): those "
                     "directions carry no distances and are set to 0 (the points span fewer dimensions, or the spectrum exceeds "
                     f"float64 range — then lower {param('scale')})")
    pos = pos & ~tiny
    k = int(pos.sum())
    if k < dim:
        notes.append(f"{k} of {dim} dimensions recovered (positive eigenvalues above round-off); the others are set to 0")
    X = np.zeros((n, dim))
    X[:, pos] = V[:, pos] * np.sqrt(w[pos])
    if refine_steps:
        X = _refine(X, D, scale=scale, steps=int(refine_steps), lr=refine_lr)
    x0r = np.sqrt(1.0 + np.einsum("ij,ij->i", X, X))
    P = X / (1.0 + x0r)[:, None]
    H = np.column_stack([x0r, X])
    d_rec = hyperboloid_pairwise(H) / scale
    # points that coincide in exact arithmetic come out at 0 or at round-off (1e-15…1e-13, which of
    # the two depends on the LAPACK build): both are the same point, counted alike on every machine
    d_rec[d_rec < SAME_POINT_REL * max(1.0, float(d_rec.max()))] = 0.0
    iu = np.triu_indices(n, 1)
    from embgeo.hyperbolic.evaluate import distortion as _distortion

    avg, worst, _ = _distortion(d_rec[iu], D[iu], scale=1.0)
    err = float(np.abs(d_rec[iu] - D[iu]).max())
    collapsed = int(np.count_nonzero((d_rec[iu] == 0) & (D[iu] > 0)))
    if collapsed:
        from embgeo.hyperbolic.display import infinite_note

        notes.append(infinite_note(f"{collapsed} pairs at positive distance landed on the same point (try a larger {param('dim')} or {param('scale')})", worst=worst)
                     or f"{collapsed} pairs at positive distance landed on the same point")
    mp = None
    if positives is not None:
        from embgeo.hyperbolic.evaluate import mean_average_precision

        mp = float(mean_average_precision(d_rec, positives).map)
    return HmdsResult(
        n_rows=n, dim=dim, scale=scale, centred=bool(centred), solver=how, dims_recovered=k, perron_eigenvalue=lam1,
        eigenvalues=w, distortion_mean=float(avg), distortion_worst=float(worst), max_abs_error=err, map_sala=mp,
        refine_steps=int(refine_steps), seconds=time.perf_counter() - t_start, coordinates=P, hyperboloid=H, notes=tuple(notes),
    )


def _check_positives(positives, n: int):
    """``positives`` as a scipy CSR matrix (n, n), or None; anything else is one line naming ``positives``."""
    if positives is None:
        return None
    import scipy.sparse as sp

    hint = "pass the graph neighbours as a scipy.sparse (n, n) matrix (non-zero = neighbour), or None"
    try:
        P = sp.csr_matrix(positives)
    except (TypeError, ValueError):
        raise EmbgeoError(f"positives must be an n × n neighbour matrix ({n} × {n}), got {type(positives).__name__}", hint=hint) from None
    if P.shape != (n, n) or P.dtype.kind not in "biuf":
        got = f"shape {P.shape}" if P.shape != (n, n) else f"dtype {P.dtype}"
        raise EmbgeoError(f"positives must be a {n} × {n} neighbour matrix of numbers (one row per point), got {got}", hint=hint)
    return P


def hyperboloid_pairwise(H: np.ndarray) -> np.ndarray:
    """Distances between rows of ``H`` (n, r+1) on the hyperboloid, via the Poincaré ball.

    With ``p = X/(1+x₀)`` and ``1 − ‖p‖² = 2/(1+x₀)``:
    ``d = acosh(1 + z)``, ``z = ½‖p−q‖²(1+x₀)(1+y₀)``, ``acosh(1+z) = log1p(z + √(z(z+2)))`` —
    no cancellation for nearby points (``x₀y₀ − X·Y`` loses them).
    """
    from scipy.spatial.distance import cdist

    x0 = H[:, 0]
    P = H[:, 1:] / (1.0 + x0)[:, None]
    z = 0.5 * cdist(P, P, "sqeuclidean") * np.outer(1.0 + x0, 1.0 + x0)
    return np.log1p(z + np.sqrt(z * (z + 2.0)))


def _refine(X: np.ndarray, D: np.ndarray, *, scale: float, steps: int, lr: float) -> np.ndarray:
    """Riemannian Adam (geoopt) on the mean squared relative distance error, float64."""
    import geoopt
    import torch

    n = X.shape[0]
    ball = geoopt.PoincareBall(c=1.0)
    x0 = np.sqrt(1.0 + np.einsum("ij,ij->i", X, X))
    P = torch.as_tensor(X / (1.0 + x0)[:, None], dtype=torch.float64)
    p = geoopt.ManifoldParameter(ball.projx(P), manifold=ball)
    opt = geoopt.optim.RiemannianAdam([p], lr=lr)
    Dt = torch.as_tensor(D, dtype=torch.float64)
    iu = torch.triu_indices(n, n, 1)
    target = Dt[iu[0], iu[1]]
    keep = target > 0
    i0, i1, target = iu[0][keep], iu[1][keep], target[keep]
    for _ in range(steps):
        opt.zero_grad()
        d = ball.dist(p[i0], p[i1]) / scale
        loss = (((d - target) / target) ** 2).mean()
        loss.backward()
        opt.step()
    Pn = p.detach().numpy()
    sq = np.einsum("ij,ij->i", Pn, Pn)
    return 2.0 * Pn / (1.0 - sq)[:, None]  # Poincaré → hyperboloid space part


from embgeo._callable import make_callable  # noqa: E402

make_callable(__name__, "hmds")
