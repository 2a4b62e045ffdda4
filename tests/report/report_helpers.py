"""Helpers shared by the report tests (PDF text, editing fixture files)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from pypdf import PdfReader


def pdf_pages(path: Path) -> list[str]:
    """Extracted text of every page of a PDF."""
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def edit_csv(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    change(pd.read_csv(path)).to_csv(path, index=False)


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def produce_report(
    experiment_dir: Path,
    output: Path | None = None,
    *,
    metric: str | list[str] | None = None,
    minimize: bool | None = None,
) -> Path:
    """The report of ``experiment_dir`` through the package's one route (default: 3.0's name)."""
    from cluster_utils.report import load_experiment, report_from

    data = load_experiment(experiment_dir)
    pdf = output if output is not None else data.report_pdf()
    return report_from(data, pdf, metric=metric, minimize=minimize)


#: The tests name the run type they expect; the package picks the report by run type.
produce_grid_report = produce_report
produce_hpo_report = produce_report


def export_figures_png(experiment_dir: Path, out_dir: Path) -> list[Path]:
    """The report's PNGs (with the PDF next to them), in the order of ``PNG_FIGURES``."""
    from cluster_utils.report import PNG_FIGURES, load_experiment, report_from

    data = load_experiment(experiment_dir)
    report_from(data, Path(out_dir).with_suffix(".pdf"), out_dir)
    return [Path(out_dir) / f"{name}.png" for name in PNG_FIGURES[data.run_type]]
