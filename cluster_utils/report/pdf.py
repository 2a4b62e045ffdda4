"""Assemble report pages into a PDF (matplotlib's PdfPages, no LaTeX) or PNG files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from .pages import report_style


def write_pdf(figures: Sequence[Figure], output: str | Path, *, title: str) -> Path:
    """Write ``figures`` as the pages of ``output`` (atomically: temp file, then rename)."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    try:
        with (
            report_style(),
            PdfPages(partial, metadata={"Title": title, "Creator": "cluster_utils report"}) as pdf,
        ):
            for figure in figures:
                pdf.savefig(figure)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def write_png(figure: Figure, output: str | Path, *, dpi: int = 100) -> Path:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with report_style():
        figure.savefig(output, format="png", dpi=dpi)
    return output
