"""exit_for_resume on HTCondor: the hold/release policy, the job's wrapper command, and the in-job
hook the runner calls.

3.0 resumed a job with ``on_exit_hold = (ExitCode =?= 3)`` plus a ``periodic_release`` on the hold
subcode. With Snakemake the HTCondor job's executable is a ``python -m snakemake`` sub-run, whose
exit code is 1 for any failed rule, so our executor runs that sub-run under the wrapper
(:mod:`.job_wrapper`, :data:`WRAPPER_ARGUMENTS`), which turns a recorded resume request back into
exit code 3 (see docs/htcondor.md).

Importing this module needs only the standard library: the runner calls :func:`in_htcondor_job`
and :func:`request_resume` inside jobs.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from cluster_utils.base.constants import RETURN_CODE_FOR_RESUME

logger = logging.getLogger(__name__)

#: Exit code of the HTCondor job (our wrapper) that asks for a hold + release, as in 3.0.
RESUME_EXIT_CODE = RETURN_CODE_FOR_RESUME
#: ``on_exit_hold_subcode`` that marks a resume hold (3.0 used 2 as well).
RESUME_HOLD_SUBCODE = 2
#: HoldReasonCode of holds caused by ``on_exit_hold`` (JobPolicy).
HOLD_REASON_JOB_POLICY = 3
#: Set by the job wrapper: the file whose existence tells it that the job asked to be resumed.
RESUME_FILE_ENV = "CLUSTER_UTILS_HTCONDOR_RESUME_FILE"
#: The module that wraps the sub-run (``python -m <it> -m snakemake ...``).
WRAPPER_MODULE = "cluster_utils.backends.htcondor.job_wrapper"
#: Prefix our executor puts before the plugin's ``-m snakemake ...`` job arguments.
WRAPPER_ARGUMENTS = f"-m {WRAPPER_MODULE}"

#: The exit_for_resume policy (3.0's on_exit_hold / periodic_release pair): an exit with code 3
#: holds the job, and the schedd releases it at its next periodic evaluation
#: (PERIODIC_EXPR_INTERVAL, 60 s by default); it then runs again with the same arguments.
RESUME_POLICY: dict[str, str] = {
    "on_exit_hold": f"(ExitCode =?= {RESUME_EXIT_CODE})",
    "on_exit_hold_reason": '"cluster_utils: exit_for_resume, will resume"',
    "on_exit_hold_subcode": str(RESUME_HOLD_SUBCODE),
    "periodic_release": (
        f"((JobStatus =?= 5) && (HoldReasonCode =?= {HOLD_REASON_JOB_POLICY})"
        f" && (HoldReasonSubCode =?= {RESUME_HOLD_SUBCODE}))"
    ),
}


def in_htcondor_job() -> bool:
    """True inside an HTCondor job (the starter sets ``_CONDOR_JOB_AD``) or under our wrapper."""
    return "_CONDOR_JOB_AD" in os.environ or RESUME_FILE_ENV in os.environ


def request_resume() -> int | None:
    """Called by the job runner after the script exited with code 3 (exit_for_resume).

    Under our executor's job wrapper this records the request and returns the exit code the runner
    should exit with: Snakemake's job sub-run then fails, the wrapper sees the request and exits 3,
    and HTCondor holds the job (``on_exit_hold``) and releases it again (``periodic_release``): the
    same job runs again with the same parameters and working directory, not counted as a failure.
    Without the wrapper (plain ``htcondor`` executor: no hold policy) returns None: the runner
    re-runs the script in place.
    """
    path = os.environ.get(RESUME_FILE_ENV)
    if not path:
        return None
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".resume-")
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()}\n")
        os.replace(tmp, target)
    except OSError as exc:
        logger.warning("cannot record the resume request in %s (%s); resuming in place", path, exc)
        return None
    return RESUME_EXIT_CODE
