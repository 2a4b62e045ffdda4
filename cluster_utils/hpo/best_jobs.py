"""``best_jobs/``: copies of the best jobs' working directories, and removing the others.

``best_jobs/<id>/`` holds a copy of the working directory of each of the
``num_best_jobs_whose_data_is_kept`` best jobs; copies of jobs that dropped out of that set are
removed. With ``remove_working_dirs`` the working directories of finished jobs are deleted after
the copies are made (at once: no per-directory sleeps). A job whose directory is deleted was not
among the best when it was deleted and, since rankings only get more competitive, never will be.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable

from cluster_utils.experiment.layout import ExperimentLayout


def update_best_jobs(layout: ExperimentLayout, best_ids: list[int]) -> None:
    layout.best_jobs.mkdir(parents=True, exist_ok=True)
    wanted = {str(job_id) for job_id in best_ids}
    for entry in layout.best_jobs.iterdir():
        if entry.is_dir() and entry.name not in wanted:
            shutil.rmtree(entry, ignore_errors=True)
    for job_id in best_ids:
        target = layout.best_jobs / str(job_id)
        source = layout.working_dir(job_id)
        if not target.exists() and source.is_dir():
            partial = target.with_name(f".{target.name}.partial")
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(source, partial, symlinks=True)
            partial.rename(target)


def remove_working_dirs(layout: ExperimentLayout, job_ids: Iterable[int]) -> None:
    for job_id in job_ids:
        shutil.rmtree(layout.working_dir(job_id), ignore_errors=True)
