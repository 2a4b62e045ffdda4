"""What a finished job means for the optimization, read from the files its runner left.

- ``succeeded``: the metric from ``metrics.csv`` (missing metric -> a failure with a reason);
- ``failed``: told to the optimizer as ``None`` (a failure, never dropped);
- ``stopped_early`` (kill_bad_jobs_early): its last early result;
- anything else (``pending``/``running``): the runner ended without an outcome (interrupted, or
  not started because the run was aborted); the driver decides whether to start it again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cluster_utils.base import constants
from cluster_utils.base.job_protocol import read_early_results
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.results.collect import read_metrics

FINISHED_STATUSES = (job_state.SUCCEEDED, job_state.FAILED, job_state.STOPPED_EARLY)


@dataclass(frozen=True)
class JobOutcome:
    status: str
    #: the value of metric_to_optimize told to the optimizer (None: failed / no outcome)
    value: float | None = None
    metrics: dict[str, Any] | None = None
    reason: str | None = None
    stderr_tail: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


def _as_metric_value(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def read_outcome(
    layout: ExperimentLayout,
    job_id: int,
    metric: str,
    last_early_value: float | None = None,
) -> JobOutcome:
    state = job_state.load_state(layout, job_id)
    if state.status == job_state.SUCCEEDED:
        metrics = read_metrics(layout.working_dir(job_id) / constants.CLUSTER_METRIC_FILE)
        if metrics is None:
            return JobOutcome(job_state.FAILED, reason="metrics.csv is missing or empty")
        value = _as_metric_value(metrics.get(metric))
        if value is None:
            found = metrics.get(metric, "nothing")
            return JobOutcome(
                job_state.FAILED,
                metrics=metrics,
                reason=f"metrics.csv has no numeric '{metric}' (metric_to_optimize): {found!r}",
            )
        return JobOutcome(job_state.SUCCEEDED, value=value, metrics=metrics)
    if state.status == job_state.STOPPED_EARLY:
        early = read_early_results(layout.working_dir(job_id)) or {}
        metrics = dict(early.get("metrics") or {})
        value = _as_metric_value(metrics.get(metric))
        if value is None:
            value = last_early_value
        if value is not None:
            metrics[metric] = value
        return JobOutcome(
            job_state.STOPPED_EARLY, value=value, metrics=metrics or None, reason=state.reason
        )
    if state.status == job_state.FAILED:
        return JobOutcome(
            job_state.FAILED, reason=state.reason or "unknown", stderr_tail=state.stderr_tail
        )
    return JobOutcome(state.status, reason=state.reason)
