"""What the runners recorded on the shared file system: which submitted jobs finished.

A runner marks its job ``succeeded`` (or ``stopped_early``) and touches its ``done`` marker the
moment it ends, while the scheduler's accounting learns of it later (Slurm: when the next sacct
asks; the job's end reaches the accounting database with a delay). An executor plugin asks here
first, with one directory listing per experiment, and reports these jobs done without a
scheduler query; it asks the scheduler only about the others (failures keep the scheduler's
reason, e.g. a time limit).
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import TypeVar

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout

Key = TypeVar("Key", bound=Hashable)

#: statuses after which the runner does not run the job again and has touched its done marker
FINISHED_STATUSES = (job_state.SUCCEEDED, job_state.STOPPED_EARLY)


def finished_on_disk(jobs: Iterable[tuple[Key, Path | str, int]]) -> set[Key]:
    """The keys of ``(key, experiment, job id)`` whose runner recorded a finished job: its status
    marker says succeeded or stopped early and its ``done`` marker exists."""
    by_experiment: dict[Path, list[tuple[Key, int]]] = {}
    for key, experiment, job_id in jobs:
        by_experiment.setdefault(Path(experiment), []).append((key, job_id))
    finished: set[Key] = set()
    for experiment, members in by_experiment.items():
        layout = ExperimentLayout.at(experiment)
        marked = _marked_finished(layout)
        for key, job_id in members:
            if job_id in marked and layout.done_marker(job_id).exists():
                finished.add(key)
    return finished


def _marked_finished(layout: ExperimentLayout) -> set[int]:
    ids: set[int] = set()
    for status in FINISHED_STATUSES:
        try:
            names = os.listdir(layout.status_dir(status))
        except OSError:
            continue
        ids.update(int(name) for name in names if name.isdigit())
    return ids
