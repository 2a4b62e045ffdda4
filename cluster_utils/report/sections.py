"""Pages shared by the grid and hpo reports: overview, statistics, failures, timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from cluster_utils.base.constants import ID

from .analysis import (
    constant_metrics,
    constant_metrics_line,
    format_value,
    summary_statistics,
    unique_short_names,
)
from .data import ExperimentData
from .pages import message_page, text_pages
from .tables import format_frame, table_pages
from .timeline import (
    parse_cluster_run_log,
    timeline_figure,
    timelines_from_log,
    timelines_from_states,
)

STDERR_TAIL_LINES = 5
MAX_FAILURE_PAGES = 4


@dataclass
class Page:
    """One PDF page; ``key`` names its section (and its PNG in the HTML report)."""

    key: str
    figure: Figure


def pages(key: str, figures: Sequence[Figure | None] | Figure | None) -> list[Page]:
    if figures is None:
        return []
    if isinstance(figures, Figure):
        figures = [figures]
    return [Page(key, f) for f in figures if f is not None]


def overview_pages(
    data: ExperimentData, title: str, config_lines: Sequence[str], analysis_lines: Sequence[str]
) -> list[Figure]:
    """First page(s): run metadata, job counts, configuration and what could not be shown."""
    meta = data.metadata or {}
    start = data.start_time
    counts = data.status_counts()
    run_lines = [
        f"Experiment: {data.name} ({data.run_type})",
        f"Started: {start.strftime('%Y-%m-%d %H:%M:%S') if start else 'unknown'}",
        f"Git commit: {meta.get('git_commit') or 'not recorded'}",
        f"cluster_utils version: {meta.get('cluster_utils_version') or 'unknown'}",
    ]
    total = counts.pop("total")
    count_line = ", ".join(
        f"{v} {k}" for k, v in counts.items() if v or k in ("succeeded", "failed")
    )
    job_lines = [f"{total} jobs planned: {count_line}."]
    if len(data.all_data) != counts.get("succeeded", len(data.all_data)):
        job_lines.append(f"all_data.csv holds {len(data.all_data)} rows.")
    sections: list[tuple[str, Sequence[str]]] = [
        ("Run", run_lines),
        ("Jobs", job_lines),
        ("Configuration", list(config_lines) or ["settings.json not available."]),
        ("Analysis", list(analysis_lines)),
    ]
    if data.notes:
        sections.append(("Not shown / missing", [f"- {n}" for n in data.notes]))
    return text_pages(title, sections)


def config_summary(data: ExperimentData, params: Sequence[str]) -> list[str]:
    """Lines describing the swept/optimized and the fixed parameters."""
    lines = []
    settings = data.settings or {}
    values_of: dict[str, str] = {}
    for entry in settings.get("hyperparam_list") or []:
        if isinstance(entry, dict):
            name = entry.get("param")
            label = ", ".join(name) if isinstance(name, list) else str(name)
            shown = [format_value(v, max_chars=20) for v in entry.get("values") or []]
            text = ", ".join(shown[:12]) + (f", … ({len(shown)} values)" if len(shown) > 12 else "")
            values_of[label] = f"{label}: [{text}]"
    for entry in settings.get("optimized_params") or []:
        if isinstance(entry, dict):
            bounds = entry.get("bounds", entry.get("options"))
            values_of[str(entry.get("param"))] = (
                f"{entry.get('param')}: {entry.get('distribution', '?')} {bounds}"
            )
    if values_of:
        lines.extend(values_of.values())
    elif params:
        frame = data.all_data if len(data.all_data) else data.jobs
        for p in params:
            n = frame[p].nunique() if frame is not None and p in frame else 0
            lines.append(f"{p}: {n} distinct values")
    else:
        lines.append("No swept or optimized parameters found.")
    if data.constant_params:
        fixed = ", ".join(
            f"{k}={format_value(v, max_chars=30)}"
            for k, v in list(data.constant_params.items())[:12]
        )
        more = len(data.constant_params) - 12
        lines.append(f"Fixed: {fixed}" + (f" (+{more} more)" if more > 0 else ""))
    for key in ("restarts", "optimizer_str", "script_relative_path"):
        if key in settings:
            lines.append(f"{key}: {format_value(settings[key], max_chars=80)}")
    return lines


def summary_pages(data: ExperimentData, metrics: Sequence[str], minimize: bool) -> list[Figure]:
    """Statistics of the metrics that vary; one line names those constant over all jobs."""
    constant = constant_metrics(data.all_data, metrics)
    varying = [m for m in metrics if m not in constant]
    constant_line = constant_metrics_line(constant) if constant else ""
    if not varying:
        return [message_page("Summary statistics", constant_line)]
    stats = summary_statistics(data.all_data, varying, minimize)
    table = format_frame(stats, format_value)
    direction = "lowest" if minimize else "highest"
    note = f"Over the {len(data.all_data)} successful jobs; 'best' is the {direction} value."
    return table_pages(
        "Summary statistics", table, note=f"{note} {constant_line}" if constant else note
    )


def _stderr_tail(text: object, lines: int = STDERR_TAIL_LINES) -> str:
    if not isinstance(text, str) or not text.strip():
        return ""
    kept = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _read_tail(path: Path, max_bytes: int = 4096) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def failure_frame(data: ExperimentData) -> pd.DataFrame:
    """job id, reason, return code, stderr tail of every failed job."""
    columns = ["job id", "reason", "return code", "stderr (last lines)"]
    rows = []
    if data.failures is not None and len(data.failures):
        frame = data.failures
        for _, row in frame.iterrows():
            job_id = row.get(ID, row.get("id", "?"))
            tail = row.get("stderr_tail")
            if not isinstance(tail, str) or not tail.strip():
                tail = _read_tail(data.layout.stderr_file(format_value(job_id)))
            rows.append(
                [job_id, row.get("reason", ""), row.get("return_code", ""), _stderr_tail(tail)]
            )
    elif data.states:
        for job_id, state in sorted(data.states.items()):
            if state.get("status") != "failed":
                continue
            tail = state.get("stderr_tail") or _read_tail(data.layout.stderr_file(job_id))
            rows.append([job_id, state.get("reason"), state.get("return_code"), _stderr_tail(tail)])
    frame = pd.DataFrame(rows, columns=columns)
    return format_frame(frame, lambda v: format_value(v, max_chars=400), missing="")


def failure_pages(data: ExperimentData) -> list[Figure]:
    frame = failure_frame(data)
    if frame.empty:
        return []
    return table_pages(
        f"Failed jobs ({len(frame)})",
        frame,
        note="Full logs: jobs/<id>/stderr.log in the experiment directory.",
        max_col_chars=100,
        max_cell_lines=STDERR_TAIL_LINES + 2,
        mono_columns=["stderr (last lines)"],
        font_size=8,
        max_pages=MAX_FAILURE_PAGES,
    )


def timeline_page(data: ExperimentData) -> Figure | None:
    """Timeline from state.json files, else from cluster_run.log; a note when neither works."""
    timelines = timelines_from_states(data.states) if data.states else []
    source = "jobs/<id>/state.json"
    log_file = data.log_file
    if not timelines and log_file is not None:
        try:
            timelines = timelines_from_log(parse_cluster_run_log(log_file))
            source = log_file.name
        except (OSError, ValueError) as error:
            data.add_note(f"{log_file.name} could not be parsed ({error}).")
    if not timelines:
        data.add_note("Job timeline: no job start times found (no state.json attempts or log).")
        return None
    return timeline_figure(timelines, source=source)


def short_param_table(frame: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """Rename parameter columns to short unique names and format all cells."""
    names = unique_short_names(list(params), 22)
    return format_frame(frame.rename(columns=names), format_value)
