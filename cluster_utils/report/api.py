"""Entry points that pick the report by run type, and the PNG export for Snakemake's report."""

from __future__ import annotations

import logging
from pathlib import Path

from .data import GRID_SEARCH, HP_OPTIMIZATION, load_experiment
from .grid_report import build_grid_pages, default_grid_output, produce_grid_report
from .hpo_report import build_hpo_pages, default_hpo_output, produce_hpo_report
from .layout import message_page, report_style
from .pdf import write_png

logger = logging.getLogger("cluster_utils.report")

#: PNG files written by :func:`export_figures_png`, per run type (captions in workflow/report/).
PNG_FIGURES: dict[str, tuple[str, ...]] = {
    GRID_SEARCH: (
        "overview",
        "summary",
        "best_jobs",
        "metric_correlation",
        "param_importance",
        "param_distributions",
        "pair_heatmaps",
        "failures",
        "job_timeline",
    ),
    HP_OPTIMIZATION: (
        "overview",
        "optimization_progress",
        "recommendations",
        "param_importance",
        "distribution_development",
        "summary",
        "failures",
        "job_timeline",
    ),
}

_UNAVAILABLE = {
    "failures": "No job failed.",
    "job_timeline": "No job start times recorded (no jobs/<id>/state.json attempts, no log).",
}


def default_output(experiment_dir: str | Path) -> Path:
    """Where the report of ``experiment_dir`` goes by default (3.0's file names)."""
    data = load_experiment(experiment_dir)
    if data.run_type == HP_OPTIMIZATION:
        return default_hpo_output(data)
    return default_grid_output(data)


def produce_report(experiment_dir: str | Path, output: str | Path | None = None) -> Path:
    """Write the PDF report matching the run type in ``metadata.json``; return its path."""
    data = load_experiment(experiment_dir)
    if data.run_type == HP_OPTIMIZATION:
        return produce_hpo_report(experiment_dir, output)
    return produce_grid_report(experiment_dir, output)


def export_figures_png(experiment_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write one PNG per figure of :data:`PNG_FIGURES` (first page of each section).

    The set of files depends only on the run type, so a Snakemake rule can declare them as
    outputs; a figure that cannot be drawn becomes a PNG saying why.
    """
    data = load_experiment(experiment_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with report_style():
        built = (
            build_hpo_pages(data) if data.run_type == HP_OPTIMIZATION else build_grid_pages(data)
        )
        first = {}
        for page in built:
            first.setdefault(page.key, page.figure)
        for key in PNG_FIGURES[data.run_type]:
            figure = first.get(key)
            if figure is None:
                reason = _UNAVAILABLE.get(
                    key, "Not available for this experiment; see the overview."
                )
                figure = message_page(key.replace("_", " ").capitalize(), reason)
            written.append(write_png(figure, out_dir / f"{key}.png"))
    logger.info("Wrote %d report figures to %s", len(written), out_dir)
    return written
