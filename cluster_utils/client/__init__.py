"""Job-side API of cluster_utils (used in job scripts; imports only the standard library).

Jobs report to the runner through files in their working directory
(:mod:`cluster_utils.base.job_protocol`), never over the network.
"""

from .deprecated import read_params_from_cmdline, save_metrics_params
from .job_api import (
    announce_early_results,
    announce_fraction_finished,
    cluster_main,
    exit_for_resume,
    finalize_job,
    initialize_job,
)

__all__ = [
    "announce_early_results",
    "announce_fraction_finished",
    "cluster_main",
    "exit_for_resume",
    "finalize_job",
    "initialize_job",
    "read_params_from_cmdline",
    "save_metrics_params",
]
