"""kill_bad_jobs_early: stop running jobs whose early results rank badly (3.0's rule).

Every value of ``metric_to_optimize`` a job reports with ``announce_early_results`` is one step
of its history. The reference is the set of finished (successful) jobs with the longest history:
each contributes its early values followed by its final result, and at least five are needed.
Per step, the jobs are ranked (0 = best, honouring ``minimize``); the rank deviation of a step is
the root mean square difference between the ranks at that step and the final ranks, i.e. how
well that step predicts the final order. A running job that has reported ``k`` values, with ``k``
at most half the reference length, is ranked by its latest value among the reference jobs'
values at step ``k``. It is stopped when

    rank - how_many_stds * rank_deviation[step] > target_rank

It then gets a stop request (its runner ends it and records ``stopped_early``) and its last early
value is told to the optimizer as its result.

The driver reads each running job's ``early_results.json`` at every poll; a job that reports
faster than the driver polls (a fraction of a second locally, about a second through Snakemake)
has its skipped values missing from its history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cluster_utils.base.job_protocol import read_early_results
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.driver_state import JobRecord

#: fewer finished jobs with early results than this: nobody is stopped
MIN_REFERENCE_JOBS = 5


@dataclass(frozen=True)
class RankReference:
    #: one row per reference job: early values, then the final result
    values: np.ndarray
    rank_deviations: np.ndarray


def _ranks(values: np.ndarray, minimize: bool) -> np.ndarray:
    sign = 1.0 if minimize else -1.0
    return np.argsort(np.argsort(values * sign, axis=0, kind="stable"), axis=0, kind="stable")


def rank_reference(histories: Sequence[Sequence[float]], minimize: bool) -> RankReference | None:
    """Reference from finished jobs' ``early values + [final result]``; None if too few."""
    if not histories:
        return None
    longest = max(len(h) for h in histories)
    rows = [list(h) for h in histories if len(h) == longest and longest >= 2]
    if len(rows) < MIN_REFERENCE_JOBS:
        return None
    values = np.array(rows, dtype=float)
    ranks = _ranks(values, minimize)
    deviations = np.sqrt(np.mean((ranks - ranks[:, -1:]) ** 2, axis=0))
    return RankReference(values, deviations)


def looks_bad(
    reference: RankReference,
    early_values: Sequence[float],
    *,
    minimize: bool,
    target_rank: float,
    how_many_stds: float,
) -> bool:
    if not early_values or len(early_values) > reference.values.shape[1] // 2:
        return False  # no early result yet, or past half of its run: let it finish
    step = len(early_values) - 1
    column = np.append(reference.values[:, step], float(early_values[-1]))
    rank = _ranks(column, minimize)[-1]
    return bool(rank - how_many_stds * reference.rank_deviations[step] > target_rank)


def record_early_value(layout: ExperimentLayout, record: JobRecord, metric: str) -> bool:
    """Append the job's latest early value of ``metric`` if it is new; whether it was."""
    early = read_early_results(layout.working_dir(record.id))
    if not early or early.get("time") == record.early_time:
        return False
    value = (early.get("metrics") or {}).get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return False
    record.early_time = early.get("time")
    record.early_values.append(float(value))
    return True


@dataclass
class EarlyKilling:
    metric: str
    minimize: bool
    target_rank: float
    how_many_stds: float

    def reference(self, finished: Sequence[JobRecord]) -> RankReference | None:
        histories = [
            [*record.early_values, record.value]
            for record in finished
            if record.status == "succeeded" and record.early_values and record.value is not None
        ]
        return rank_reference(histories, self.minimize)

    def bad_jobs(self, reference: RankReference | None, running: Sequence[JobRecord]) -> list[int]:
        if reference is None:
            return []
        return [
            record.id
            for record in running
            if looks_bad(
                reference,
                record.early_values,
                minimize=self.minimize,
                target_rank=self.target_rank,
                how_many_stds=self.how_many_stds,
            )
        ]
