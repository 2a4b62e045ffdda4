"""``grid-search --dry-run``: what a run would do, job by job, without writing anything."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from cluster_utils.base.nested_dicts import flatten_dict
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.grid.planning import PlannedJob


def job_action(layout: ExperimentLayout, job_id: int) -> str:
    if not layout.job_dir(job_id).exists():
        return "run"
    state = job_state.load_state(layout, job_id)
    if job_state.is_finished(layout, state):
        return f"skip ({state.status.replace('_', ' ')})"
    if state.status == job_state.FAILED:
        return "run again (failed)"
    return "run"


def print_dry_run(
    layout: ExperimentLayout, jobs: list[PlannedJob], stream: TextIO = sys.stdout
) -> None:
    actions = [job_action(layout, job.job_id) for job in jobs]
    to_run = sum(not action.startswith("skip") for action in actions)
    print(
        f"dry run: {len(jobs)} jobs, {to_run} would run, {len(jobs) - to_run} would be skipped "
        f"(nothing was written to {layout.root})",
        file=stream,
    )
    width = max((len(action) for action in actions), default=0)
    for job, action in zip(jobs, actions, strict=True):
        params = ", ".join(
            f"{name}={json.dumps(value, default=str)}"
            for name, value in flatten_dict(job.params).items()
        )
        print(f"  job {job.job_id:>4}  {action:<{width}}  {params}", file=stream)
