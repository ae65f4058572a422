"""The argument checks of :func:`~embgeo.rank.core.rank_axes` and :func:`~embgeo.rank.core.score_axis`.

Each raises an :class:`~embgeo.errors.EmbgeoError` in one line naming the argument before anything is fitted:
the data (:func:`check_inputs`: ``X``, the attribute ``y`` — one value per row, never a flattened matrix —,
``groups``, the yes/no settings), and the settings that a call would ignore (:func:`refuse_unused`: the MLP's
width without the MLP, the ``anchors_best`` settings without that method).
"""
from __future__ import annotations

import numpy as np

from embgeo.arguments import check_attribute, check_attribute_name, check_flag
from embgeo.errors import EmbgeoError, param, setting, surface
from embgeo.rank.results import TRANSFORMS
from embgeo.validation import as_matrix, zero_rows_hint

#: the defaults of the settings :func:`refuse_unused` checks (those of ``rank_axes``' signature)
MLP_HIDDEN, N_ANCHOR_PAIRS, VALIDATION = 64, 20, 0.5


def check_y(y, *, name: str = "y") -> None:
    """Refuse an attribute that is not one value per row: 1-D, or a single column ``(n, 1)``; a ``(40, 2)`` array
    would otherwise be flattened into 80 values and paired with 80 rows."""
    try:
        shape = tuple(int(s) for s in np.shape(y))
    except (TypeError, ValueError):  # ragged: check_attribute says what it holds
        return
    if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
        raise EmbgeoError(f"{name} must hold one value per row (1-D, or one column), got an array of shape {shape}",
                          hint=f"pass one attribute at a time, e.g. {name}[:, 0]")


def check_inputs(X, y, groups, *, n_folds, transform, normalize, center, attribute="attribute"):
    """``(X, y, groups)`` of :func:`~embgeo.rank.core.rank_axes` checked: the attribute's name (text), ``transform``,
    ``n_folds`` (≥ 2), ``normalize``/``center`` (True or False), ``X`` (no all-zero row when normalising without
    centring), ``y`` (one number per row, :func:`check_y`), ``groups`` (one per row)."""
    attribute = check_attribute_name(attribute)
    if not isinstance(transform, str) or transform not in TRANSFORMS:
        raise EmbgeoError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
    if isinstance(n_folds, (bool, np.bool_)) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise EmbgeoError(f"{param('n_folds', '--folds')} must be an integer ≥ 2, got {n_folds!r}", hint=f"e.g. {setting('n_folds', 5, '--folds')}")
    normalize, center = check_flag("normalize", normalize), check_flag("center", center, flag="centre")
    source = getattr(X, "source", None) if hasattr(X, "matrix") else None  # an EmbeddingSet names its file
    X = as_matrix(X, name=source if source and source != "<array>" else "X", min_rows=2, allow_zero_rows=not normalize or center,
                  zero_hint=zero_rows_hint(normalize="no-normalize"))
    check_y(y)
    y = check_attribute(y, X.shape[0], attribute=attribute)
    if groups is not None:
        groups = np.asarray(groups).reshape(-1)
        if groups.size != X.shape[0]:
            raise EmbgeoError(f"groups has {groups.size} values for {X.shape[0]} rows")
    return X, y, groups


def refuse_unused(methods, *, baselines: bool, mlp: bool, mlp_hidden: int, n_anchor_pairs: int, validation: float) -> None:
    """Refuse a setting given another value than its default where this call would ignore it: ``mlp_hidden``
    without the MLP ceiling (``mlp`` and ``baselines``), ``n_anchor_pairs``/``validation`` without ``anchors_best``
    in ``methods`` (as ``anchor_rows`` is refused without an anchor method). The anchor settings are refused from
    Python only: the command line passes its ``--anchor-pairs``/``--validation`` whatever ``--method`` says."""
    if mlp_hidden != MLP_HIDDEN and not (mlp and baselines):
        raise EmbgeoError(f"mlp_hidden={mlp_hidden} sizes the MLP ceiling, which {'mlp=False' if baselines else 'baselines=False'} "
                          "switches off; it would be ignored", hint="leave mlp_hidden out, or pass mlp=True, baselines=True")
    if "anchors_best" in methods or surface() != "python":
        return
    given = [f"{name}={value!r}" for name, value, default in (("n_anchor_pairs", n_anchor_pairs, N_ANCHOR_PAIRS), ("validation", validation, VALIDATION))
             if value != default]
    if given:
        raise EmbgeoError(f"{', '.join(given)} given but methods has no 'anchors_best'; {'it' if len(given) == 1 else 'they'} would be ignored",
                          hint="add 'anchors_best' to methods, or leave the anchors_best settings out")


__all__ = ["check_inputs", "check_y", "refuse_unused"]
