"""Page geometry and style of the report, and its text pages (tables: :mod:`.tables`).

Every page is a :class:`matplotlib.figure.Figure` of A4 landscape size with an Agg canvas (no
pyplot), its title set with ``fig.suptitle`` so it can be found in the PDF's text.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PAGE_SIZE = (11.69, 8.27)  # A4 landscape, inches
TITLE_SIZE = 15

STYLE: dict[str, Any] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "pdf.compression": 6,
    "image.cmap": "viridis",
}

#: Text area below the title, as a fraction of the page (left, bottom, width, height).
TEXT_AREA = (0.04, 0.04, 0.92, 0.84)


@contextlib.contextmanager
def report_style() -> Iterator[None]:
    """The rc settings of the report (sizes chosen for a printed A4 page)."""
    with matplotlib.rc_context(STYLE):
        yield


def new_page(
    title: str,
    *,
    note: str | None = None,
    constrained: bool = True,
    size: tuple[float, float] = PAGE_SIZE,
) -> Figure:
    """An empty page with a title and an optional one-line note at its bottom."""
    fig = Figure(figsize=size, layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    if constrained:
        fig.get_layout_engine().set(h_pad=0.1, w_pad=0.1)
    fig.suptitle(title, fontsize=TITLE_SIZE, fontweight="bold")
    if note:
        wrapped = textwrap.fill(note, width=int(size[0] * 17))
        lines = wrapped.count("\n") + 1
        fig.text(0.01, 0.008, wrapped, fontsize=8, style="italic", color="0.25", va="bottom")
        if constrained:
            bottom = min(0.2, 0.015 + lines * 0.022 * PAGE_SIZE[1] / size[1])
            fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - bottom))
    return fig


def message_page(title: str, message: str) -> Figure:
    """A page that only says something (e.g. why a figure is not available)."""
    fig = new_page(title, constrained=False)
    fig.text(
        0.5, 0.5, textwrap.fill(message, 90), ha="center", va="center", fontsize=12, color="0.3"
    )
    return fig


def text_pages(
    title: str, sections: Sequence[tuple[str, Sequence[str]]], *, width: int = 120
) -> list[Figure]:
    """Pages of headed sections of plain lines (wrapped to ``width`` characters)."""
    line_height = 0.028
    max_lines = int(TEXT_AREA[3] / line_height)
    entries: list[tuple[str, str]] = []  # (kind, text)
    for heading, lines in sections:
        if entries:
            entries.append(("blank", ""))
        entries.append(("heading", heading))
        for line in lines:
            wrapped = textwrap.wrap(str(line), width=width, subsequent_indent="    ") or [""]
            entries.extend(("line", w) for w in wrapped)
    pages: list[Figure] = []
    for start in range(0, max(1, len(entries)), max_lines):
        chunk = entries[start : start + max_lines]
        page_title = title if start == 0 else f"{title} (continued)"
        fig = new_page(page_title, constrained=False)
        y = TEXT_AREA[1] + TEXT_AREA[3]
        for kind, text in chunk:
            if kind == "heading":
                fig.text(TEXT_AREA[0], y, text, fontsize=11, fontweight="bold", va="top")
            elif kind == "line":
                fig.text(TEXT_AREA[0] + 0.015, y, text, fontsize=9.5, va="top")
            y -= line_height
        pages.append(fig)
    return pages
