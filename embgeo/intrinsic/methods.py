"""The method registry of ``embgeo id``: which names ``--method`` accepts, which of them read
nearest-neighbour distances, and how many neighbours (and rows) the asked ones need."""
from __future__ import annotations

from embgeo.arguments import method_list
from embgeo.errors import EmbgeoError, either, param
from embgeo.intrinsic.corrected import INTERIOR_K

# --- the method registry: one name per method, in the order tables show them ----------------
#: every method ``--method`` accepts (``all`` = every one)
METHODS = ("twonn", "mle", "gride", "calibrated", "pca", "rankme", "entropy")
#: the intrinsic-dimension estimators: they read nearest-neighbour distances (one shared search)
NEIGHBOR_METHODS = ("twonn", "mle", "gride", "calibrated")
#: the spectral (linear) measures: they read the eigenvalues of the scatter matrix
SPECTRAL_METHODS = ("pca", "rankme", "entropy")

#: the peers' defaults shown next to embgeo's (skdim / DADApy): TwoNN linear fit with discard 0.1, MLE at k = 20
PEER_TWONN_DISCARD = 0.1
PEER_MLE_K = 20


def parse_methods(methods) -> tuple[str, ...]:
    """``"twonn,mle"`` / ``["twonn", "mle,pca"]`` / ``["all"]`` → validated method names in canonical order.
    Anything else (a number, an empty list, a list holding a non-name) is refused naming ``methods``."""
    names = set()
    for m in method_list("methods", methods, flag="method", examples=("twonn", "mle")):
        m = m.replace(" ", "").lower()
        if m == "all":  # calibrated is opt-in: its first call at a given n measures reference curves
            names.update(x for x in METHODS if x != "calibrated")
        elif m in METHODS:
            names.add(m)
        else:
            raise EmbgeoError(f"unknown method {m!r}; choose from {', '.join(METHODS)} or all", hint=either("e.g. methods=('twonn', 'mle')", "e.g. --method twonn,mle"))
    return tuple(m for m in METHODS if m in names)


def check_enough_rows(n: int, methods, *, k: int, gride_max: int) -> None:
    """Raise, naming the estimator and the option, when ``n`` rows cannot give the neighbours asked for."""
    need = neighbors_needed(methods, k=k, gride_max=gride_max)
    if need and n < need + 2:
        why = f"GRIDE up to {param('gride_max')}" if "gride" in methods and need == gride_max else (
            f"MLE up to {param('k')}" if "mle" in methods and need == k else ("the calibrated estimate" if "calibrated" in methods and need == INTERIOR_K else "TwoNN"))
        raise EmbgeoError(f"X has {n} rows; {why} needs {need} neighbours, so at least {need + 2} rows",
                          hint=f"lower {param('gride_max')} / {param('k')}, or pick estimators with " + either("methods (e.g. methods=('twonn', 'pca'))", "-m (e.g. -m twonn,pca)"))


def neighbors_needed(methods, *, k: int, gride_max: int) -> int:
    """The largest neighbour order the asked neighbour estimators read (0: none asked)."""
    need = 0
    if "twonn" in methods:
        need = max(need, 2)
    if "calibrated" in methods:
        need = max(need, INTERIOR_K)  # the interior points: how well their 10 nearest neighbours surround them
    if "mle" in methods:
        need = max(need, k)
    if "gride" in methods:
        need = max(need, gride_max)
    return need
