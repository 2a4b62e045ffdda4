"""Settings of the ``cluster-utils-pbs`` executor (``--cluster-utils-pbs-<name>``).

No ``from __future__ import annotations`` here: Snakemake reads the field types at runtime
(a ``bool`` field becomes an on/off flag).
"""

from dataclasses import dataclass, field
from typing import Any

from snakemake_interface_executor_plugins.settings import ExecutorSettingsBase

#: Default cap on this run's PBS jobs (array subjobs count one each) queued or running.
DEFAULT_SUBMIT_CAP = 1000


def _setting(default: Any, help_text: str, kind: type | None = None) -> Any:
    """A settings field: Snakemake reads its help, and its type where the annotation is a union."""
    metadata: dict[str, Any] = {"help": help_text, "env_var": False, "required": False}
    if kind is not None:
        metadata["type"] = kind
    return field(default=default, metadata=metadata)


@dataclass
class ExecutorSettings(ExecutorSettingsBase):
    submit_cap: int | None = _setting(
        DEFAULT_SUBMIT_CAP,
        "At most this many PBS jobs of this run (each array subjob counts) are queued or "
        "running at a time; the rest wait in the executor and go out as others finish. A "
        "submission that PBS refuses for a queue limit waits and is retried. 0: no cap.",
        int,
    )
    array_limit: int | None = _setting(
        10000,
        "Subjobs per qsub -J call (further capped by the server's max_array_size).",
        int,
    )
    batch_seconds: float | None = _setting(
        0.5,
        "Collect jobs that become ready within this many seconds into one array submission.",
        float,
    )
    init_seconds_before_status_checks: int | None = _setting(
        2,
        "Seconds between status checks while jobs finish; each check in which none finished "
        "waits this much longer, up to max-seconds-between-status-checks.",
        int,
    )
    max_seconds_between_status_checks: int | None = _setting(
        60, "Longest wait between two status checks (seconds).", int
    )
    logdir: str | None = _setting(
        ".snakemake/pbs_logs",
        "Directory (relative to the working directory) of the PBS jobs' output files "
        "(<job id>.OU, stdout and stderr joined).",
        str,
    )
    keep_successful_logs: bool = _setting(
        False, "Keep the PBS output files of jobs that succeeded (default: remove them)."
    )
