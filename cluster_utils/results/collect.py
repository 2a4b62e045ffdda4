"""Merge every job's parameters and metrics into ``all_data.csv``; failures into ``failures.csv``.

Reads only files (settings.json, params.json, metrics.csv, state.json), so it can run at any time:
after the run, from Snakemake's ``onerror`` handler, or while jobs are still running.
all_data.csv is laid out as 3.0 wrote it (``cluster_utils.results.table_format``).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster_utils.base import constants
from cluster_utils.base.settings import flatten_dict
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.results.failures import FAILURE_COLUMNS, failure_row
from cluster_utils.results.table_format import (
    INDEX_COLUMN,
    grid_all_data_columns,
    grid_param_order,
)


@dataclass
class RunSummary:
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: all_data.csv was (re)written with other content than it had
    all_data_changed: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _number(text: str) -> Any:
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return {"True": True, "False": False}.get(text, text)
    return value


def read_metrics(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except FileNotFoundError:
        return None
    if len(rows) < 2:
        return None
    return {name: _number(value) for name, value in zip(rows[0], rows[1], strict=False)}


def read_params(layout: ExperimentLayout, job_id: int) -> dict[str, Any]:
    with open(layout.params_file(job_id)) as f:
        return json.load(f)


def write_csv(
    path: Path, rows: list[dict[str, Any]], first_columns: list[str] = (), *, index: bool = False
) -> bool:
    """Write ``rows`` (``first_columns`` first, then any other key as seen), atomically, and only
    when the content changes (an unchanged file keeps its mtime, so Snakemake redraws nothing
    that depends on it). Whether it was written.

    ``index``: begin with 3.0's unnamed index column, the row number (as pandas' ``to_csv``).
    """
    columns = list(first_columns)
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    if index:
        columns.insert(0, INDEX_COLUMN)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for number, row in enumerate(rows):
            values = {k: _csv_value(v) for k, v in row.items()}
            if index:
                values[INDEX_COLUMN] = number
            writer.writerow(values)
    if _same_content(tmp, path):
        tmp.unlink()
        return False
    os.replace(tmp, path)
    return True


def _same_content(new: Path, old: Path) -> bool:
    try:
        return old.stat().st_size == new.stat().st_size and old.read_bytes() == new.read_bytes()
    except OSError:
        return False


def _csv_value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def _grid_settings(layout: ExperimentLayout) -> dict[str, Any]:
    try:
        with open(layout.settings_json) as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return {}
    return settings if isinstance(settings, dict) else {}


def collect_results(layout: ExperimentLayout, job_ids: list[int]) -> RunSummary:
    """Write all_data.csv, failures.csv and jobs.csv (with status) for ``job_ids``."""
    summary = RunSummary()
    data_rows: list[dict[str, Any]] = []
    job_rows: list[dict[str, Any]] = []
    param_columns: list[str] = []
    metric_columns: list[str] = []
    for job_id in job_ids:
        state = job_state.load_state(layout, job_id)
        params = flatten_dict(read_params(layout, job_id))
        status = state.status
        metrics = None
        if status == job_state.SUCCEEDED:
            metrics = read_metrics(layout.working_dir(job_id) / constants.CLUSTER_METRIC_FILE)
            metrics = metrics or state.metrics  # the working dir may have been removed
            if metrics is None:
                status = job_state.FAILED
                state.reason = "metrics.csv is missing or empty"
        summary.counts[status] += 1
        job_rows.append(
            {
                constants.ID: job_id,
                "status": status,
                "reason": state.reason or "",
                "resumes": state.resumes,
                **params,
            }
        )
        if metrics is not None:
            param_columns.extend(params)
            metric_columns.extend(metrics)
            data_rows.append({**params, **metrics, constants.ID: job_id})
        elif status == job_state.FAILED:
            summary.failures.append(failure_row(layout, state))

    order = grid_param_order(_grid_settings(layout)) if data_rows else []
    columns = grid_all_data_columns(order, param_columns, metric_columns) if data_rows else []
    summary.all_data_changed = write_csv(layout.all_data_csv, data_rows, columns, index=True)
    write_csv(layout.failures_csv, summary.failures, FAILURE_COLUMNS)
    write_csv(layout.jobs_csv, job_rows, [constants.ID, "status", "reason", "resumes"])
    return summary
