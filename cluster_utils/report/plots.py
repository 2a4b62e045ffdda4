"""Figures of a metric against the parameters: correlation, distributions, heatmaps,
importance.  One function per figure, each returning a matplotlib Figure (or None when there is
nothing to draw).

Figures are drawn on :class:`~matplotlib.figure.Figure` objects with an Agg canvas (never
pyplot), sized as one A4-landscape page, titled with ``suptitle``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .analysis import IMPORTANCE_METHOD, discretize, format_value, shorten_name
from .pages import new_page
from .plot_helpers import (
    BEST_COLOR,
    BOX_COLOR,
    STRIP_COLOR,
    better_text,
    category_ticks,
    maybe_log,
    point_alpha,
    subplot_grid,
)


def correlation_figure(frame: pd.DataFrame, metrics: Sequence[str]) -> Figure | None:
    """Spearman correlation matrix of the numeric metrics (None if fewer than two vary)."""
    usable = [m for m in metrics if frame[m].dropna().nunique() > 1]
    if len(usable) < 2:
        return None
    usable = usable[:15]
    corr = frame[usable].rank().corr()
    fig = new_page(
        "Metric correlation (Spearman)",
        note="Spearman rank correlation between metrics over the successful jobs "
        "(+1: rise together, -1: one falls as the other rises).",
    )
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.grid(False)
    names = [shorten_name(m, 20) for m in usable]
    ax.set_xticks(range(len(usable)), names, rotation=35 if len(usable) > 4 else 0, ha="right")
    ax.set_yticks(range(len(usable)), names)
    size = 11 if len(usable) <= 6 else 8
    for i in range(len(usable)):
        for j in range(len(usable)):
            value = corr.iat[i, j]
            if np.isfinite(value):
                ax.text(
                    j,
                    i,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="white" if abs(value) > 0.6 else "black",
                )
    fig.colorbar(image, ax=ax, shrink=0.8, label="Spearman ρ")
    return fig


def _distribution_axes(
    ax: Axes, frame: pd.DataFrame, param: str, metric: str, minimize: bool
) -> bool:
    levels, labels = discretize(frame[param])
    values = frame[metric]
    groups = [(lab, values[levels == lab].dropna().to_numpy(dtype=float)) for lab in labels]
    groups = [(lab, g) for lab, g in groups if g.size]
    if not groups:
        return False
    data = [g for _, g in groups]
    medians = [np.median(g) for g in data]
    best = int(np.argmin(medians) if minimize else np.argmax(medians))
    boxes = ax.boxplot(
        data,
        positions=np.arange(len(data)),
        widths=0.55,
        showfliers=False,
        patch_artist=True,
        medianprops={"color": "black", "linewidth": 1.2},
    )
    for i, patch in enumerate(boxes["boxes"]):
        patch.set_facecolor(BEST_COLOR if i == best and len(data) > 1 else BOX_COLOR)
        patch.set_alpha(0.8)
    rng = np.random.default_rng(0)
    total = sum(g.size for g in data)
    for i, g in enumerate(data):
        ax.scatter(
            i + rng.uniform(-0.17, 0.17, g.size),
            g,
            s=16 if total < 200 else 8,
            color=STRIP_COLOR,
            alpha=point_alpha(total / len(data)),
            linewidths=0,
            zorder=3,
            rasterized=total > 300,
        )
    category_ticks(ax, [lab for lab, _ in groups])
    maybe_log(ax, np.concatenate(data))
    ax.set_title(shorten_name(param, 32))
    ax.grid(False, axis="x")
    return True


def param_distributions_figure(
    frame: pd.DataFrame,
    params: Sequence[str],
    metric: str,
    minimize: bool,
    *,
    title: str | None = None,
    note: str | None = None,
) -> Figure | None:
    """Box plot plus the individual jobs of ``metric`` for each value of each parameter."""
    usable = [p for p in params if frame[p].nunique(dropna=False) > 0]
    if not usable or frame[metric].notna().sum() == 0:
        return None
    base_note = (
        f"Each box: jobs with that parameter value (dots: single jobs; {better_text(minimize)}; "
        "highlighted: best median). Many distinct values are grouped into quantile bins."
    )
    fig = new_page(
        title or f"Distribution of {metric} per parameter value",
        note=f"{base_note} {note}" if note else base_note,
    )
    axes = subplot_grid(fig, len(usable))
    for k, (ax, param) in enumerate(zip(axes, usable, strict=True)):
        if not _distribution_axes(ax, frame, param, metric, minimize):
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        if k % (3 if len(usable) != 4 else 2) == 0:
            ax.set_ylabel(shorten_name(metric, 28))
    return fig


def _pivot(
    frame: pd.DataFrame, row_param: str, col_param: str, metric: str
) -> tuple[pd.DataFrame, list[str], list[str]]:
    rows, row_labels = discretize(frame[row_param], 10)
    cols, col_labels = discretize(frame[col_param], 10)
    table = frame[metric].groupby([rows, cols]).mean().unstack()
    table = table.reindex(index=row_labels, columns=col_labels)
    return table, row_labels, col_labels


def _annotate_cells(ax: Axes, values: np.ma.MaskedArray, norm: Normalize, minimize: bool) -> None:
    """Write each cell's value into small heatmaps (at most 8 x 8 cells)."""
    n_cells = values.size
    if n_cells > 64:
        return
    size = 8 if n_cells <= 25 else 6.5
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            if values.mask is not np.ma.nomask and values.mask[i, j]:
                continue
            value = float(values[i, j])
            shade = norm(value)
            light = shade > 0.55 if minimize is False else shade < 0.45
            ax.text(
                j,
                i,
                format_value(value, 3),
                ha="center",
                va="center",
                fontsize=size,
                color="black" if light else "white",
            )


