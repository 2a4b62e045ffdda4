"""``cluster-utils status RESULTS_DIR``: what finished, what failed and why, what still runs."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cluster_utils.base.durations import format_duration
from cluster_utils.base.job_protocol import read_progress
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.plan import planned_job_ids
from cluster_utils.experiment.scheduler_outage import clock_time, read_outage
from cluster_utils.runner.liveness import runner_lost

_COUNTED = (job_state.SUCCEEDED, job_state.FAILED, job_state.RUNNING, job_state.PENDING)
#: shown, not stored: recorded as running, but its runner is gone (runner.liveness)
LOST = "lost"


def _job_ids(layout: ExperimentLayout) -> list[int]:
    planned = planned_job_ids(layout)
    if planned is not None:
        return planned
    if not layout.jobs_dir.is_dir():
        raise FileNotFoundError(2, "not a cluster_utils results directory", str(layout.root))
    return sorted(int(p.name) for p in layout.jobs_dir.iterdir() if p.name.isdigit())


def _resumed(state: job_state.JobState) -> str:
    return f" (resumed {state.resumes}x)" if state.resumes else ""


def _summary(layout: ExperimentLayout, total: int, counts: dict[str, int]) -> str:
    stopped, lost = counts.get(job_state.STOPPED_EARLY), counts.get(LOST)
    return (
        f"{layout.root}: {total} jobs: "
        + ", ".join(f"{counts.get(name, 0)} {name}" for name in _COUNTED)
        + (f", {lost} lost" if lost else "")
        + (f", {stopped} stopped early" if stopped else "")
    )


def _print_failed(layout: ExperimentLayout, states: list[job_state.JobState]) -> None:
    for state in states:
        print(f"failed  job {state.id}: {state.reason}")
        for line in (state.stderr_tail or "").splitlines()[-5:]:
            print(f"            {line}")
        print(f"            logs: {layout.job_dir(state.id)}")


def _print_running(layout: ExperimentLayout, states: list[job_state.JobState]) -> None:
    now = time.time()
    for state in states:
        started = state.attempts[-1].start if state.attempts else now
        progress = read_progress(layout.working_dir(state.id)) or {}
        fraction = progress.get("fraction_finished")
        done = f", {fraction:.0%} done" if fraction else ""
        print(
            f"running job {state.id} on {state.hostname} for {int(now - started)} s{done}"
            + _resumed(state)
        )


def _print_lost(states: list[job_state.JobState]) -> None:
    for state in states:
        print(
            f"lost    job {state.id}: its runner (pid {state.runner_pid} on {state.hostname}) "
            "is gone; the next run runs it again unless it finished"
        )


def _print_warnings(by_status: dict[str, list[job_state.JobState]]) -> None:
    for states in by_status.values():
        for state in states:
            for warning in state.warnings:
                print(f"warning job {state.id}: {warning}")


def print_status(results_dir: Path, *, show_all: bool = False) -> int:
    layout = ExperimentLayout.at(results_dir)
    job_ids = _job_ids(layout)
    by_status: dict[str, list[job_state.JobState]] = {}
    for job_id in job_ids:
        state = job_state.load_state(layout, job_id)
        shown = LOST if runner_lost(state) else state.status
        by_status.setdefault(shown, []).append(state)
    print(_summary(layout, len(job_ids), {k: len(v) for k, v in by_status.items()}))
    if layout.abort_file.exists():
        print(f"aborted: {layout.abort_file.read_text().strip()}")
    outage = read_outage(layout)
    if outage is not None:
        print(
            f"scheduler not answering since {clock_time(outage.since)} ({outage.scheduler}, "
            f"for {format_duration(time.time() - outage.since)}); running jobs continue; the run "
            "waits"
        )
    _print_failed(layout, by_status.get(job_state.FAILED, []))
    _print_running(layout, by_status.get(job_state.RUNNING, []))
    _print_lost(by_status.get(LOST, []))
    pending = by_status.get(job_state.PENDING, [])
    if pending:
        ids = ", ".join(str(s.id) for s in pending[:20]) + (" ..." if len(pending) > 20 else "")
        print(f"pending {len(pending)} jobs: {ids}")
    _print_warnings(by_status)
    if show_all:
        for state in by_status.get(job_state.SUCCEEDED, []):
            print(f"done    job {state.id}" + _resumed(state))
    sys.stdout.flush()
    return 0
