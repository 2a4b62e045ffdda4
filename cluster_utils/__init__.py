"""cluster_utils: grid searches and hyperparameter optimization of ML job scripts.

The top level holds only the job-script API of 3.0; it imports nothing heavy.
"""

from ._version import __version__ as __version__
from .client import (
    announce_early_results,
    announce_fraction_finished,
    cluster_main,
    exit_for_resume,
    finalize_job,
    initialize_job,
    read_params_from_cmdline,
    save_metrics_params,
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