def heatmaps_figure(
    frame: pd.DataFrame,
    pairs: Sequence[tuple[str, str]],
    metric: str,
    minimize: bool,
    *,
    title: str | None = None,
    note: str | None = None,
) -> Figure | None:
    """Mean ``metric`` for every combination of values of each parameter pair (shared scale)."""
    if not pairs or frame[metric].notna().sum() == 0:
        return None
    tables = [_pivot(frame, a, b, metric) for a, b in pairs]
    finite = np.concatenate([t.to_numpy(dtype=float).ravel() for t, _, _ in tables])
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return None
    norm = Normalize(vmin=float(finite.min()), vmax=float(finite.max()))
    cmap = "viridis_r" if minimize else "viridis"
    base_note = (
        f"Cells: mean {metric} over all jobs with that pair of values (other parameters "
        f"averaged out); bright = better ({better_text(minimize)}); grey: no successful job."
    )
    fig = new_page(
        title or f"Mean {metric} for pairs of parameters",
        note=f"{base_note} {note}" if note else base_note,
    )
    axes = subplot_grid(fig, len(pairs))
    image = None
    for ax, (a, b), (table, row_labels, col_labels) in zip(axes, pairs, tables, strict=True):
        values = np.ma.masked_invalid(table.to_numpy(dtype=float))
        image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto", origin="lower")
        ax.set_facecolor("0.85")
        ax.grid(False)
        category_ticks(ax, col_labels, "x")
        category_ticks(ax, row_labels, "y")
        ax.set_xlabel(shorten_name(b, 30))
        ax.set_ylabel(shorten_name(a, 30))
        _annotate_cells(ax, values, norm, minimize)
        for spine in ax.spines.values():
            spine.set_visible(False)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label=f"mean {shorten_name(metric, 28)}")
    return fig


def importance_figure(
    importance: pd.DataFrame, metric: str, *, title: str | None = None
) -> Figure | None:
    """Horizontal bars of :func:`analysis.parameter_importance` (most important on top)."""
    usable = importance[importance["score"].notna()]
    if usable.empty:
        return None
    usable = usable.head(25).iloc[::-1]
    fig = new_page(title or f"Parameter importance for {metric}", note=IMPORTANCE_METHOD)
    ax = fig.add_subplot(1, 1, 1)
    colors = [
        "#c0504d" if r > 0 else "#4f81bd" if r < 0 else "0.55" for r in usable["rho"].fillna(0.0)
    ]
    positions = np.arange(len(usable))
    ax.barh(positions, usable["score"], color=colors, height=0.6)
    ax.set_yticks(positions, [shorten_name(p, 36) for p in usable["param"]])
    for y, score in zip(positions, usable["score"], strict=True):
        ax.text(score + 0.01, y, f"{score:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel(f"importance for {metric} (0 = none, 1 = perfect monotone relation)")
    ax.grid(False, axis="y")
    ax.legend(
        handles=[
            Patch(color="#c0504d", label=f"ρ > 0: larger value, larger {metric}"),
            Patch(color="#4f81bd", label=f"ρ < 0: larger value, smaller {metric}"),
            Patch(color="0.55", label="categorical (η)"),
        ],
        loc="lower right",
    )
    return fig
