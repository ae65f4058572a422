"""The self-contained HTML / Markdown report: sections are chosen by what the inputs
allow (:mod:`~embgeo.report.sections`), built (:mod:`~embgeo.report.build`) and
rendered (:mod:`~embgeo.report.render`).

The package is callable: ``embgeo.report(X, …)`` is :func:`embgeo.report.build.report`.
"""
from embgeo._callable import make_callable
from embgeo.report.build import Report, Section, build_report, report, write_report

__all__ = ["report", "build_report", "write_report", "Report", "Section"]

make_callable(__name__, "report")
