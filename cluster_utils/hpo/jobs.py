"""The jobs of an optimization: creating them (fresh ids, one params.json each) and reading
their outcome back (status, metric value, early results) from the runner's files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cluster_utils.base import constants
from cluster_utils.base.job_protocol import atomic_write_text, read_early_results
from cluster_utils.base.nested_dicts import merge_nested, set_dotted
from cluster_utils.base.settings import evaluate_dynamic, unflatten_dict
from cluster_utils.experiment import job_state
from cluster_utils.experiment.job_ids import reserve_ids
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.results.collect import read_metrics


def job_params(
    fixed_params: Mapping[str, Any], setting: Mapping[str, Any], job_id: int, working_dir: str
) -> dict[str, Any]:
    """The nested parameters a job script receives: fixed_params, the optimized values on top,
    per-job templates (``"{fn_args.u < 0.2}"``) evaluated, plus ``id`` and ``working_dir``."""
    params = merge_nested({}, unflatten_dict(dict(fixed_params)))
    for name, value in setting.items():
        set_dotted(params, name, list(value) if isinstance(value, tuple) else value)
    params = evaluate_dynamic(params, strict=True)
    return {**params, "id": job_id, constants.WORKING_DIR: working_dir}


def create_jobs(
    layout: ExperimentLayout, fixed_params: Mapping[str, Any], settings: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Reserve never-used ids for ``settings`` and write their parameter files; return the ids."""
    ids = reserve_ids(layout, len(settings))
    for job_id, setting in zip(ids, settings, strict=True):
        params = job_params(fixed_params, setting, job_id, str(layout.working_dir(job_id)))
        path = layout.params_file(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(params, indent=2, sort_keys=True, default=str))
    return ids


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
