"""Shared pieces of the report's figures: axes grids, category ticks, log scales, colours."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

MAX_TICK_LABEL = 14
STRIP_COLOR = "#1f4e79"
BOX_COLOR = "#a9c4e0"
BEST_COLOR = "#f2b134"


def better_text(minimize: bool) -> str:
    return "lower is better" if minimize else "higher is better"


def subplot_grid(fig: Figure, n: int, max_cols: int = 3) -> list[Axes]:
    """Exactly ``n`` axes on a near-square grid (no empty axes)."""
    cols = min(max_cols, n) if n > 2 else n
    cols = 2 if n == 4 else cols
    rows = math.ceil(n / cols)
    return [fig.add_subplot(rows, cols, i + 1) for i in range(n)]


def short_label(label: str) -> str:
    """Cut long labels in the middle so that labels differing at either end stay distinct."""
    if len(label) <= MAX_TICK_LABEL:
        return label
    head = (MAX_TICK_LABEL - 1) // 2
    return label[:head] + "…" + label[-(MAX_TICK_LABEL - 1 - head) :]


def category_ticks(ax: Axes, labels: Sequence[str], axis: str = "x") -> None:
    """Category tick labels that do not overlap: abbreviate, rotate, and thin out."""
    shown = [short_label(lab) for lab in labels]
    positions = np.arange(len(labels))
    step = max(1, math.ceil(len(labels) / 14))
    if axis == "x":
        ax.set_xticks(positions[::step], shown[::step])
        longest = max((len(s) for s in shown), default=0)
        if len(labels) * max(longest, 1) > 40:
            ax.tick_params(axis="x", labelrotation=35)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
                label.set_rotation_mode("anchor")
    else:
        ax.set_yticks(positions[::step], shown[::step])


def wants_log(values: pd.Series | np.ndarray) -> bool:
    """Positive data spanning more than two decades."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    return bool(data.size >= 2 and data.min() > 0 and data.max() / data.min() >= 100)


def maybe_log(ax: Axes, values: pd.Series | np.ndarray, axis: str = "y") -> bool:
    """Use a log scale for positive data spanning more than two decades."""
    if not wants_log(values):
        return False
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    return True


def point_alpha(n: int) -> float:
    return float(max(0.15, min(0.8, 40.0 / max(n, 1))))
