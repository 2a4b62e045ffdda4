"""What happens to each job of a built experiment, and the runner's files that record it.

The fates are drawn with a seeded generator; the files are written with the package's writers
(:class:`JobState` / :func:`save_state`, the ``metrics.csv`` writer of ``finalize_job``,
:func:`write_run_metadata`).  ``cluster_run.log`` gets the runner's lines in 3.0's format,
stamped with the attempts' times (the runner's ``log_line`` stamps the current time).
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cluster_utils.base.constants import CLUSTER_METRIC_FILE, RETURN_CODE_FOR_RESUME
from cluster_utils.client.result_files import write_one_row_csv
from cluster_utils.experiment.job_state import Attempt, JobState, save_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.metadata import write_run_metadata
from cluster_utils.experiment.setup import write_if_changed

START = dt.datetime(2024, 5, 17, 9, 30, 0)
GIT_COMMIT = "3f2a9c1d0e5b7a8c6d4e2f1a0b9c8d7e6f5a4b3c"

STDERR_FAILURE = (
    "Traceback (most recent call last):\n"
    '  File "main.py", line 41, in <module>\n'
    "    main(**params)\n"
    '  File "main.py", line 27, in main\n'
    "    loss = train(model, data, lr=learning_rate)\n"
    "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 11.17 GiB total "
    "capacity; 9.80 GiB already allocated; 1.02 GiB free; 9.86 GiB reserved in total by PyTorch)"
)


@dataclass
class JobFate:
    """What happened to one job: its final status and its attempts on one host."""

    status: str
    hostname: str
    attempts: list[Attempt]


# -- which jobs fail, run, wait, and when ------------------------------------------------------


def draw_statuses(
    job_ids: Sequence[int],
    rng: np.random.Generator,
    n_failed: int,
    n_running: int = 0,
    n_pending: int = 0,
) -> dict[int, str]:
    """Final status per job id; the failed/running/pending ones are drawn at random."""
    order = [job_ids[int(i)] for i in rng.permutation(len(job_ids))]
    marks = ["failed"] * n_failed + ["running"] * n_running + ["pending"] * n_pending
    status = dict.fromkeys(job_ids, "succeeded")
    status.update(zip(order, marks, strict=False))
    return status


def _runs(
    start: float, rng: np.random.Generator, n_runs: int, status: str, hostname: str
) -> list[Attempt]:
    """The attempts of one job: resumed ones first, the last one ends as ``status`` says."""
    runs = []
    for run in range(n_runs):
        end: float | None = start + float(rng.uniform(40, 300))
        if run < n_runs - 1:
            return_code: int | None = RETURN_CODE_FOR_RESUME
        elif status == "running":
            return_code, end = None, None
        else:
            return_code = 0 if status == "succeeded" else 1
        resumed = return_code == RETURN_CODE_FOR_RESUME
        runs.append(Attempt(start, end, return_code, resumed, hostname))
        if end is not None:
            start = end + float(rng.uniform(5, 20))
    return runs


def schedule(
    status: Mapping[int, str],
    rng: np.random.Generator,
    *,
    n_slots: int,
    resumed: set[int],
    hostnames: Sequence[str],
) -> dict[int, JobFate]:
    """Run the jobs ``n_slots`` at a time, in id order, from :data:`START`."""
    t0 = START.timestamp() + 5.0
    slots = [(t0 + 0.3 * i, i) for i in range(n_slots)]
    heapq.heapify(slots)
    fates = {}
    for job_id, job_status in status.items():
        host = hostnames[job_id % len(hostnames)]
        if job_status == "pending":
            fates[job_id] = JobFate(job_status, host, [])
            continue
        free_at, slot = heapq.heappop(slots)
        start = free_at + float(rng.uniform(0.5, 3.0))
        runs = _runs(start, rng, 2 if job_id in resumed else 1, job_status, host)
        fates[job_id] = JobFate(job_status, host, runs)
        last = runs[-1]
        heapq.heappush(slots, (last.end or last.start + 600.0, slot))
    return fates


# -- the runner's files -----------------------------------------------------------------------


def failure_reason(job_id: int) -> tuple[str, int]:
    if job_id % 2:
        return "exited with code 1", 1
    return "exited with code 0 but wrote no metrics.csv (finalize_job was not called)", 0


def _write_job(
    layout: ExperimentLayout, job_id: int, fate: JobFate, metrics: Mapping[str, Any] | None
) -> None:
    """``state.json`` as the runner leaves it; ``metrics.csv`` of a succeeded job."""
    state = JobState(
        id=job_id,
        status=fate.status,
        hostname=fate.hostname if fate.attempts else None,
        resumes=sum(a.resumed for a in fate.attempts),
        attempts=fate.attempts,
    )
    if fate.status == "failed":
        state.reason, state.return_code = failure_reason(job_id)
        state.stderr_tail = STDERR_FAILURE
        layout.stderr_file(job_id).write_text(STDERR_FAILURE + "\n")
    elif fate.status == "succeeded":
        state.return_code = 0
        assert metrics is not None
        layout.working_dir(job_id).mkdir(parents=True, exist_ok=True)
        write_one_row_csv(metrics, layout.working_dir(job_id) / CLUSTER_METRIC_FILE)
    save_state(layout, state)


def _log_events(job_id: int, fate: JobFate) -> Iterable[tuple[float, str, str]]:
    """(time, level, message) of one job's lines in cluster_run.log."""
    submitted = fate.attempts[0].start - 2.0 if fate.attempts else START.timestamp() + 3.0
    yield submitted, "INFO", f"Job with id {job_id} submitted."
    for attempt in fate.attempts:
        yield attempt.start, "INFO", f"Job {job_id} started on hostname {fate.hostname}"
        if attempt.end is None:
            continue
        if attempt.resumed:
            yield attempt.end, "INFO", f"Job {job_id} exited to be resumed."
        elif fate.status == "succeeded":
            yield attempt.end, "INFO", f"Job {job_id} finished successfully."
        else:
            reason = failure_reason(job_id)[0]
            yield attempt.end, "WARNING", f"Job {job_id} failed: {reason}. Considering job failed."


def _log_line(when: float, level: str, message: str) -> str:
    stamp = dt.datetime.fromtimestamp(when)
    text = stamp.strftime("%Y-%m-%d %H:%M:%S") + f",{stamp.microsecond // 1000:03d}"
    return f"{text} - cluster_utils - {level} - {message}\n"


def write_runner_files(
    layout: ExperimentLayout, fates: Mapping[int, JobFate], metrics: Mapping[int, dict[str, Any]]
) -> None:
    """Every job's state.json (and metrics.csv), and cluster_run.log."""
    for job_id, fate in fates.items():
        _write_job(layout, job_id, fate, metrics.get(job_id))
    events = sorted(
        (event for job_id, fate in fates.items() for event in _log_events(job_id, fate)),
        key=lambda event: event[0],
    )
    lines = [_log_line(START.timestamp(), "INFO", "Starting run; results in " + str(layout.root))]
    layout.run_log.write_text("".join(lines + [_log_line(*event) for event in events]))


def write_run_files(
    layout: ExperimentLayout, kind: str, settings: Mapping[str, Any], n_jobs: int, commit: Any
) -> None:
    write_if_changed(
        layout.settings_json, json.dumps(settings, indent=2, sort_keys=True, default=str)
    )
    write_run_metadata(layout, kind, git_commit=commit, n_jobs=n_jobs, start_time=START.isoformat())


def duration(fate: JobFate) -> float:
    return sum((a.end or a.start) - a.start for a in fate.attempts)
