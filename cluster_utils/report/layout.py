"""Page geometry, style and the text/table pages of the report.

Every page is a :class:`matplotlib.figure.Figure` of A4 landscape size with an Agg canvas (no
pyplot), its title set with ``fig.suptitle`` so it can be found in the PDF's text.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib
import pandas as pd
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

# Text area below the title, as a fraction of the page (left, bottom, width, height).
_TEXT_AREA = (0.04, 0.04, 0.92, 0.84)


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
    max_lines = int(_TEXT_AREA[3] / line_height)
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
        y = _TEXT_AREA[1] + _TEXT_AREA[3]
        for kind, text in chunk:
            if kind == "heading":
                fig.text(_TEXT_AREA[0], y, text, fontsize=11, fontweight="bold", va="top")
            elif kind == "line":
                fig.text(_TEXT_AREA[0] + 0.015, y, text, fontsize=9.5, va="top")
            y -= line_height
        pages.append(fig)
    return pages


def _wrap_cell(text: str, width: int, max_lines: int) -> str:
    lines: list[str] = []
    for raw in str(text).splitlines() or [""]:
        lines.extend(textwrap.wrap(raw, width=width, break_long_words=True) or [""])
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][: max(1, width - 1)] + "…"]
    return "\n".join(lines)


def table_pages(
    title: str,
    table: pd.DataFrame,
    *,
    note: str | None = None,
    max_col_chars: int = 40,
    max_cell_lines: int = 8,
    mono_columns: Sequence[str] = (),
    font_size: float = 8.5,
    max_pages: int = 5,
) -> list[Figure]:
    """Render a frame of strings as one or more table pages.

    Columns get widths proportional to their content (capped at ``max_col_chars``); cells are
    wrapped to their column and cut after ``max_cell_lines`` lines; rows flow onto further pages
    (at most ``max_pages``; the last page says how many rows were left out).
    """
    cells = table.astype(str)
    headers = [str(c) for c in cells.columns]
    n_cols = len(headers)
    if n_cols == 0:
        return [message_page(title, "Nothing to show.")]
    area_w_pt = _TEXT_AREA[2] * PAGE_SIZE[0] * 72
    area_h_pt = (_TEXT_AREA[3] - (0.05 if note else 0.0)) * PAGE_SIZE[1] * 72

    def natural(column: int) -> int:
        longest = max(
            (len(line) for v in cells.iloc[:, column] for line in str(v).splitlines()),
            default=1,
        )
        header = max(len(w) for w in headers[column].split()) if headers[column] else 1
        return max(3, min(max_col_chars, max(longest, header)))

    widths = [natural(i) for i in range(n_cols)]
    # Shrink the font, then the widest columns, until a row fits the page width.
    char_w = 0.58
    font = font_size
    while sum(widths) * char_w * font > area_w_pt and font > 6.5:
        font -= 0.5
    capacity = int(area_w_pt / (char_w * font))
    while sum(widths) > capacity:
        widest = max(range(n_cols), key=lambda i: widths[i])
        widths[widest] = max(4, widths[widest] - 1)
        if all(w == 4 for w in widths):
            break
    wrapped = [
        [_wrap_cell(cells.iat[r, c], widths[c], max_cell_lines) for c in range(n_cols)]
        for r in range(len(cells))
    ]
    header_cells = [_wrap_cell(h, widths[c], 3) for c, h in enumerate(headers)]
    line_pt = font * 1.32
    pad_pt = font * 0.9

    def height(row: Sequence[str]) -> float:
        return (max(cell.count("\n") + 1 for cell in row) * line_pt + pad_pt) / area_h_pt

    header_h = height(header_cells)
    pages_rows: list[list[int]] = []
    current: list[int] = []
    used = header_h
    for r, row in enumerate(wrapped):
        h = height(row)
        if current and used + h > 1.0:
            pages_rows.append(current)
            current, used = [], header_h
        current.append(r)
        used += h
    if current or not pages_rows:
        pages_rows.append(current)
    left_out = 0
    if len(pages_rows) > max_pages:
        left_out = sum(len(p) for p in pages_rows[max_pages:])
        pages_rows = pages_rows[:max_pages]

    total_w = sum(widths)
    # Narrow tables keep their natural width instead of stretching over the page.
    table_w = min(1.0, total_w * char_w * font * 1.25 / area_w_pt + 0.02 * n_cols)
    col_widths = [table_w * w / total_w for w in widths]
    mono = {headers.index(c) for c in mono_columns if c in headers}
    figures = []
    for page_no, rows in enumerate(pages_rows):
        page_note = note
        if left_out and page_no == len(pages_rows) - 1:
            extra = f"{left_out} more row(s) not shown."
            page_note = f"{note} {extra}" if note else extra
        page_title = title if page_no == 0 else f"{title} (continued)"
        fig = new_page(page_title, note=page_note, constrained=False)
        ax = fig.add_axes(_TEXT_AREA)
        ax.axis("off")
        if not rows:
            ax.text(0.5, 0.5, "No rows.", ha="center", va="center", fontsize=12, color="0.3")
            figures.append(fig)
            continue
        body = [wrapped[r] for r in rows]
        tbl = ax.table(
            cellText=body,
            colLabels=header_cells,
            colWidths=col_widths,
            cellLoc="left",
            colLoc="left",
            loc="upper left",
        )
        tbl.auto_set_font_size(False)
        tbl.set_fontsize(font)
        for (r, c), cell in tbl.get_celld().items():
            row_cells = header_cells if r == 0 else body[r - 1]
            cell.set_height(height(row_cells))
            cell.set_edgecolor("0.8")
            cell.set_linewidth(0.5)
            cell.PAD = 0.02
            text = cell.get_text()
            if r == 0:
                cell.set_facecolor("#dde4ee")
                text.set_fontweight("bold")
            elif r % 2 == 0:
                cell.set_facecolor("#f5f5f5")
            if c in mono and r > 0:
                text.set_fontfamily("monospace")
                text.set_fontsize(font - 0.5)
        figures.append(fig)
    return figures


def _is_missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_frame(frame: pd.DataFrame, formatter: Any, missing: str = "–") -> pd.DataFrame:
    """Apply ``formatter`` to every cell, missing values become ``missing``."""

    def cell(value: Any) -> str:
        return missing if _is_missing(value) else str(formatter(value))

    return frame.apply(lambda column: column.map(cell)) if len(frame) else frame.astype(str)
