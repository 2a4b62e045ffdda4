"""PDF and PNG reports of an experiment directory (matplotlib only: no LaTeX, no jinja2).

Importing this package is cheap; matplotlib, pandas and numpy are imported on first use and a
missing one raises :class:`MissingReportDependencyError` naming the ``report`` extra.

- :func:`produce_grid_report`, :func:`produce_hpo_report`: the PDFs of the two run types;
- :func:`produce_report`: picks by ``metadata.json``'s ``run_type``;
- :func:`export_figures_png`: PNGs for Snakemake's HTML report (captions in ``workflow/report``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ._deps import MissingReportDependencyError, require_report_dependencies

__all__ = [
    "MissingReportDependencyError",
    "export_figures_png",
    "produce_grid_report",
    "produce_hpo_report",
    "produce_report",
]


def produce_grid_report(
    experiment_dir: str | Path,
    output_pdf: str | Path | None = None,
    *,
    metric: str | Sequence[str] | None = None,
    minimize: bool | None = None,
) -> Path:
    """Grid search PDF; default ``<experiment_dir>/<name>_report.pdf`` (3.0's name)."""
    require_report_dependencies()
    from .grid_report import produce_grid_report as produce

    return produce(experiment_dir, output_pdf, metric=metric, minimize=minimize)


def produce_hpo_report(experiment_dir: str | Path, output_pdf: str | Path | None = None) -> Path:
    """hp_optimization PDF; default ``<experiment_dir>/result.pdf`` (3.0's name)."""
    require_report_dependencies()
    from .hpo_report import produce_hpo_report as produce

    return produce(experiment_dir, output_pdf)


def produce_report(experiment_dir: str | Path, output: str | Path | None = None) -> Path:
    """The PDF for the run type recorded in ``metadata.json`` (guessed when missing)."""
    require_report_dependencies()
    from .api import produce_report as produce

    return produce(experiment_dir, output)


def export_figures_png(experiment_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """One PNG per report figure, with fixed names per run type, for Snakemake's report."""
    require_report_dependencies()
    from .api import export_figures_png as export

    return export(experiment_dir, out_dir)
