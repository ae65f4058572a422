"""Hyperbolic embeddings of hierarchies and graphs.

Modules (import them directly; nothing heavy is imported here):

- :mod:`embgeo.hyperbolic.graphs` — reading edge lists and closure CSVs, the
  transitive closure, structure checks (cycles, self-loops, components) and
  shortest-path distances, blockwise.
- :mod:`embgeo.hyperbolic.math` — Poincaré-ball and Lorentz (hyperboloid)
  distances, exp/log maps, projections, conversions; numpy, float64.
- :mod:`embgeo.hyperbolic.poincare` — the Nickel & Kiela (2017) trainer with
  geoopt (Riemannian Adam/SGD, Poincaré ball or Lorentz model).
- :mod:`embgeo.hyperbolic.evaluate` — reconstruction MAP and mean rank (Nickel &
  Kiela definition), MAP with the Sala et al. (2018) definition, average and
  worst-case distortion; vectorised and blockwise.
"""
