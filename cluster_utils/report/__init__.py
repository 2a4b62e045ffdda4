"""PDF and PNG reports of an experiment directory (matplotlib only: no LaTeX, no jinja2).

One route to a report::

    from cluster_utils.report import load_experiment, report_from

    data = load_experiment(experiment_dir)
    report_from(data, data.report_pdf(), png_dir=None)  # 3.0's <name>_report.pdf / result.pdf

Importing this package is cheap; matplotlib, pandas and numpy are imported when
:func:`load_experiment` or :func:`report_from` is first looked up, and a missing one raises
:class:`MissingReportDependencyError` naming the ``report`` extra.  :data:`PNG_FIGURES` (the
PNGs per run type, for Snakemake's report rule) needs none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._deps import MissingReportDependencyError, require_report_dependencies
from .kinds import GRID_SEARCH, HP_OPTIMIZATION, PNG_FIGURES

if TYPE_CHECKING:
    from .data import ExperimentData, load_experiment
    from .render import report_from

__all__ = [
    "GRID_SEARCH",
    "HP_OPTIMIZATION",
    "PNG_FIGURES",
    "ExperimentData",
    "MissingReportDependencyError",
    "load_experiment",
    "report_from",
]

_LAZY = {"ExperimentData": "data", "load_experiment": "data", "report_from": "render"}


def __getattr__(name: str) -> Any:
    """Import the plotting part on use; checked on every look-up so the error names the extra."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require_report_dependencies()
    import importlib

    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
