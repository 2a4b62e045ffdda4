"""HTCondor backend: what ``get_backend("htcondor")`` returns.

- :mod:`.submit`: 3.0's cluster_requirements -> Snakemake resources -> submit commands (and the
  whole submit description), with :mod:`.submit_options` for the verbatim
  ``extra_submission_options``;
- :mod:`.resume`: exit_for_resume -- the hold/release policy and the runner's in-job hook;
- :mod:`.job_wrapper`: the HTCondor job's command around the plugin's sub-run (run with
  ``python -m``; not imported here, see that module).

The executor ``cluster-utils-htcondor`` (package
``snakemake_executor_plugin_cluster_utils_htcondor``) uses this surface too; the check for jobs no
machine can match lives there, next to the HTCondor bindings it needs. Importing this package needs
only the standard library: the job runner calls :func:`in_htcondor_job` and :func:`request_resume`
inside jobs.
"""

from __future__ import annotations

from .resume import (
    RESUME_EXIT_CODE,
    RESUME_FILE_ENV,
    RESUME_HOLD_SUBCODE,
    RESUME_POLICY,
    WRAPPER_ARGUMENTS,
    in_htcondor_job,
    request_resume,
)
from .submit import (
    BID_ATTRIBUTE,
    EXTRA_SUBMIT_RESOURCE,
    SUBMIT_BID_COMMAND,
    complete_submit_commands,
    concurrency_limits,
    cuda_requirement_expr,
    requirements_expr,
    snakemake_resources,
    submit_bid_command,
    submit_description,
)
from .submit_options import Override, OverrideWarnings

__all__ = [
    "BID_ATTRIBUTE",
    "EXTRA_SUBMIT_RESOURCE",
    "RESUME_EXIT_CODE",
    "RESUME_FILE_ENV",
    "RESUME_HOLD_SUBCODE",
    "RESUME_POLICY",
    "SUBMIT_BID_COMMAND",
    "WRAPPER_ARGUMENTS",
    "Override",
    "OverrideWarnings",
    "complete_submit_commands",
    "concurrency_limits",
    "cuda_requirement_expr",
    "in_htcondor_job",
    "request_resume",
    "requirements_expr",
    "snakemake_resources",
    "submit_bid_command",
    "submit_description",
]
