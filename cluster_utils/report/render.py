"""The one route to a report: an experiment loaded once, each page built once, written as PDF
and (optionally) as one PNG per figure for Snakemake's HTML report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from .data import ExperimentData
from .grid_report import build_grid_pages, grid_title
from .hpo_report import build_hpo_pages, hpo_title
from .kinds import HP_OPTIMIZATION, PNG_FIGURES
from .pages import message_page, report_style
from .pdf import write_pdf, write_png
from .sections import Page

logger = logging.getLogger("cluster_utils.report")

_UNAVAILABLE = {
    "failures": "No job failed.",
    "job_timeline": "No job start times recorded (no jobs/<id>/state.json attempts, no log).",
}


def report_from(
    data: ExperimentData,
    pdf: str | Path,
    png_dir: str | Path | None = None,
    *,
    metric: str | Sequence[str] | None = None,
    minimize: bool | None = None,
) -> Path:
    """Write the report of ``data`` (from :func:`~.data.load_experiment`) to ``pdf``.

    The run type picks the report. ``metric`` (default: ``report_metric`` from the settings,
    else all) and ``minimize`` (default: from the settings, else True) apply to grid_search
    only; hp_optimization uses ``metric_to_optimize`` and ``minimize`` from its settings.
    With ``png_dir``, also writes the PNGs of :data:`~.kinds.PNG_FIGURES` there (the first page
    of each section; a figure that cannot be drawn becomes a PNG saying why).

    Raises:
        ValueError: ``metric`` names a column that is not a metric.
    """
    with report_style():
        if data.run_type == HP_OPTIMIZATION:
            built, title = build_hpo_pages(data), hpo_title(data)
        else:
            built = build_grid_pages(data, metric=metric, minimize=minimize)
            title = grid_title(data)
        output = write_pdf([page.figure for page in built], pdf, title=title)
        logger.info("Saved %s report to %s", data.run_type, output)
        if png_dir is not None:
            _write_pngs(built, PNG_FIGURES[data.run_type], Path(png_dir))
    return output


def _write_pngs(built: Sequence[Page], names: Sequence[str], out_dir: Path) -> list[Path]:
    first = {}
    for page in built:
        first.setdefault(page.key, page.figure)
    written = []
    for key in names:
        figure = first.get(key)
        if figure is None:
            reason = _UNAVAILABLE.get(key, "Not available for this experiment; see the overview.")
            figure = message_page(key.replace("_", " ").capitalize(), reason)
        written.append(write_png(figure, out_dir / f"{key}.png"))
    logger.info("Wrote %d report figures to %s", len(written), out_dir)
    return written
