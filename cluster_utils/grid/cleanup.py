"""After a grid run: ``remove_working_dirs`` and ``remove_jobs_dir`` without losing anything.

- remove_working_dirs (grid default false): the working directories of succeeded jobs go, after
  their metrics are kept in ``jobs/<id>/state.json`` (so all_data.csv can always be rewritten and
  the jobs are never run again). Failed jobs keep theirs: checkpoints to resume from.
- remove_jobs_dir (default true in 3.0): the stdout/stderr logs of succeeded jobs go. Failed
  jobs' logs and every job's state are always kept (3.0 deleted failed jobs' logs too).
"""

from __future__ import annotations

import shutil
from typing import Any

from cluster_utils.base import constants
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.results.collect import read_metrics


def clean_up_succeeded_jobs(
    layout: ExperimentLayout, job_ids: list[int], settings: dict[str, Any]
) -> None:
    remove_working_dirs = bool(settings.get("remove_working_dirs", False))
    remove_logs = bool(settings.get("remove_jobs_dir", True))
    if not (remove_working_dirs or remove_logs):
        return
    for job_id in job_ids:
        state = job_state.load_state(layout, job_id)
        if state.status != job_state.SUCCEEDED:
            continue
        if remove_working_dirs and layout.working_dir(job_id).is_dir():
            if state.metrics is None:
                metrics_file = layout.working_dir(job_id) / constants.CLUSTER_METRIC_FILE
                state.metrics = read_metrics(metrics_file)
                job_state.save_state(layout, state)
            shutil.rmtree(layout.working_dir(job_id), ignore_errors=True)
        if remove_logs:
            for log in (layout.stdout_file(job_id), layout.stderr_file(job_id)):
                log.unlink(missing_ok=True)
