"""The hp_optimization report."""

from __future__ import annotations

import logging
from pathlib import Path

from .analysis import iteration_column, parameter_importance, recommendations
from .data import TIME_METRIC, ExperimentData, load_experiment
from .layout import report_style, table_pages
from .pdf import write_pdf
from .plots import (
    better_text,
    distribution_development_figure,
    importance_figure,
    progress_figure,
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

logger = logging.getLogger("cluster_utils.report")

HPO_REPORT_NAME = "result.pdf"
TOP_RECOMMENDATIONS = 10
PARAMS_PER_PAGE = 6


def default_hpo_output(data: ExperimentData) -> Path:
    """3.0's name: ``result.pdf`` in the experiment directory."""
    return data.directory / HPO_REPORT_NAME


def _target(data: ExperimentData) -> tuple[str | None, bool, list[str]]:
    analysis = []
    metric, minimize = data.optimization_target()
    if metric is not None and metric not in data.numeric_metrics:
        data.add_note(f"metric_to_optimize '{metric}' is not a numeric column of all_data.csv.")
        metric = None
    if metric is None:
        candidates = [m for m in data.numeric_metrics if m != TIME_METRIC] or data.numeric_metrics
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


def build_hpo_pages(data: ExperimentData) -> list[Page]:
    """All pages of the hpo report, the overview first.  Must run inside ``report_style``."""
    frame = data.all_data
    metric, minimize, analysis = _target(data)
    analysis.insert(0, f"Metric to optimize: {metric or 'none'} ({better_text(minimize)}).")
    body: list[Page] = []
    if frame.empty:
        data.add_note("No successful jobs: no progress, recommendations or importance.")
    elif metric is None:
        data.add_note("No numeric metric in all_data.csv: nothing to plot.")
    else:
        iterations = iteration_column(frame, _chunk_size(data))
        note = None
        if "_iteration" not in frame.columns:
            note = "No _iteration column: iterations are consecutive chunks of jobs in id order."
            data.add_note(note)
        body += pages(
            "optimization_progress", progress_figure(frame, iterations, metric, minimize, note=note)
        )
        body += pages("recommendations", _recommendation_pages(data, metric, minimize))
        if len(frame) < 3:
            data.add_note("Parameter importance needs three or more successful jobs.")
        elif data.params:
            importance = parameter_importance(frame, data.params, metric)
            figure = importance_figure(importance, metric)
            if figure is None:
                data.add_note("Parameter importance: no parameter varies.")
            body += pages("param_importance", figure)
        if not data.params:
            data.add_note(
                "No optimized parameter found: no importance or distribution development."
            )
        for start in range(0, len(data.params), PARAMS_PER_PAGE):
            chunk = data.params[start : start + PARAMS_PER_PAGE]
            title = "Distribution development" + (" (continued)" if start else "")
            body += pages(
                "distribution_development",
                distribution_development_figure(
                    frame,
                    iterations,
                    chunk,
                    metric,
                    minimize,
                    log_params=data.log_params,
                    title=title,
                ),
            )
        body += pages("summary", summary_pages(data, data.numeric_metrics, minimize))
    body += pages("failures", failure_pages(data))
    body += pages("job_timeline", timeline_page(data))
    overview = overview_pages(
        data,
        f"Hyperparameter optimization report: {data.name}",
        config_summary(data, data.params),
        analysis,
    )
    return pages("overview", overview) + body


def produce_hpo_report(experiment_dir: str | Path, output_pdf: str | Path | None = None) -> Path:
    """Write the hp_optimization PDF report of ``experiment_dir`` and return its path.

    Default output: ``<experiment_dir>/result.pdf`` as in 3.0.
    """
    data = load_experiment(experiment_dir)
    output = Path(output_pdf) if output_pdf is not None else default_hpo_output(data)
    with report_style():
        figures = [p.figure for p in build_hpo_pages(data)]
        write_pdf(figures, output, title=f"Hyperparameter optimization report: {data.name}")
    logger.info("Saved hp_optimization report to %s", output)
    return output
