"""Figures of an optimization over its iterations: progress and distribution development."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .analysis import discretize, format_value, shorten_name
from .columns import is_numeric
from .pages import new_page
from .plot_helpers import (
    STRIP_COLOR,
    better_text,
    maybe_log,
    point_alpha,
    short_label,
    subplot_grid,
    wants_log,
)


def _outlier_limit(values: pd.Series, minimize: bool) -> float | None:
    """An axis limit that cuts off far outliers on the bad side (None: nothing to cut)."""
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    spread = q3 - q1
    if not spread > 0:
        return None
    limit = q3 + 4 * spread if minimize else q1 - 4 * spread
    beyond = values > limit if minimize else values < limit
    return float(limit) if beyond.any() else None


def _progress_lines(ax: Axes, data: pd.DataFrame, minimize: bool) -> None:
    """Median per iteration, best so far, and the best value with its iteration as the title."""
    per_it = data.groupby("it")["value"]
    median = per_it.median()
    best_each = per_it.min() if minimize else per_it.max()
    best_so_far = best_each.cummin() if minimize else best_each.cummax()
    ax.plot(median.index, median.to_numpy(), "-o", color="#7f7f7f", ms=4, lw=1.5, label="median")
    ax.step(
        best_so_far.index,
        best_so_far.to_numpy(),
        where="post",
        color="#c0504d",
        lw=2.2,
        label="best so far",
    )
    best_iteration = best_each.idxmin() if minimize else best_each.idxmax()
    ax.set_title(
        f"best: {format_value(float(best_so_far.iloc[-1]))} (reached in iteration "
        f"{format_value(best_iteration)})"
    )


def progress_figure(
    frame: pd.DataFrame,
    iterations: pd.Series,
    metric: str,
    minimize: bool,
    *,
    note: str | None = None,
) -> Figure | None:
    """Every job's metric per iteration, the per-iteration median and the best so far."""
    data = pd.DataFrame({"it": iterations, "value": frame[metric]}).dropna()
    if data.empty:
        return None
    log = wants_log(data["value"])
    limit = None if log else _outlier_limit(data["value"], minimize)
    shown = data["value"]
    notes = [f"Dots: single jobs ({better_text(minimize)})."]
    if limit is not None:
        beyond = shown > limit if minimize else shown < limit
        shown = shown.clip(upper=limit) if minimize else shown.clip(lower=limit)
        notes.append(f"{int(beyond.sum())} far outlier(s) drawn as triangles at the axis edge.")
    else:
        beyond = pd.Series(False, index=data.index)
    if note:
        notes.append(note)
    fig = new_page(f"Optimization progress: {metric}", note=" ".join(notes))
    ax = fig.add_subplot(1, 1, 1)
    if log:
        ax.set_yscale("log")
    rng = np.random.default_rng(0)
    jitter = data["it"] + rng.uniform(-0.15, 0.15, len(data))
    common = {"color": STRIP_COLOR, "linewidths": 0, "rasterized": len(data) > 500}
    alpha = point_alpha(len(data) / max(1, data["it"].nunique()))
    ax.scatter(jitter[~beyond], shown[~beyond], s=16, alpha=alpha, label="job", **common)
    if beyond.any():
        marker = "^" if minimize else "v"
        ax.scatter(jitter[beyond], shown[beyond], s=30, marker=marker, alpha=0.8, **common)
    _progress_lines(ax, data, minimize)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=15))
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"{shorten_name(metric, 30)} ({better_text(minimize)})")
    ax.legend(loc="upper right" if minimize else "lower right")
    return fig


def _development_numeric(
    ax: Axes,
    iterations: pd.Series,
    values: pd.Series,
    quality: pd.Series,
    log: bool,
    rng: np.random.Generator,
) -> object:
    points = ax.scatter(
        iterations + rng.uniform(-0.18, 0.18, len(values)),
        values,
        c=quality,
        cmap="viridis",
        vmin=0,
        vmax=1,
        s=14,
        alpha=0.85,
        linewidths=0,
        rasterized=len(values) > 500,
    )
    median = values.groupby(iterations).median()
    ax.plot(median.index, median.to_numpy(), "-", color="#c0504d", lw=1.6, label="median")
    if log and (values.dropna() > 0).all():
        ax.set_yscale("log")
    else:
        maybe_log(ax, values)
    return points


def _development_categorical(ax: Axes, iterations: pd.Series, values: pd.Series) -> None:
    levels, labels = discretize(values, 8)
    shares = pd.crosstab(iterations, levels, normalize="index").reindex(columns=labels).fillna(0)
    bottom = np.zeros(len(shares))
    colors = [f"C{i}" for i in range(len(labels))]
    for label, color in zip(labels, colors, strict=True):
        ax.bar(
            shares.index,
            shares[label],
            bottom=bottom,
            color=color,
            width=0.8,
            label=short_label(label),
        )
        bottom += shares[label].to_numpy()
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of jobs")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)


def distribution_development_figure(
    frame: pd.DataFrame,
    iterations: pd.Series,
    params: Sequence[str],
    metric: str,
    minimize: bool,
    *,
    log_params: frozenset[str] | set[str] = frozenset(),
    title: str = "Distribution development",
) -> Figure | None:
    """Sampled values of each optimized parameter per iteration (colour: metric quality)."""
    if not params or frame.empty:
        return None
    fig = new_page(
        title,
        note=f"Numeric parameters: dots are sampled values, coloured by the job's rank in {metric} "
        "(yellow = best); red line: median per iteration. Categorical parameters: share of "
        "jobs per value.",
    )
    axes = subplot_grid(fig, len(params))
    quality = frame[metric].rank(pct=True, ascending=not minimize) if metric in frame else None
    if quality is None:
        quality = pd.Series(0.5, index=frame.index)
    quality = quality.fillna(0.0)
    rng = np.random.default_rng(0)
    points = None
    for ax, param in zip(axes, params, strict=True):
        values = frame[param]
        if is_numeric(values) and values.nunique() > 3:
            points = _development_numeric(ax, iterations, values, quality, param in log_params, rng)
            ax.set_ylabel("value")
        else:
            _development_categorical(ax, iterations, values)
        ax.set_title(shorten_name(param, 32))
        ax.set_xlabel("iteration")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
    if points is not None:
        fig.colorbar(
            points,
            ax=axes,
            shrink=0.6,
            label=f"percentile rank in {shorten_name(metric, 20)} (1 = best)",
        )
    return fig
