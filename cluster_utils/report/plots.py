"""The report's figures: one function per figure, each returning a matplotlib Figure.

Figures are drawn on :class:`~matplotlib.figure.Figure` objects with an Agg canvas (never
pyplot), sized as one A4-landscape page, titled with ``suptitle``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .analysis import IMPORTANCE_METHOD, discretize, format_value, shorten_name
from .data import is_numeric
from .layout import new_page

MAX_TICK_LABEL = 14
STRIP_COLOR = "#1f4e79"
BOX_COLOR = "#a9c4e0"
BEST_COLOR = "#f2b134"


def better_text(minimize: bool) -> str:
    return "lower is better" if minimize else "higher is better"


def _subplots(fig: Figure, n: int, max_cols: int = 3) -> list[Axes]:
    """Exactly ``n`` axes on a near-square grid (no empty axes)."""
    cols = min(max_cols, n) if n > 2 else n
    cols = 2 if n == 4 else cols
    rows = math.ceil(n / cols)
    return [fig.add_subplot(rows, cols, i + 1) for i in range(n)]


def _short_label(label: str) -> str:
    """Cut long labels in the middle so that labels differing at either end stay distinct."""
    if len(label) <= MAX_TICK_LABEL:
        return label
    head = (MAX_TICK_LABEL - 1) // 2
    return label[:head] + "…" + label[-(MAX_TICK_LABEL - 1 - head) :]


def _category_ticks(ax: Axes, labels: Sequence[str], axis: str = "x") -> None:
    """Category tick labels that do not overlap: abbreviate, rotate, and thin out."""
    shown = [_short_label(lab) for lab in labels]
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


def _wants_log(values: pd.Series | np.ndarray) -> bool:
    """Positive data spanning more than two decades."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    return bool(data.size >= 2 and data.min() > 0 and data.max() / data.min() >= 100)


def _maybe_log(ax: Axes, values: pd.Series | np.ndarray, axis: str = "y") -> bool:
    """Use a log scale for positive data spanning more than two decades."""
    if not _wants_log(values):
        return False
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    return True


def _alpha_for(n: int) -> float:
    return float(max(0.15, min(0.8, 40.0 / max(n, 1))))


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
            alpha=_alpha_for(total / len(data)),
            linewidths=0,
            zorder=3,
            rasterized=total > 300,
        )
    _category_ticks(ax, [lab for lab, _ in groups])
    _maybe_log(ax, np.concatenate(data))
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
    axes = _subplots(fig, len(usable))
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
    axes = _subplots(fig, len(pairs))
    image = None
    for ax, (a, b), (table, row_labels, col_labels) in zip(axes, pairs, tables, strict=True):
        values = np.ma.masked_invalid(table.to_numpy(dtype=float))
        image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto", origin="lower")
        ax.set_facecolor("0.85")
        ax.grid(False)
        _category_ticks(ax, col_labels, "x")
        _category_ticks(ax, row_labels, "y")
        ax.set_xlabel(shorten_name(b, 30))
        ax.set_ylabel(shorten_name(a, 30))
        n_cells = values.size
        if n_cells <= 64:
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


def _outlier_limit(values: pd.Series, minimize: bool) -> float | None:
    """An axis limit that cuts off far outliers on the bad side (None: nothing to cut)."""
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    spread = q3 - q1
    if not spread > 0:
        return None
    limit = q3 + 4 * spread if minimize else q1 - 4 * spread
    beyond = values > limit if minimize else values < limit
    return float(limit) if beyond.any() else None


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
    log = _wants_log(data["value"])
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
    alpha = _alpha_for(len(data) / max(1, data["it"].nunique()))
    ax.scatter(jitter[~beyond], shown[~beyond], s=16, alpha=alpha, label="job", **common)
    if beyond.any():
        marker = "^" if minimize else "v"
        ax.scatter(jitter[beyond], shown[beyond], s=30, marker=marker, alpha=0.8, **common)
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
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=15))
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"{shorten_name(metric, 30)} ({better_text(minimize)})")
    ax.legend(loc="upper right" if minimize else "lower right")
    best_iteration = best_each.idxmin() if minimize else best_each.idxmax()
    ax.set_title(
        f"best: {format_value(float(best_so_far.iloc[-1]))} (reached in iteration "
        f"{format_value(best_iteration)})"
    )
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
        _maybe_log(ax, values)
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
            label=_short_label(label),
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
    axes = _subplots(fig, len(params))
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
