"""A job's process group, and what is left of it: every job runs in its own group, and the group
ends with the job (a process the script started and left behind is stopped, too).

Linux's ``/proc`` tells live members from zombies (a dead orphan waits for its new parent to
collect it) and a process from a later one with the same pid (its start time); elsewhere a
group counts as live while ``killpg(pgid, 0)`` finds it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")
#: how long left-behind processes get between SIGTERM and SIGKILL
LEFTOVER_GRACE_SECONDS = 3.0


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state is [0], pgrp [2])."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), None where unknown."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def live_members(pgid: int) -> list[int]:
    """Processes of group ``pgid`` that are not zombies."""
    if not PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                members.append(int(entry.name))
    return members


def end_group(pgid: int, grace: float = LEFTOVER_GRACE_SECONDS) -> int:
    """Stop what is left of group ``pgid``: SIGTERM, then SIGKILL after ``grace`` seconds.
    Returns how many processes were left (0 at once when the group is gone)."""
    try:
        os.killpg(pgid, 0)  # the usual case: nothing left, no need to look further
    except (ProcessLookupError, PermissionError):
        return 0
    left = live_members(pgid)
    if not left:
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    return len(left)
