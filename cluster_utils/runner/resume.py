"""What to do when a job asks to be resumed (exit code 3), depending on where it runs.

Locally the runner starts the script again, after a short pause that grows with the number of
resumes in a row (0.1 s, 0.2 s, ... up to MAX_RESUME_DELAY), so that a job that asks for nothing
else cannot spin; an attempt that already ran that long starts again at once. Inside a Slurm,
HTCondor or PBS job the backend may instead hand the job back to the scheduler as a new job (fresh
time limit); each backend module exposes ``in_<backend>_job()`` and
``request_resume() -> int | None`` for that. Everywhere, a job that asks more than
``max_resumes`` times in a row fails.
"""

from __future__ import annotations

import os

from cluster_utils.backends import get_backend

FIRST_RESUME_DELAY = 0.1
MAX_RESUME_DELAY = 2.0

#: (environment variable present in that scheduler's jobs, backend, its probe)
_SCHEDULERS = (
    ("SLURM_JOB_ID", "slurm", "in_slurm_job"),
    ("_CONDOR_JOB_AD", "htcondor", "in_htcondor_job"),
    ("PBS_JOBID", "pbs", "in_pbs_job"),
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


def resume_delay(resumes_in_a_row: int, attempt_seconds: float) -> float:
    """Seconds to wait before a local resume (the attempt's own run time counts towards it)."""
    exponent = min(max(resumes_in_a_row - 1, 0), 16)
    return max(0.0, min(FIRST_RESUME_DELAY * 2**exponent, MAX_RESUME_DELAY) - attempt_seconds)
