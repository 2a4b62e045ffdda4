"""PDF and PNG reports of an experiment directory (matplotlib only: no LaTeX, no jinja2).

One route to a report::

    from cluster_utils.report import load_experiment, report_from

    data = load_experiment(experiment_dir)
    report_from(data, data.report_pdf(), png_dir=None)  # 3.0's <name>_report.pdf / result.pdf

Importing this package is cheap; matplotlib, pandas and numpy are imported when
:func:`load_experiment` or :func:`report_from` is first looked up, and a missing one raises
:class:`MissingReportDependencyError` naming the ``report`` extra.  :data:`PNG_FIGURES` (the
PNGs per run type, for Snakemake's report rule) and :func:`has_results` (no report is drawn of an
experiment without results: :func:`nothing_to_report` says so) need none of them.

May import experiment (paths) and base; never the command layer, grid, hpo, execution,
results or runner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._deps import (
    MissingReportDependencyError,
    require_report_dependencies,
    require_report_dependencies_for,
)
from .kinds import GRID_SEARCH, HP_OPTIMIZATION, PNG_FIGURES
from .results_check import has_results, nothing_to_report

if TYPE_CHECKING:
    from .data import ExperimentData, load_experiment
    from .render import report_from

__all__ = [
    "GRID_SEARCH",
    "HP_OPTIMIZATION",
    "PNG_FIGURES",
    "ExperimentData",
    "MissingReportDependencyError",
    "has_results",
    "load_experiment",
    "nothing_to_report",
    "report_from",
    "require_report_dependencies_for",
]

_LAZY = {"ExperimentData": "data", "load_experiment": "data", "report_from": "render"}


def __getattr__(name: str) -> Any:
    """Import the plotting part on use; checked on every look-up so the error names the extra."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    require_report_dependencies()
    import importlib

    return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
