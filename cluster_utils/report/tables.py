"""Table pages of the report: a frame of strings laid out over one or more pages.

Columns get widths proportional to their content, cells are wrapped to their column, and rows
flow onto further pages; the font shrinks (down to 6.5 pt) before columns are narrowed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from .pages import PAGE_SIZE, TEXT_AREA, message_page, new_page

#: Width of one character as a fraction of the font size (for a proportional font).
CHAR_WIDTH = 0.58
MIN_FONT = 6.5
MIN_COLUMN_CHARS = 4


@dataclass(frozen=True)
class _Grid:
    """Column widths (characters) and the font that make a row fit the page width."""

    widths: list[int]
    font: float
    #: height of the table area in points
    area_h_pt: float

    def row_height(self, row: Sequence[str]) -> float:
        """Height of a row of wrapped cells, as a fraction of the table area."""
        lines = max(cell.count("\n") + 1 for cell in row)
        return (lines * self.font * 1.32 + self.font * 0.9) / self.area_h_pt


def _wrap_cell(text: str, width: int, max_lines: int) -> str:
    lines: list[str] = []
    for raw in str(text).splitlines() or [""]:
        lines.extend(textwrap.wrap(raw, width=width, break_long_words=True) or [""])
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][: max(1, width - 1)] + "…"]
    return "\n".join(lines)


def _natural_widths(cells: pd.DataFrame, headers: list[str], max_col_chars: int) -> list[int]:
    """Longest line of each column (or the longest word of its header), capped."""
    widths = []
    for column, header in enumerate(headers):
        longest = max(
            (len(line) for v in cells.iloc[:, column] for line in str(v).splitlines()),
            default=1,
        )
        head = max(len(w) for w in header.split()) if header else 1
        widths.append(max(3, min(max_col_chars, max(longest, head))))
    return widths


def _fit(widths: list[int], font_size: float, area_w_pt: float) -> tuple[list[int], float]:
    """Shrink the font, then the widest columns, until a row fits the page width."""
    widths = list(widths)
    font = font_size
    while sum(widths) * CHAR_WIDTH * font > area_w_pt and font > MIN_FONT:
        font -= 0.5
    capacity = int(area_w_pt / (CHAR_WIDTH * font))
    while sum(widths) > capacity:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        widths[widest] = max(MIN_COLUMN_CHARS, widths[widest] - 1)
        if all(w == MIN_COLUMN_CHARS for w in widths):
            break
    return widths, font


def _paginate(
    heights: Sequence[float], header_h: float, max_pages: int
) -> tuple[list[list[int]], int]:
    """Row indices per page (at most ``max_pages``) and how many rows were left out."""
    pages_rows: list[list[int]] = []
    current: list[int] = []
    used = header_h
    for r, h in enumerate(heights):
        if current and used + h > 1.0:
            pages_rows.append(current)
            current, used = [], header_h
        current.append(r)
        used += h
    if current or not pages_rows:
        pages_rows.append(current)
    left_out = sum(len(p) for p in pages_rows[max_pages:])
    return pages_rows[:max_pages], left_out


def _draw_table(
    fig: Figure,
    grid: _Grid,
    header_cells: list[str],
    body: list[list[str]],
    mono: set[int],
) -> None:
    """The table of one page, in the text area of ``fig``."""
    ax = fig.add_axes(TEXT_AREA)
    ax.axis("off")
    if not body:
        ax.text(0.5, 0.5, "No rows.", ha="center", va="center", fontsize=12, color="0.3")
        return
    area_w_pt = TEXT_AREA[2] * PAGE_SIZE[0] * 72
    total_w = sum(grid.widths)
    # Narrow tables keep their natural width instead of stretching over the page.
    table_w = min(
        1.0, total_w * CHAR_WIDTH * grid.font * 1.25 / area_w_pt + 0.02 * len(grid.widths)
    )
    tbl = ax.table(
        cellText=body,
        colLabels=header_cells,
        colWidths=[table_w * w / total_w for w in grid.widths],
        cellLoc="left",
        colLoc="left",
        loc="upper left",
    )
    tbl.auto_set_font_size(False)
    tbl.set_fontsize(grid.font)
    for (r, c), cell in tbl.get_celld().items():
        cell.set_height(grid.row_height(header_cells if r == 0 else body[r - 1]))
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
            text.set_fontsize(grid.font - 0.5)


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
    if not headers:
        return [message_page(title, "Nothing to show.")]
    area_w_pt = TEXT_AREA[2] * PAGE_SIZE[0] * 72
    area_h_pt = (TEXT_AREA[3] - (0.05 if note else 0.0)) * PAGE_SIZE[1] * 72
    widths, font = _fit(_natural_widths(cells, headers, max_col_chars), font_size, area_w_pt)
    grid = _Grid(widths, font, area_h_pt)
    wrapped = [
        [_wrap_cell(cells.iat[r, c], widths[c], max_cell_lines) for c in range(len(headers))]
        for r in range(len(cells))
    ]
    header_cells = [_wrap_cell(h, widths[c], 3) for c, h in enumerate(headers)]
    pages_rows, left_out = _paginate(
        [grid.row_height(row) for row in wrapped], grid.row_height(header_cells), max_pages
    )
    mono = {headers.index(c) for c in mono_columns if c in headers}
    figures = []
    for page_no, rows in enumerate(pages_rows):
        page_note = note
        if left_out and page_no == len(pages_rows) - 1:
            extra = f"{left_out} more row(s) not shown."
            page_note = f"{note} {extra}" if note else extra
        page_title = title if page_no == 0 else f"{title} (continued)"
        fig = new_page(page_title, note=page_note, constrained=False)
        _draw_table(fig, grid, header_cells, [wrapped[r] for r in rows], mono)
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
