"""What to do when a job asks to be resumed (exit code 3), depending on where it runs.

Locally the runner simply starts the script again. Inside a Slurm or HTCondor job the backend may
instead hand the job back to the scheduler as a new job (fresh time limit); each backend module
exposes ``in_<backend>_job()`` and ``request_resume() -> int | None`` for that.
"""

from __future__ import annotations

import os

from cluster_utils.backends import get_backend

#: (environment variable present in that scheduler's jobs, backend, its probe)
_SCHEDULERS = (
    ("SLURM_JOB_ID", "slurm", "in_slurm_job"),
    ("_CONDOR_JOB_AD", "htcondor", "in_htcondor_job"),
)


def scheduler_resume_exit_code() -> int | None:
    """Exit code that makes the scheduler run the job again, or None to re-run it in place."""
    for env_var, name, probe in _SCHEDULERS:
        if env_var not in os.environ:
            continue
        backend = get_backend(name)
        if getattr(backend, probe)():
            return backend.request_resume()
    return None
