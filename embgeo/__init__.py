"""embgeo — the geometry of saved embeddings.

The library is a functional core: functions take arrays and keyword-only
parameters and return frozen result dataclasses with ``to_dict()``. Nothing in
``embgeo`` prints, exits or imports the command-line stack; heavy packages
(torch, geoopt, umap, scikit-learn, matplotlib) are imported inside the
functions that need them.
"""
from embgeo._version import __version__
from embgeo.errors import EmbgeoError, MissingExtraError

__all__ = ["__version__", "EmbgeoError", "MissingExtraError"]
