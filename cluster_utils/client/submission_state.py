"""State of the running job, set by ``initialize_job`` and used by the other client functions."""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: When ``initialize_job`` was called (import time of the client until then).
start_time: float = time.time()
#: ``--job-id`` (or the runner's ``CLUSTER_UTILS_JOB_ID``), ``None`` if unknown.
job_id: int | str | None = None
#: The job's working directory (``params.working_dir``), ``None`` if the params have none.
working_dir: str | None = None
#: The params returned by ``initialize_job``.
params: Any = None
