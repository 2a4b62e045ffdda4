"""The result tables of an optimization: all_data.csv, reduced_data.csv, jobs.csv, failures.csv.

Built from the driver's job records (which keep every finished job's metrics), so they stay
complete after ``remove_working_dirs`` deleted the working directories. all_data.csv and
reduced_data.csv are laid out as 3.0 wrote them (``cluster_utils.results.table_format``):
all_data.csv has every column sorted by name (parameters, metrics, ``_id``, ``_iteration``), best
job first; reduced_data.csv has the mean of metric_to_optimize over restarts of identical settings,
``job_restarts`` and ``<metric>__std``.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from cluster_utils.base import constants
from cluster_utils.base.settings import flatten_dict
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.driver_state import DriverState
from cluster_utils.results.collect import read_params, write_csv
from cluster_utils.results.failures import FAILURE_COLUMNS, failure_row
from cluster_utils.results.table_format import hpo_all_data_columns, reduced_data_columns

RESULT_STATUSES = (job_state.SUCCEEDED, job_state.STOPPED_EARLY)


class ResultsTables:
    def __init__(self, layout: ExperimentLayout, metric: str, minimize: bool) -> None:
        self.layout = layout
        self.metric = metric
        self.minimize = minimize
        self._flat_params: dict[int, dict[str, Any]] = {}

    def flat_params(self, job_id: int) -> dict[str, Any]:
        if job_id not in self._flat_params:
            try:
                self._flat_params[job_id] = flatten_dict(read_params(self.layout, job_id))
            except FileNotFoundError:
                self._flat_params[job_id] = {}
        return self._flat_params[job_id]

    def result_rows(self, state: DriverState) -> list[dict[str, Any]]:
        """One row per job with a result (succeeded or stopped early), best first."""
        rows = [
            {
                **self.flat_params(record.id),
                **(record.metrics or {}),
                constants.ID: record.id,
                constants.ITERATION: record.iteration,
            }
            for record in state.jobs.values()
            if record.status in RESULT_STATUSES and record.value is not None
        ]
        sign = 1 if self.minimize else -1
        rows.sort(key=lambda row: (sign * float(row[self.metric]), row[constants.ID]))
        return rows

    def write_all(self, state: DriverState, optimized_names: list[str]) -> None:
        rows = self.result_rows(state)
        write_csv(self.layout.all_data_csv, rows, hpo_all_data_columns(rows), index=True)
        self._write_reduced(rows, optimized_names)
        self._write_jobs_and_failures(state)

    def _write_reduced(self, rows: list[dict[str, Any]], optimized_names: list[str]) -> None:
        """3.0's reduced_data.csv: mean, count and std of the metric per distinct setting."""
        path = self.layout.reduced_data_csv
        if not rows:
            write_csv(path, [], reduced_data_columns(optimized_names, self.metric), index=True)
            return
        frame = pd.DataFrame(rows)
        names = [n for n in optimized_names if n in frame.columns]
        keys = frame[names].map(lambda v: json.dumps(v) if isinstance(v, list | dict) else v)
        grouped = frame[[self.metric]].groupby([keys[n] for n in names], dropna=False, sort=False)
        reduced = grouped.mean()
        reduced[constants.RESTART_PARAM_NAME] = grouped.size()
        reduced = pd.concat([reduced, grouped.std().add_suffix(constants.STD_ENDING)], axis=1)
        reduced = reduced.reset_index()
        reduced = reduced.sort_values(self.metric, ascending=self.minimize, kind="stable")
        columns = reduced_data_columns(names, self.metric)
        write_csv(path, reduced[columns].to_dict("records"), columns, index=True)

    def _write_jobs_and_failures(self, state: DriverState) -> None:
        job_rows: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for record in state.jobs.values():
            runner_state = job_state.load_state(self.layout, record.id)
            status = record.status if record.finished else runner_state.status
            job_rows.append(
                {
                    constants.ID: record.id,
                    "status": status,
                    "reason": record.reason or "",
                    "resumes": runner_state.resumes,
                    constants.ITERATION: record.iteration,
                    **self.flat_params(record.id),
                }
            )
            if record.status == job_state.FAILED:
                failures.append(failure_row(self.layout, runner_state, record.reason))
        write_csv(self.layout.failures_csv, failures, FAILURE_COLUMNS)
        write_csv(
            self.layout.jobs_csv,
            job_rows,
            [constants.ID, "status", "reason", "resumes", constants.ITERATION],
        )
