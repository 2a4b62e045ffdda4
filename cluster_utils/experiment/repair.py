"""Bring an experiment directory that was edited by hand (or damaged) back to a state a rerun
can continue from (docs/results_layout.md, "What you may delete or edit").

- A job that is finished (``job_state.is_finished``) keeps its ``done`` marker.
- A job recorded as succeeded whose results are gone (metrics.csv deleted, and no copy in its
  state.json) is set back to pending, so the next run runs it again.
- A job's ``done`` marker without a succeeded state is removed, and so is a chunk's marker when
  one of its jobs is not done: Snakemake then runs them.
"""

from __future__ import annotations

import contextlib
import sys

from cluster_utils.experiment import job_state
from cluster_utils.experiment.chunks import read_chunk
from cluster_utils.experiment.layout import ExperimentLayout

RESULTS_LOST = "its results were deleted (metrics.csv); running it again"


def repair_jobs(layout: ExperimentLayout, job_ids: list[int]) -> list[int]:
    """Reset succeeded jobs whose results are gone; return the ids that will run again."""
    reset: list[int] = []
    for job_id in job_ids:
        marker = layout.done_marker(job_id)
        if not marker.exists():
            continue
        state = job_state.load_state(layout, job_id)
        if job_state.is_finished(layout, state):
            continue
        if state.reason == job_state.UNREADABLE_STATE:
            print(f"cluster_utils: warning: job {job_id}: {state.reason}", file=sys.stderr)
        elif state.status == job_state.SUCCEEDED:
            state.status = job_state.PENDING
            state.reason = RESULTS_LOST
            job_state.save_state(layout, state)
            print(f"cluster_utils: job {job_id}: {RESULTS_LOST}", file=sys.stderr)
        marker.unlink(missing_ok=True)
        reset.append(job_id)
    return reset


def repair_chunks(layout: ExperimentLayout, chunks: tuple[str, ...] | list[str]) -> None:
    """A chunk counts as done only while every one of its jobs is done."""
    for chunk in chunks:
        marker = layout.chunk_marker(chunk)
        if not marker.exists():
            continue
        with contextlib.suppress(OSError, ValueError):
            members = read_chunk(layout, chunk)
            if all(layout.done_marker(job_id).exists() for job_id in members):
                continue
        marker.unlink(missing_ok=True)
