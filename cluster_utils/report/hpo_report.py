"""The hp_optimization report."""

from __future__ import annotations

import pandas as pd

from .analysis import constant_metrics, iteration_column, parameter_importance, recommendations
from .columns import TIME_METRIC
from .data import ExperimentData
from .iteration_plots import distribution_development_figure, progress_figure
from .plot_helpers import better_text
from .plots import importance_figure
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

TOP_RECOMMENDATIONS = 10
PARAMS_PER_PAGE = 6


def hpo_title(data: ExperimentData) -> str:
    return f"Hyperparameter optimization report: {data.name}"


def _target(data: ExperimentData) -> tuple[str | None, bool, list[str]]:
    analysis = []
    metric, minimize = data.optimization_target()
    if metric is not None and metric not in data.numeric_metrics:
        data.add_note(f"metric_to_optimize '{metric}' is not a numeric column of all_data.csv.")
        metric = None
    if metric is None:
        constant = constant_metrics(data.all_data, data.numeric_metrics)
        numeric = [m for m in data.numeric_metrics if m not in constant] or data.numeric_metrics
        candidates = [m for m in numeric if m != TIME_METRIC] or numeric
        metric = candidates[0] if candidates else None
        if metric is not None:
            data.add_note(f"metric_to_optimize not configured; using '{metric}'.")
    if minimize is None:
        minimize = True
        analysis.append("minimize not configured; lower values are treated as better.")
    return metric, minimize, analysis


def _chunk_size(data: ExperimentData) -> int:
    setting = (data.settings or {}).get("optimization_setting") or {}
    value = setting.get("n_jobs_per_iteration") if isinstance(setting, dict) else None
    return int(value) if isinstance(value, int) and value > 0 else 10


def _recommendation_pages(data: ExperimentData, metric: str, minimize: bool) -> list:
    table = recommendations(
        data.all_data,
        data.reduced_data,
        data.params,
        metric,
        minimize,
        how_many=TOP_RECOMMENDATIONS,
    )
    if table.empty:
        return []
    from_reduced = data.reduced_data is not None and metric in data.reduced_data.columns
    source = "reduced_data.csv" if from_reduced else "all_data.csv, grouped by parameters"
    table = table.rename(columns={"mean": f"mean {metric}", "std": "std over restarts"})
    return table_pages(
        f"Top {len(table)} recommendations ({better_text(minimize)})",
        short_param_table(table, data.params),
        note=f"Settings ranked by the mean of {metric} over their restarts (source: {source}); "
        "std is empty for settings run once.",
    )


def _importance_pages(data: ExperimentData, metric: str) -> list[Page]:
    if len(data.all_data) < 3:
        data.add_note("Parameter importance needs three or more successful jobs.")
        return []
    if not data.params:
        return []
    importance = parameter_importance(data.all_data, data.params, metric)
    figure = importance_figure(importance, metric)
    if figure is None:
        data.add_note("Parameter importance: no parameter varies.")
    return pages("param_importance", figure)


def _development_pages(
    data: ExperimentData, iterations: pd.Series, metric: str, minimize: bool
) -> list[Page]:
    """Distribution development, :data:`PARAMS_PER_PAGE` parameters per page."""
    result: list[Page] = []
    for start in range(0, len(data.params), PARAMS_PER_PAGE):
        chunk = data.params[start : start + PARAMS_PER_PAGE]
        title = "Distribution development" + (" (continued)" if start else "")
        result += pages(
            "distribution_development",
            distribution_development_figure(
                data.all_data,
                iterations,
                chunk,
                metric,
                minimize,
                log_params=data.log_params,
                title=title,
            ),
        )
    return result


def _metric_pages(data: ExperimentData, metric: str, minimize: bool) -> list[Page]:
    """Progress, recommendations, importance, distribution development, statistics."""
    frame = data.all_data
    iterations = iteration_column(frame, _chunk_size(data))
    note = None
    if "_iteration" not in frame.columns:
        note = "No _iteration column: iterations are consecutive chunks of jobs in id order."
        data.add_note(note)
    result = pages(
        "optimization_progress", progress_figure(frame, iterations, metric, minimize, note=note)
    )
    result += pages("recommendations", _recommendation_pages(data, metric, minimize))
    result += _importance_pages(data, metric)
    if not data.params:
        data.add_note("No optimized parameter found: no importance or distribution development.")
    result += _development_pages(data, iterations, metric, minimize)
    result += pages("summary", summary_pages(data, data.numeric_metrics, minimize))
    return result


def build_hpo_pages(data: ExperimentData) -> list[Page]:
    """All pages of the hpo report, the overview first.  Must run inside ``report_style``."""
    metric, minimize, analysis = _target(data)
    analysis.insert(0, f"Metric to optimize: {metric or 'none'} ({better_text(minimize)}).")
    body: list[Page] = []
    if data.all_data.empty:
        data.add_note("No successful jobs: no progress, recommendations or importance.")
    elif metric is None:
        data.add_note("No numeric metric in all_data.csv: nothing to plot.")
    else:
        body += _metric_pages(data, metric, minimize)
    body += pages("failures", failure_pages(data))
    body += pages("job_timeline", timeline_page(data))
    overview = overview_pages(data, hpo_title(data), config_summary(data, data.params), analysis)
    return pages("overview", overview) + body
