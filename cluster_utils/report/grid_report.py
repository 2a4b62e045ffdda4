"""The grid_search report."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd

from .analysis import best_jobs, constant_metrics, parameter_importance
from .columns import TIME_METRIC, report_metric_setting
from .data import ExperimentData
from .plot_helpers import better_text
from .plots import (
    correlation_figure,
    heatmaps_figure,
    importance_figure,
    param_distributions_figure,
)
from .sections import (
    Page,
    config_summary,
    failure_pages,
    overview_pages,
    pages,
    short_param_table,
    summary_pages,
    timeline_page,
)
from .tables import table_pages

#: Caps that keep huge grids fast and the PDF readable.
MAX_FIGURE_METRICS = 3
MAX_DISTRIBUTION_PARAMS = 6
MAX_HEATMAP_PAIRS = 6
BEST_JOBS = 10


def grid_title(data: ExperimentData) -> str:
    return f"Grid search report: {data.name}"


def choose_metrics(
    data: ExperimentData, metric: str | Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """(metrics to report, metrics that get per-parameter figures: some that vary)."""
    numeric = data.numeric_metrics
    if metric is not None:
        wanted = [metric] if isinstance(metric, str) else list(metric)
        unknown = [m for m in wanted if m not in data.metrics]
        if unknown:
            raise ValueError(
                f"metric(s) {', '.join(unknown)} not found; "
                f"available: {', '.join(data.metrics) or 'none'}"
            )
        non_numeric = [m for m in wanted if m not in numeric]
        if non_numeric:
            data.add_note(f"Requested metric(s) not numeric, skipped: {', '.join(non_numeric)}.")
        reported = [m for m in wanted if m in numeric]
    else:
        configured = report_metric_setting(data.settings)
        target, _ = data.optimization_target()
        if target:
            configured = configured or [target]
        reported = [m for m in configured if m in numeric]
        missing = [m for m in configured if m not in numeric]
        if missing:
            data.add_note(
                f"report_metric from settings not found or not numeric: {', '.join(missing)}."
            )
        if not reported:
            reported = list(numeric)
    constant = constant_metrics(data.all_data, reported)
    varying = [m for m in reported if m not in constant]
    focus = [m for m in varying if m != TIME_METRIC] or varying[:1]
    if len(focus) > MAX_FIGURE_METRICS:
        data.add_note(
            f"Per-parameter figures only for the first {MAX_FIGURE_METRICS} metrics "
            f"({', '.join(focus[:MAX_FIGURE_METRICS])}); pass a metric to choose."
        )
        focus = focus[:MAX_FIGURE_METRICS]
    return reported, focus


def _best_jobs_pages(
    data: ExperimentData, metric: str, metrics: Sequence[str], minimize: bool
) -> list:
    others = [m for m in metrics if m != metric][:3]
    top = best_jobs(
        data.all_data, metric, data.params, minimize, how_many=BEST_JOBS, extra_metrics=others
    )
    return table_pages(
        f"Best jobs by {metric} ({better_text(minimize)})",
        short_param_table(top, data.params),
        note=f"Top {BEST_JOBS} successful jobs sorted by {metric}; other columns for reference.",
    )


def build_grid_pages(
    data: ExperimentData, *, metric: str | Sequence[str] | None = None, minimize: bool | None = None
) -> list[Page]:
    """All pages of the grid report, the overview first.  Must run inside ``report_style``."""
    frame = data.all_data
    if minimize is None:
        _, minimize = data.optimization_target()
    minimize_note = ""
    if minimize is None:
        minimize = True
        minimize_note = " (not configured; pass --maximize if higher is better)"
    reported, focus = choose_metrics(data, metric)
    analysis = [
        f"Metrics reported: {', '.join(reported) or 'none'}; "
        f"{better_text(minimize)}{minimize_note}.",
    ]
    body: list[Page] = []
    n_ok = len(frame)
    if n_ok == 0:
        data.add_note("No successful jobs: no statistics or plots of metrics.")
    elif not reported:
        data.add_note("No numeric metric in all_data.csv: no statistics or plots of metrics.")
    else:
        body += pages("summary", summary_pages(data, reported, minimize))
        varying = [m for m in reported if m not in constant_metrics(frame, reported)]
        if not varying:
            data.add_note("No metric varies: no best jobs, distributions or heatmaps.")
        for m in varying:
            body += pages("best_jobs", _best_jobs_pages(data, m, varying, minimize))
        if n_ok < 2:
            data.add_note(
                "Only one successful job: correlations, distributions and heatmaps need two or "
                "more."
            )
        elif varying:
            correlation = correlation_figure(frame, varying)
            if correlation is None:
                data.add_note("Metric correlation needs two or more metrics that vary.")
            body += pages("metric_correlation", correlation)
            body += _per_metric_pages(data, focus, minimize)
    body += pages("failures", failure_pages(data))
    body += pages("job_timeline", timeline_page(data))
    overview = overview_pages(data, grid_title(data), config_summary(data, data.params), analysis)
    return pages("overview", overview) + body


def _per_metric_pages(data: ExperimentData, focus: Sequence[str], minimize: bool) -> list[Page]:
    frame = data.all_data
    result: list[Page] = []
    if not data.params:
        data.add_note("No swept parameter found: no distributions, heatmaps or importance.")
        return result
    varied = [p for p in data.params if frame[p].nunique(dropna=False) > 1]
    single = [p for p in data.params if p not in varied]
    if single:
        data.add_note(
            "Parameters with one value among the successful jobs, not plotted: "
            + ", ".join(single)
            + "."
        )
    if not varied:
        return result
    if len(varied) == 1:
        data.add_note("Only one parameter varies: no pairwise heatmaps.")
    for k, metric in enumerate(focus):
        if frame[metric].notna().sum() < 2:
            data.add_note(f"{metric}: fewer than two non-NaN values, no per-parameter plots.")
            continue
        importance = parameter_importance(frame, varied, metric)
        ranked = list(importance["param"])
        shown = ranked[:MAX_DISTRIBUTION_PARAMS]
        note = None
        if len(ranked) > len(shown):
            note = f"Showing the {len(shown)} most important of {len(ranked)} parameters."
        if k == 0 and len(varied) > 1:
            result += pages("param_importance", importance_figure(importance, metric))
        result += pages(
            "param_distributions",
            param_distributions_figure(
                frame,
                shown,
                metric,
                minimize,
                title=f"Distribution of {metric} per parameter value",
                note=note,
            ),
        )
        result += _heatmap_pages(frame, ranked, metric, minimize)
    return result


def _heatmap_pages(
    frame: pd.DataFrame, ranked: Sequence[str], metric: str, minimize: bool
) -> list[Page]:
    """Heatmaps of the first pairs of ``ranked`` (combinations of the ranked list: best first)."""
    all_pairs = list(itertools.combinations(ranked, 2))
    pairs = all_pairs[:MAX_HEATMAP_PAIRS]
    if not pairs:
        return []
    note = None
    if len(all_pairs) > len(pairs):
        note = f"Showing {len(pairs)} of {len(all_pairs)} pairs (most important parameters)."
    return pages(
        "pair_heatmaps",
        heatmaps_figure(
            frame,
            pairs,
            metric,
            minimize,
            title=f"Mean {metric} for pairs of parameters",
            note=note,
        ),
    )
