"""Poincaré embeddings of hierarchies (Nickel & Kiela 2017), trained with geoopt.

Objective (Nickel & Kiela 2017, eq. 6): for every positive pair ``(u, v)`` of
the data set (the transitive closure of a hierarchy, or the edges of a graph)

    L(u, v) = −log( exp(−d(u, v)) / Σ_{v' ∈ N(u) ∪ {v}} exp(−d(u, v')) )

with ``N(u)`` = ``negatives`` (default 50) nodes sampled uniformly among the
nodes that are *not* positives of ``u`` (neither ancestors nor descendants, and
not ``u``). ``d`` is the Poincaré-ball distance ``arcosh(1 + 2‖u−v‖² /
((1−‖u‖²)(1−‖v‖²)))`` (or, with ``model="lorentz"``, the hyperboloid distance
``arcosh(−⟨u, v⟩_L)`` of Nickel & Kiela 2018, whose gradients stay well
conditioned far from the origin). Parameters live on geoopt's ``PoincareBall``
(or ``Lorentz``) manifold and are updated by ``RiemannianAdam`` (default) or
``RiemannianSGD``, which rescale the Euclidean gradient by the inverse metric
``((1 − ‖x‖²)/2)²`` and retract with the exponential map; geoopt projects every
point to ``‖x‖ ≤ 1 − 1e-5`` (float64) so nothing reaches the boundary.

Speed: pairs are processed in batches; a batch is split into groups of
``share_negatives`` pairs that draw one set of ``negatives`` nodes together
(each pair still sees ``negatives`` candidates; any that is a positive of that
pair is masked out of its softmax), so the candidate distances are one batched
GEMM instead of a gather of ``batch × negatives × dim`` coordinates —
about 3× less CPU per epoch, at the same MAP per epoch on mammals.
``share_negatives=1`` gives every pair its own sample, as in the original code.

Burn-in (Nickel & Kiela §3): the first ``burnin`` epochs run at
``lr × burnin_factor`` with negatives drawn ∝ degree^0.75, which places the
nodes in a rough layout before the full-rate updates spread them out.

float64 is the default: in float32 geoopt clips points at ``‖x‖ ≤ 1 − 4e-3``,
which caps the usable radius (distance 6.2 from the origin) and the MAP
(0.79 vs 0.95 on mammals, DESIGN.md).

torch and geoopt are imported inside the functions.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from embgeo.errors import EmbgeoError, param, setting
from embgeo.hyperbolic.checkpoints import load_checkpoint, save_checkpoint
from embgeo.hyperbolic.graphs import Hierarchy, transitive_closure
from embgeo.results import Result
from embgeo.validation import as_rng

OPTIMIZERS = ("radam", "rsgd")
#: largest distance from the origin a Lorentz-model point may reach, per dtype
LORENTZ_MAX_RADIUS = {"float64": 20.0, "float32": 8.0}
MODELS = ("poincare", "lorentz")


@dataclass(frozen=True, slots=True)
class TrainConfig(Result):
    """Every setting of a training run (stored in the output and in checkpoints)."""

    dim: int = 10
    epochs: int = 300
    negatives: int = 50
    lr: float = 0.03
    batch_size: int = 256
    share_negatives: int = 16
    burnin: int = 20
    burnin_factor: float = 0.1
    optimizer: str = "radam"
    model: str = "poincare"
    c: float = 1.0
    dtype: str = "float64"
    seed: int = 0
    init_scale: float = 1e-3
    eval_every: int = 25
    target_map: float | None = None
    patience: int | None = None
    threads: int = 1
    sparse: bool = False
    holdout: float = 0.0


#: above this many nodes training defaults to sparse row updates (dense Adam moves every row each step)
SPARSE_MIN_NODES = 20_000


@dataclass(frozen=True, slots=True)
class PoincareEmbedding(Result):
    """A trained embedding and how the training went.

    ``coordinates`` (n_nodes, dim) are points of the Poincaré ball of curvature −c
    (converted from the hyperboloid when ``model="lorentz"``; the hyperboloid
    points are in ``lorentz``). ``history``: one entry per evaluation
    ``{epoch, loss, map, mean_rank, cpu_seconds}``.
    """

    coordinates: np.ndarray = field(repr=False)
    ids: np.ndarray = field(repr=False)
    config: TrainConfig
    epochs_run: int
    loss: float
    map: float | None
    mean_rank: float | None
    stopped: str  # "epochs", "target_map" or "patience"
    seconds: float
    cpu_seconds: float
    history: list = field(default_factory=list, repr=False)
    lorentz: np.ndarray | None = field(default=None, repr=False)
    holdout: np.ndarray | None = field(default=None, repr=False)  # (k, 2) node ids held out of training

    def metrics(self):
        from embgeo.hyperbolic.verdicts import map_status
        from embgeo.results import Metric

        out = []
        if self.map is not None:
            v = self.verdict()
            out.append(Metric("map", self.map, status=v.status if v.decided_by == "map" else map_status(self.map)))
        if self.mean_rank is not None:
            out.append(Metric("mean_rank", self.mean_rank, unit="rank"))
        out += [Metric("loss", self.loss), Metric("epochs_run", self.epochs_run, unit="epochs"),
                Metric("cpu_seconds", self.cpu_seconds, unit="s")]
        if self.holdout is not None:
            out.append(Metric("holdout_pairs", int(self.holdout.shape[0]), unit="pairs"))
        return out

    def verdict(self):
        """Reconstruction MAP (Nickel–Kiela, on the pairs trained on) against ok ≥ 0.9, warn ≥ 0.5."""
        from embgeo.hyperbolic.verdicts import MAP_OK, MAP_WARN, map_status
        from embgeo.results import Verdict

        if self.map is None or not np.isfinite(self.map):
            return Verdict("info", "no MAP was computed")
        st = map_status(self.map)
        fix = {"ok": "", "warn": f"train longer ({param('epochs')}), in more dimensions ({param('dim')}), or with {param('target_map')}",
               "bad": f"train longer in more dimensions; check {param('orientation')} (child → parent)"}[st]
        return Verdict(st, f"reconstruction MAP {self.map:.3f} (map: Nickel–Kiela; ok ≥ {MAP_OK}, warn ≥ {MAP_WARN}) after {self.epochs_run} epochs", fix, "map")

    def to_dict(self) -> dict:
        from embgeo.results import jsonable

        return {
            "n_nodes": int(self.coordinates.shape[0]),
            "n_rows": int(self.coordinates.shape[0]),
            "n_dims": int(self.coordinates.shape[1]),
            "dim": int(self.coordinates.shape[1]),
            "model": self.config.model,
            "c": float(self.config.c),
            "epochs_run": int(self.epochs_run),
            "loss": float(self.loss),
            "map": None if self.map is None else float(self.map),
            "mean_rank": None if self.mean_rank is None else float(self.mean_rank),
            "stopped": self.stopped,
            "seconds": float(self.seconds),
            "cpu_seconds": float(self.cpu_seconds),
            "max_norm": float(np.sqrt((self.coordinates**2).sum(1)).max()),
            "config": jsonable(asdict(self.config)),
            "history": jsonable(self.history),
            "holdout": float(self.config.holdout),
            "holdout_pairs": None if self.holdout is None else int(self.holdout.shape[0]),
        }

    def table(self):
        d = self.to_dict()
        keys = ["n_nodes", "dim", "model", "epochs_run", "loss", "map", "mean_rank", "stopped", "seconds", "cpu_seconds", "max_norm", "holdout_pairs"]
        return ["metric", "value"], [[k, d[k]] for k in keys if d[k] is not None]


def _check_config(cfg: TrainConfig) -> None:
    def bad(name, value, want):
        raise EmbgeoError(f"{param(name)} must be {want}, got {value!r}")

    if cfg.dim < 1:
        bad("dim", cfg.dim, "at least 1")
    if cfg.epochs < 0:
        bad("epochs", cfg.epochs, "≥ 0")
    if cfg.negatives < 1:
        bad("negatives", cfg.negatives, "at least 1")
    if not (cfg.lr > 0 and np.isfinite(cfg.lr)):
        bad("lr", cfg.lr, "a positive number")
    if cfg.batch_size < 1:
        bad("batch_size", cfg.batch_size, "at least 1")
    if cfg.share_negatives < 1:
        bad("share_negatives", cfg.share_negatives, "at least 1")
    if cfg.burnin < 0:
        bad("burnin", cfg.burnin, "≥ 0")
    if not (0 < cfg.burnin_factor <= 1):
        bad("burnin_factor", cfg.burnin_factor, "in (0, 1]")
    if cfg.optimizer not in OPTIMIZERS:
        bad("optimizer", cfg.optimizer, " or ".join(OPTIMIZERS))
    if cfg.model not in MODELS:
        bad("model", cfg.model, " or ".join(MODELS))
    if cfg.dtype not in ("float64", "float32"):
        bad("dtype", cfg.dtype, "float64 or float32")
    if not (cfg.c > 0):
        bad("c", cfg.c, "positive (curvature −c)")
    if cfg.eval_every < 0:
        bad("eval_every", cfg.eval_every, "≥ 0 (0: only at the end)")
    if cfg.threads < 1:
        bad("threads", cfg.threads, "at least 1")
    if not (0.0 <= cfg.holdout < 1.0):
        bad("holdout", cfg.holdout, "a fraction in [0, 1)")


class _PairSampler:
    """Positive pairs and the sorted keys ``u·n + w`` of every pair that must not be a negative."""

    def __init__(self, h: Hierarchy):
        n = h.n_nodes
        self.n = n
        e = h.edges.astype(np.int64)
        self.pairs = e
        forbid = np.r_[e[:, 0] * n + e[:, 1], e[:, 1] * n + e[:, 0], np.arange(n, dtype=np.int64) * (n + 1)]
        self.forbidden = np.unique(forbid)
        deg = np.bincount(e.ravel(), minlength=n).astype(np.float64) ** 0.75
        self.degree_p = deg / deg.sum()
        self.degree_cdf = np.cumsum(self.degree_p)

    def is_forbidden(self, keys: np.ndarray) -> np.ndarray:
        loc = np.searchsorted(self.forbidden, keys)
        return self.forbidden[np.minimum(loc, self.forbidden.size - 1)] == keys

    def negatives(self, rng, size, *, by_degree: bool) -> np.ndarray:
        if by_degree:
            idx = np.searchsorted(self.degree_cdf, rng.random(size) * self.degree_cdf[-1], side="right")
            return np.minimum(idx, self.n - 1)
        return rng.integers(0, self.n, size=size)


def _training_pairs(h: Hierarchy) -> Hierarchy:
    """The closure of a DAG (as it is, when closed); both directions of an undirected graph's
    edges, so that every node is the anchor ``u`` of its own softmax."""
    if h.directed:
        return h if h.closed else transitive_closure(h)
    from dataclasses import replace

    both = np.concatenate([h.edges, h.edges[:, ::-1]])
    return replace(h, edges=np.ascontiguousarray(both), weights=None)


def train_poincare(
    h: Hierarchy,
    *,
    dim: int = 10,
    epochs: int = 300,
    negatives: int = 50,
    lr: float = 0.03,
    batch_size: int = 256,
    share_negatives: int = 16,
    burnin: int = 20,
    burnin_factor: float = 0.1,
    optimizer: str = "radam",
    model: str = "poincare",
    c: float = 1.0,
    dtype: str = "float64",
    seed: int = 0,
    init_scale: float = 1e-3,
    eval_every: int = 25,
    target_map: float | None = None,
    patience: int | None = None,
    threads: int = 1,
    sparse: bool | None = None,
    callback=None,
    checkpoint: str | Path | None = None,
    checkpoint_every: int | None = None,
    resume: str | Path | None = None,
    device: str = "cpu",
    holdout: float = 0.0,
) -> PoincareEmbedding:
    """Train a Poincaré (or Lorentz-model) embedding of ``h`` with the Nickel–Kiela objective.

    Parameters
    ----------
    h : the hierarchy (a DAG is trained on its transitive closure) or graph (its edges).
    dim : embedding dimension (the ball's; Lorentz points have ``dim + 1`` coordinates).
    device : torch device of the parameters and the loss (``"cpu"`` or ``"cuda"``).
    epochs : passes over the positive pairs (the run may stop earlier, see below).
    negatives : sampled non-positive nodes per pair (default 50, as the paper).
    lr, optimizer : learning rate of ``radam`` (geoopt RiemannianAdam, default 0.03)
        or ``rsgd`` (RiemannianSGD; try lr ≈ 1).
    batch_size, share_negatives : pairs per step, pairs per shared negative sample.
    burnin, burnin_factor : epochs at ``lr × burnin_factor`` with degree^0.75 negatives.
    model : ``poincare`` or ``lorentz``; ``c``: curvature −c; ``dtype``: float64 (default) or float32.
    seed : makes the run reproducible (same seed, same thread count → same numbers).
    init_scale : initial coordinates uniform in ``[−init_scale, init_scale]``.
    eval_every : reconstruction MAP (Nickel–Kiela) every this many epochs (0: only at the end).
    target_map : stop once MAP ≥ this. patience : stop after this many evaluations without
        a MAP gain of 1e-4.
    sparse : None (default) → True above SPARSE_MIN_NODES nodes. True: update only the rows a step touches (geoopt's SparseRiemannianAdam/SGD on sparse
        row gradients: moments of untouched rows stay as they are, as in the paper's sparse
        RSGD). Dense steps move every row each step, which dominates the time on large
        hierarchies (74k WordNet nouns); sparse steps cost O(batch), not O(n).
    threads : torch intra-op threads during training (restored afterwards). Default 1: the
        per-step tensors are small (batch × negatives), and on the 2-core bench machine two
        threads cost 6–9× more CPU *and* wall time per epoch than one (docs/benchmarks.md).
    callback : ``callback(epoch, loss, map)`` after every epoch (``map`` is None between
        evaluations) — the CLI draws its progress bar with it.
    checkpoint, checkpoint_every : write a resumable ``.npz`` checkpoint (atomically) every
        this many epochs and at the end. resume : continue from such a checkpoint; the
        result equals an uninterrupted run with the same settings.
    holdout : fraction of the training pairs held out for link prediction (0: none), drawn with
        ``seed`` among pairs that touch neither a root nor a leaf
        (:func:`embgeo.hyperbolic.linkpred.holdout_pairs`); the result's ``holdout`` lists them
        and :func:`save_embedding` stores them for ``evaluate_embedding(holdout=...)``.
    """
    from embgeo.hyperbolic.evaluate import require_hierarchy

    h = require_hierarchy(h)  # an edge list or an array: a one-line error saying how to build a Hierarchy
    cfg = TrainConfig(
        dim=int(dim), epochs=int(epochs), negatives=int(negatives), lr=float(lr), batch_size=int(batch_size),
        share_negatives=int(share_negatives), burnin=int(burnin), burnin_factor=float(burnin_factor), optimizer=optimizer,
        model=model, c=float(c), dtype=dtype, seed=int(seed), init_scale=float(init_scale), eval_every=int(eval_every),
        target_map=None if target_map is None else float(target_map), patience=None if patience is None else int(patience), threads=int(threads),
        sparse=default_sparse(h.n_nodes, resume) if sparse is None else bool(sparse), holdout=float(holdout or 0.0),
    )
    _check_config(cfg)
    import torch

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        return _train(h, cfg, callback=callback, checkpoint=checkpoint, checkpoint_every=checkpoint_every, resume=resume, device=device)
    finally:
        torch.set_num_threads(previous_threads)


def default_sparse(n_nodes: int, resume) -> bool:
    """Sparse above SPARSE_MIN_NODES nodes; a resumed run keeps its checkpoint's choice (dense before it was recorded)."""
    if resume is not None:
        try:
            with np.load(Path(resume), allow_pickle=False) as z:
                return bool(json.loads(str(z["meta"])).get("config", {}).get("sparse", False))
        except Exception:  # not a checkpoint: load_checkpoint says so with a one-line error
            pass
    return n_nodes > SPARSE_MIN_NODES


def _acosh1p(z):
    import torch

    z = z.clamp_min(1e-15)  # keeps the gradient of √z finite when two points coincide
    return torch.log1p(z + torch.sqrt(z * (z + 2.0)))


def _guard_lorentz(X, before, opt, *, max_x0: float, sinh_max: float) -> None:
    """After a Lorentz step: rows whose update overflowed (geoopt's expmap/transport far from the
    origin: cosh·x with x₀ ~ 1e8) get their previous value back and a fresh optimizer state;
    points beyond the radius cap are pulled back along their direction; ``x₀`` is re-projected
    to ``√(1/c + ‖x_{1:}‖²)``."""
    import torch

    with torch.no_grad():  # branch-free: no device→host sync per step on a GPU
        bad = ~torch.isfinite(X).all(dim=1, keepdim=True)
        X.copy_(torch.where(bad, before, X))
        for val in opt.state.get(X, {}).values():
            if torch.is_tensor(val) and val.shape == X.shape:
                val.masked_fill_(bad, 0.0)
        space = X[:, 1:]
        norm = space.norm(dim=1, keepdim=True)
        far = (X[:, :1] > max_x0) | (norm > sinh_max)
        space.mul_(torch.where(far, sinh_max / norm.clamp_min(1e-300), torch.ones_like(norm)))
        X[:, :1] = torch.sqrt(X.manifold.k + space.pow(2).sum(dim=1, keepdim=True))


def _train(h: Hierarchy, cfg: TrainConfig, *, callback, checkpoint, checkpoint_every, resume, device="cpu") -> PoincareEmbedding:
    import geoopt
    import torch

    from embgeo.hyperbolic.evaluate import evaluate_embedding
    from embgeo.hyperbolic.math import lorentz_to_poincare, poincare_to_lorentz

    t_wall, t_cpu = time.perf_counter(), time.process_time()
    data = _training_pairs(h)
    held_ids = None
    if cfg.holdout > 0:
        from dataclasses import replace

        from embgeo.hyperbolic.linkpred import holdout_pairs

        keep, held = holdout_pairs(h, cfg.holdout, seed=cfg.seed)
        data = replace(data, edges=np.ascontiguousarray(keep), weights=None)  # still 'closed': held pairs are not re-derived
        held_ids = h.ids[held].astype(str)
    if data.n_edges == 0:
        raise EmbgeoError("the hierarchy has no pairs to train on")
    n, d, K, G = h.n_nodes, cfg.dim, cfg.negatives, cfg.share_negatives
    sampler = _PairSampler(data)
    tdtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    c = cfg.c
    sc = float(np.sqrt(c))

    base = as_rng(cfg.seed)
    init = base.uniform(-cfg.init_scale, cfg.init_scale, size=(n, d))
    # one seed per epoch, drawn up front: prefix-stable, so a resumed run replays the same epochs
    epoch_seeds = base.integers(0, 2**62, size=max(cfg.epochs, 1))
    dev = torch.device(device)  # "cuda" runs the steps on a GPU; sampling stays on the CPU

    if cfg.model == "poincare":
        manifold = geoopt.PoincareBall(c=c)
        start = init
    else:
        manifold = geoopt.Lorentz(k=torch.tensor(1.0 / c, dtype=tdtype, device=dev))
        start = poincare_to_lorentz(init, c=c)
    X = geoopt.ManifoldParameter(torch.tensor(start, dtype=tdtype, device=dev), manifold=manifold)
    if cfg.sparse:
        Opt = geoopt.optim.SparseRiemannianAdam if cfg.optimizer == "radam" else geoopt.optim.SparseRiemannianSGD
    else:
        Opt = geoopt.optim.RiemannianAdam if cfg.optimizer == "radam" else geoopt.optim.RiemannianSGD
    opt = Opt([X], lr=cfg.lr)

    history: list[dict] = []
    first_epoch = 0
    if resume is not None:
        first_epoch, history = load_checkpoint(resume, cfg, X, opt, n)

    def to_ball(arr: np.ndarray) -> np.ndarray:
        return arr if cfg.model == "poincare" else lorentz_to_poincare(arr, c=c)

    def evaluate() -> tuple[float, float]:
        r = evaluate_embedding(to_ball(X.detach().to(torch.float64).cpu().numpy()), data, protocol="nk", c=c)
        return r.map, r.mean_rank

    def dist_pos(U, V):
        if cfg.model == "poincare":
            nu, nv = U.pow(2).sum(-1), V.pow(2).sum(-1)
            return _acosh1p(2.0 * c * (U - V).pow(2).sum(-1) / ((1.0 - c * nu) * (1.0 - c * nv))) / sc
        inner = -U[:, 0] * V[:, 0] + (U[:, 1:] * V[:, 1:]).sum(-1)
        return _acosh1p(-c * inner - 1.0) / sc

    def dist_neg(Ug, N):  # (g, G, d'), (g, K, d') -> (g, G, K)
        if cfg.model == "poincare":
            nu, nn_ = Ug.pow(2).sum(-1), N.pow(2).sum(-1)
            sq = (nu.unsqueeze(2) + nn_.unsqueeze(1) - 2.0 * torch.bmm(Ug, N.transpose(1, 2))).clamp_min(0.0)
            return _acosh1p(2.0 * c * sq / ((1.0 - c * nu).unsqueeze(2) * (1.0 - c * nn_).unsqueeze(1))) / sc
        Uf = torch.cat([-Ug[..., :1], Ug[..., 1:]], dim=-1)
        inner = torch.bmm(Uf, N.transpose(1, 2))
        return _acosh1p(-c * inner - 1.0) / sc

    # Lorentz points are kept within distance LORENTZ_MAX_RADIUS of the origin (the ball's
    # projection plays this role for model="poincare"): beyond it cosh overflows the products
    radius = LORENTZ_MAX_RADIUS[cfg.dtype]
    max_x0, sinh_max = float(np.cosh(radius)) / sc, float(np.sinh(radius)) / sc
    pairs = sampler.pairs
    m_all = pairs.shape[0]
    best_map, since_best = -np.inf, 0
    last_map = last_rank = None
    if history:
        last_map, last_rank = history[-1].get("map"), history[-1].get("mean_rank")
        best_map = max((e["map"] for e in history if e.get("map") is not None), default=-np.inf)
    stopped = "epochs"
    loss_epoch = float("nan")
    epoch = first_epoch
    for epoch in range(first_epoch, cfg.epochs):
        rng = as_rng(int(epoch_seeds[epoch]))
        burn = epoch < cfg.burnin
        for g in opt.param_groups:
            g["lr"] = cfg.lr * (cfg.burnin_factor if burn else 1.0)
        perm = rng.permutation(m_all)
        total, count = torch.zeros((), dtype=torch.float64, device=dev), 0
        for s in range(0, m_all, cfg.batch_size):
            b = pairs[perm[s:s + cfg.batch_size]]
            m = b.shape[0]
            groups = -(-m // G)
            pad = groups * G - m
            u, v = b[:, 0], b[:, 1]
            neg = sampler.negatives(rng, (groups, K), by_degree=burn)
            up = np.r_[u, np.full(pad, u[0])] if pad else u
            bad = sampler.is_forbidden(up.reshape(groups, G, 1) * n + neg[:, None, :])
            ut, vt, nt = torch.from_numpy(up).to(dev), torch.from_numpy(v).to(dev), torch.from_numpy(neg).to(dev)
            U = torch.nn.functional.embedding(ut, X, sparse=cfg.sparse)
            V = torch.nn.functional.embedding(vt, X, sparse=cfg.sparse)
            N = torch.nn.functional.embedding(nt, X, sparse=cfg.sparse)
            dp = dist_pos(U[:m], V)
            dn = dist_neg(U.view(groups, G, -1), N).masked_fill(torch.from_numpy(bad).to(dev), float("inf")).reshape(groups * G, K)[:m]
            logits = torch.cat([-dp.unsqueeze(1), -dn], dim=1)
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(m, dtype=torch.long, device=dev), reduction="sum")
            opt.zero_grad(set_to_none=True)
            (loss / m).backward()
            if cfg.model == "lorentz":
                before = X.detach().clone()
                opt.step()
                _guard_lorentz(X, before, opt, max_x0=max_x0, sinh_max=sinh_max)
            else:
                opt.step()
            total += loss.detach()  # summed on the device: one sync per epoch, not per step
            count += m
        loss_epoch = float(total) / max(count, 1)
        if not np.isfinite(loss_epoch) or not torch.isfinite(X.detach()).all():
            raise EmbgeoError(f"training diverged at epoch {epoch + 1} (loss {loss_epoch})", hint=f"lower {param('lr')}, or use {setting('dtype', 'float64')} / {setting('model', 'lorentz')}")
        done = epoch + 1
        map_now = None
        if (cfg.eval_every and done % cfg.eval_every == 0) or done == cfg.epochs:
            last_map, last_rank = evaluate()
            map_now = last_map
            history.append({"epoch": done, "loss": loss_epoch, "map": last_map, "mean_rank": last_rank, "cpu_seconds": time.process_time() - t_cpu})
            if last_map > best_map + 1e-4:
                best_map, since_best = last_map, 0
            else:
                since_best += 1
        if callback is not None:
            callback(done, loss_epoch, map_now)
        if checkpoint is not None and checkpoint_every and done % checkpoint_every == 0:
            save_checkpoint(checkpoint, cfg, X, opt, done, history, h)
        if map_now is not None and cfg.target_map is not None and map_now >= cfg.target_map:
            stopped = "target_map"
            break
        if map_now is not None and cfg.patience is not None and since_best >= cfg.patience:
            stopped = "patience"
            break
    epochs_run = max(first_epoch, epoch + 1) if cfg.epochs > first_epoch else first_epoch
    if last_map is None or (history and history[-1]["epoch"] != epochs_run):
        last_map, last_rank = evaluate()
        history.append({"epoch": epochs_run, "loss": loss_epoch, "map": last_map, "mean_rank": last_rank, "cpu_seconds": time.process_time() - t_cpu})
    if checkpoint is not None:
        save_checkpoint(checkpoint, cfg, X, opt, epochs_run, history, h)
    raw = X.detach().to(torch.float64).cpu().numpy().copy()
    return PoincareEmbedding(
        coordinates=to_ball(raw), ids=h.ids.copy(), config=cfg, epochs_run=epochs_run, loss=loss_epoch,
        map=last_map, mean_rank=last_rank, stopped=stopped, seconds=time.perf_counter() - t_wall,
        cpu_seconds=time.process_time() - t_cpu, history=history, lorentz=raw if cfg.model == "lorentz" else None, holdout=held_ids,
    )


# --------------------------------------------------------------------------- saved embeddings
def save_embedding(path, result: PoincareEmbedding) -> None:
    """Write ``result`` atomically as ``.npz``: ``embeddings`` (n_nodes, dim) ball coordinates,
    ``ids``, ``curvature`` (c), ``model``, ``config`` and ``history`` (JSON), and ``lorentz``
    (n_nodes, dim + 1) hyperboloid points when trained with ``model="lorentz"``. Any embgeo
    command reads the ``embeddings`` key with its ids."""
    from embgeo.io.writers import save_npz
    from embgeo.results import jsonable

    arrays = {
        "embeddings": result.coordinates,
        "ids": result.ids.astype(str),
        "curvature": np.array(result.config.c),
        "model": np.array(result.config.model),
        "config": np.array(json.dumps(jsonable(asdict(result.config)))),
        "history": np.array(json.dumps(jsonable(result.history))),
    }
    if result.lorentz is not None:
        arrays["lorentz"] = result.lorentz
    if result.holdout is not None:
        arrays["holdout"] = np.asarray(result.holdout).astype(str)
    save_npz(path, **arrays)


def embedding_metadata(spec) -> dict:
    """``{"curvature": c, "model": ..., "holdout": (k, 2) ids, "produced_by": "train"}`` from an ``.npz``
    written by :func:`save_embedding` (``{}`` for any other file)."""
    from embgeo.io.readers import split_spec

    p, _ = split_spec(spec)
    if p.suffix.lower() != ".npz" or not p.exists():
        return {}
    try:
        with np.load(p, allow_pickle=False) as z:
            out = {}
            if "curvature" in z.files and z["curvature"].shape == ():
                out["curvature"] = float(z["curvature"])
            if "model" in z.files and z["model"].dtype.kind == "U":
                out["model"] = str(z["model"])
            if "holdout" in z.files and z["holdout"].ndim == 2 and z["holdout"].shape[1] == 2:
                out["holdout"] = z["holdout"].astype(str)
            if "config" in z.files and "history" in z.files:
                out["produced_by"] = "train"
            return out
    except (ValueError, OSError):
        return {}
