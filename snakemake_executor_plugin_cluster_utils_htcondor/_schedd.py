"""Does the schedd answer? A cheap query, made with the status checks.

The plugin follows its jobs through their event logs, so a schedd that stopped answering would go
unnoticed (and jobs simply not start) until its fallback queries fail. The executor asks the
schedd directly, at most every :data:`PROBE_SECONDS` while it answers and at every status check
while it does not, and tells the user through ``cluster_utils.scheduler.outage``.
"""

from __future__ import annotations

import asyncio
import contextlib

#: a schedd query that lists nothing (no job matches ``false``): cheap for any queue size
PROBE_COMMAND = ("condor_q", "-constraint", "false", "-af", "ClusterId")
#: seconds between two probes while the schedd answers
PROBE_SECONDS = 20.0
#: seconds a probe may take before the schedd counts as not answering
PROBE_TIMEOUT = 15.0


async def schedd_problem(
    command: tuple[str, ...] = PROBE_COMMAND, timeout: float = PROBE_TIMEOUT
) -> str | None:
    """None if the schedd answered the probe, else what went wrong."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except OSError as exc:
        return f"{command[0]}: {exc}"
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return f"{command[0]}: no answer within {timeout:.0f} s"
    if process.returncode != 0:
        said = " ".join(err.decode(errors="replace").split())[-300:]
        return f"{command[0]}: {said or f'exit code {process.returncode}'}"
    return None
