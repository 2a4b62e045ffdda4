"""One ``sacct`` query per status cycle for every job of a run, array tasks included.

sacct lists an array task that has started as ``<array id>_<task>`` (its own raw id in
JobIDRaw), tasks still pending in one record ``<array id>_[2-9,12%4]``, and a plain job under
its id. Every record is keyed here by the id the executor registered: ``<array id>_<task>``
for tasks, the job id for plain jobs.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cluster_utils.experiment.job_state import EXCEEDED_REQUEST_TIME

#: States in which a job may still run (or run again); everything else is final.
ACTIVE_STATES = frozenset(
    {
        "PENDING",
        "RUNNING",
        "REQUEUED",  # exit_for_resume: the task was requeued and starts again
        "REQUEUE_FED",
        "REQUEUE_HOLD",
        "RESIZING",
        "SUSPENDED",
        "CONFIGURING",
        "COMPLETING",
        "PREEMPTED",  # requeued by Slurm when preemption requeues
        "STAGE_OUT",
        "SIGNALING",
        "STOPPED",
        "RESV_DEL_HOLD",
    }
)
SUCCESS_STATE = "COMPLETED"

#: asks the controller(s) whether they answer (cheap: no job data)
PING_COMMAND = ("scontrol", "ping")

SACCT_FIELDS = ("JobID", "JobIDRaw", "State", "ExitCode", "Timelimit", "NodeList")

_PENDING_RANGE_RE = re.compile(r"^(?P<array>\d+)_\[(?P<ranges>[^\]]*)\]$")


def controller_problem(returncode: int, output: str) -> str | None:
    """None if ``scontrol ping`` found a controller UP, else what it said."""
    if returncode == 0 and " is UP" in output:
        return None
    said = next((line.strip() for line in output.splitlines() if " is " in line), "")
    return f"scontrol ping: {said or output.strip()[:200] or f'exit code {returncode}'}"


@dataclass(frozen=True)
class JobStatus:
    """One sacct record: ``state`` is the first word (``CANCELLED by 0`` -> ``CANCELLED``)."""

    job_id: str
    state: str
    exit_code: str = ""
    time_limit: str = ""
    node_list: str = ""
    raw_state: str = ""

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == SUCCESS_STATE


def sacct_command(run_name: str, now: datetime | None = None) -> list[str]:
    """sacct for every job named ``run_name`` (the executor's run UUID; several comma-separated
    when tasks of earlier runs were adopted), array tasks included.

    ``-X``: allocations only (no steps); without ``-D`` a requeued job shows only its latest
    record.
    """
    start = (now or datetime.now()) - timedelta(days=2)
    return [
        "sacct",
        "-X",
        "--parsable2",
        "--noheader",
        "--clusters",
        "all",
        f"--format={','.join(SACCT_FIELDS)}",
        "--starttime",
        f"{start:%Y-%m-%dT%H:00}",
        "--endtime",
        "now",
        "--name",
        run_name,
    ]


def expand_task_ranges(ranges: str) -> list[int]:
    """``"2-5,9%4"`` -> ``[2, 3, 4, 5, 9]`` (the ``%`` throttle is dropped)."""
    ranges = ranges.split("%", 1)[0]
    tasks: list[int] = []
    for part in ranges.split(","):
        part = part.strip()
        if not part:
            continue
        step = 1
        if ":" in part:
            part, step_text = part.split(":", 1)
            step = int(step_text)
        if "-" in part:
            first, last = part.split("-", 1)
            tasks.extend(range(int(first), int(last) + 1, step))
        else:
            tasks.append(int(part))
    return tasks


def parse_sacct(text: str) -> dict[str, JobStatus]:
    """Records of :func:`sacct_command`'s output by executor id (see the module docstring)."""
    statuses: dict[str, JobStatus] = {}
    for line in text.splitlines():
        fields = line.split("|")
        if len(fields) < 3 or not fields[0].strip():
            continue
        fields += [""] * (len(SACCT_FIELDS) - len(fields))
        job_id, _raw, state, exit_code, time_limit, node_list = (
            f.strip() for f in fields[: len(SACCT_FIELDS)]
        )
        first = state.split()[0] if state.split() else ""
        if first.endswith("+"):  # sacct truncates long states with '+'; -P does not, be safe
            first = first[:-1]

        template = JobStatus(job_id, first, exit_code, time_limit, node_list, raw_state=state)
        pending = _PENDING_RANGE_RE.match(job_id)
        if not pending:
            statuses[job_id] = template
            continue
        try:
            tasks = expand_task_ranges(pending["ranges"])
        except ValueError:
            continue
        for task in tasks:
            key = f"{pending['array']}_{task}"
            if key not in statuses:  # a task's own record wins over the pending range
                statuses[key] = replace(template, job_id=key)
    return statuses


def failure_reason(status: JobStatus) -> str:
    """Why Slurm ended a job, in the words of cluster_requirements where one applies."""
    where = f"Slurm job {status.job_id}: {status.raw_state or status.state}"
    if status.exit_code and status.exit_code != "0:0":
        where += f", ExitCode {status.exit_code}"
    state = status.state
    if state == "TIMEOUT":
        limit = f" of {status.time_limit}" if status.time_limit else ""
        return f"{EXCEEDED_REQUEST_TIME} (Slurm time limit{limit}; {where})"
    if state == "OUT_OF_MEMORY":
        return f"exceeded memory_in_mb (killed by Slurm for using too much memory; {where})"
    if state == "CANCELLED":
        return f"cancelled ({where})"
    if state == "NODE_FAIL":
        node = f" {status.node_list}" if status.node_list else ""
        return f"node{node} failed ({where})"
    if state == "FAILED":
        code, _, sig = status.exit_code.partition(":")
        if sig and sig != "0":
            return f"killed by signal {sig} ({where})"
        return f"exited with code {code or '?'} ({where})"
    return f"ended in state {state} ({where})"


def format_command(argv: list[str]) -> str:
    return shlex.join(argv)
