"""Exit codes of ``grid-search`` and ``optimize`` (and their 3.0 entry points), as in 3.0.

| code | when |
| --- | --- |
| 0 | the run completed, even if some jobs failed (listed in the summary and failures.csv) |
| 1 | aborted by 3.0's rule, interrupted, or no job succeeded; |
|   | with ``--strict`` also any failed job |
| 2 | the config or the command line is wrong; nothing ran |
"""

from __future__ import annotations

COMPLETED = 0
ABORTED = 1
CONFIG_ERROR = 2


def run_exit_code(
    *,
    aborted: bool,
    interrupted: bool,
    failed_jobs: int,
    strict: bool,
    succeeded_jobs: int | None = None,
) -> int:
    """The exit code of a finished run; a run without a successful job exits 1 (as 3.0)."""
    if aborted or interrupted or succeeded_jobs == 0:
        return ABORTED
    if strict and failed_jobs:
        return ABORTED
    return COMPLETED
