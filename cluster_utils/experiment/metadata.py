"""``metadata.json`` of an experiment: run type, first start time, git commit, version.

``run_type`` and ``start_time`` are 3.0's keys with 3.0's values (``GRID_SEARCH`` /
``HP_OPTIMIZATION``, an ISO time that ``datetime.fromisoformat`` reads), so 3.0's report script
and users' own readers keep working; the other keys are ours.
"""

from __future__ import annotations

import json
import time
from typing import Any

from cluster_utils import __version__
from cluster_utils.base.job_protocol import atomic_write_json
from cluster_utils.experiment.layout import ExperimentLayout

#: The kind of procedure as callers name it -> 3.0's ``run_type`` value.
RUN_TYPES = {"grid_search": "GRID_SEARCH", "hp_optimization": "HP_OPTIMIZATION"}


def write_run_metadata(
    layout: ExperimentLayout, run_type: str, *, git_commit: str | None, n_jobs: int, **extra: Any
) -> None:
    """Update metadata.json; the start time of the experiment's first run is kept.

    ``run_type`` is "grid_search" or "hp_optimization" (3.0's upper-case values are accepted too).
    """
    try:
        with open(layout.metadata_json) as f:
            metadata = json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        metadata = {"start_time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    metadata.update(
        run_type=RUN_TYPES.get(run_type, run_type),
        git_commit=git_commit,
        cluster_utils_version=__version__,
        n_jobs=n_jobs,
        **extra,
    )
    atomic_write_json(layout.metadata_json, metadata)
