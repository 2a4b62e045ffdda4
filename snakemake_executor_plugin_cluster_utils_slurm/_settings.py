"""Settings of the ``cluster-utils-slurm`` executor: the Slurm plugin's, plus ours.

No ``from __future__ import annotations`` here: Snakemake reads the field types at runtime
(a ``bool`` field becomes an on/off flag).
"""

from dataclasses import dataclass, field

from snakemake_executor_plugin_slurm import ExecutorSettings as _SlurmSettings

#: Default cap on this run's Slurm jobs (array tasks count one each) pending or running.
DEFAULT_SUBMIT_CAP = 1000


@dataclass
class ExecutorSettings(_SlurmSettings):
    nested_snakemake: bool = field(
        default=False,
        metadata={
            "help": "Submit cluster_utils runner jobs the Slurm plugin's way (a nested "
            "snakemake in every job, one sbatch per job) instead of running the runner "
            "directly as array tasks.",
            "env_var": False,
            "required": False,
        },
    )
    submit_cap: int | None = field(
        default=DEFAULT_SUBMIT_CAP,
        metadata={
            "help": "At most this many Slurm jobs of this run (each array task counts) are "
            "pending or running at a time; the rest wait in the executor and go out as "
            "others finish. The per-user MaxSubmitJobs of the accounting database lowers "
            "it automatically. 0 means no cap.",
            "env_var": False,
            "required": False,
            "type": int,
        },
    )
    max_running_tasks: int | None = field(
        default=None,
        metadata={
            "help": "Slurm array throttle: at most this many tasks of one array run at the "
            "same time (sbatch --array=0-N%%M). Unset: no throttle.",
            "env_var": False,
            "required": False,
            "type": int,
        },
    )
    batch_seconds: float | None = field(
        default=1.0,
        metadata={
            "help": "Collect runner jobs that become ready within this many seconds into "
            "one array submission.",
            "env_var": False,
            "required": False,
            "type": float,
        },
    )
    max_seconds_between_status_checks: int | None = field(
        default=180,
        metadata={
            "help": "Status checks start every init-seconds-before-status-checks seconds; "
            "each check in which no job finished adds that much again, up to this value.",
            "env_var": False,
            "required": False,
            "type": int,
        },
    )
