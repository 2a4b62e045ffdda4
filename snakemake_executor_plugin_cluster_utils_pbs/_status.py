"""One ``qstat -x -f -t`` per status cycle for every job of a run, subjobs included.

With job history on (``job_history_enable``), ``qstat -x`` keeps finished jobs (state ``F``,
subjobs ``X`` or ``F``) with their ``Exit_status``; ``-t`` lists the subjobs of arrays
(``12[3].server``) next to the array itself (``12[].server``). Exit statuses: the script's code,
``256 + N`` when signal N killed it, negative for PBS' own reasons (-29: walltime exceeded).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cluster_utils.backends import get_backend
from cluster_utils.experiment.job_state import EXCEEDED_REQUEST_TIME

_pbs = get_backend("pbs")

#: final job states (finished; X: a subjob that ended); everything else may still run
FINAL_STATES = frozenset({"F", "X"})
#: qstat's complaint about one id it does not know (purged from history, or never existed)
UNKNOWN_JOB_RE = re.compile(r"Unknown Job Id (\S+)")
#: the server does not answer (down, restarting, unreachable)
SERVER_DOWN_RE = re.compile(
    r"(?i)cannot connect to server|Connection refused|errno=150(?:10|11|31|35)|"
    r"Communication failure|No route to host|timed out|Server not available"
)


#: how PBS's scheduler starts the comment of a job no node can ever hold
CAN_NEVER_RUN = "Can Never Run"


@dataclass(frozen=True)
class JobStatus:
    """One job or subjob of ``qstat -x -f``."""

    job_id: str
    state: str
    exit_status: int | None = None
    comment: str = ""
    walltime: str = ""
    ran: bool = False  #: it started (PBS recorded resources used)

    @property
    def active(self) -> bool:
        return self.state not in FINAL_STATES

    @property
    def never_runs(self) -> bool:
        """Queued, and PBS's scheduler says no node can ever hold it ("Can Never Run: ...", a
        resource no node has enough of): it would wait forever."""
        return self.state == "Q" and self.comment.startswith(CAN_NEVER_RUN)

    @property
    def succeeded(self) -> bool:
        """Finished with exit status 0 after running; a deleted subjob also shows exit status 0,
        but ``terminated``/never ran."""
        comment = self.comment.lower()
        return (
            not self.active
            and self.exit_status == 0
            and self.ran
            and "terminated" not in comment
            and "deleted" not in comment
        )


def qstat_command(job_ids: Iterable[str]) -> list[str]:
    """One qstat for the given jobs, arrays with their subjobs (``-t``), finished ones too
    (``-x``), in full (``-f``). Not ``-F json``: OpenPBS 23.06 prints only the first of several
    jobs in JSON (docs/pbs.md), and JSON breaks on some environments in Variable_List."""
    return ["qstat", "-x", "-f", "-t", *sorted(set(job_ids))]


def parse_full(text: str) -> dict[str, dict[str, str]]:
    """``qstat -f`` output as job id -> attribute -> value. A long value goes on in lines that
    start with a tab (cut anywhere, even inside a word): they are joined back."""
    jobs: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    key = None
    for line in text.splitlines():
        if line.startswith("Job Id:"):
            current = jobs.setdefault(line.split(":", 1)[1].strip(), {})
            key = None
        elif current is None:
            continue
        elif line.startswith("\t") and key is not None:
            current[key] += line[1:]
        elif " = " in line:
            key, _, value = line.lstrip().partition(" = ")
            current[key] = value
        elif line.strip().endswith(" =") or line.strip().endswith("="):
            key = line.strip().rstrip("=").strip()
            current[key] = ""
    return jobs


def parse_qstat(text: str) -> dict[str, JobStatus]:
    """Jobs and subjobs of :func:`qstat_command`'s output by id."""
    statuses: dict[str, JobStatus] = {}
    for job_id, fields in parse_full(text).items():
        try:
            exit_status: int | None = int(fields["Exit_status"])
        except (KeyError, ValueError):
            exit_status = None
        ran = any(key.startswith("resources_used.") for key in fields) or "exec_host" in fields
        statuses[job_id] = JobStatus(
            job_id,
            fields.get("job_state", ""),
            exit_status,
            fields.get("comment", "").strip(),
            fields.get("Resource_List.walltime", ""),
            ran=ran,
        )
    return statuses


def query(
    job_ids: Iterable[str], on_call: Callable[[], None] | None = None
) -> dict[str, JobStatus] | None:
    """Statuses of the given jobs (arrays with their subjobs) from one qstat call; ids PBS no
    longer knows are left out (qstat names them on stderr and lists the others; should a version
    stop at the first, it is asked once more without them); None when the server does not
    answer. ``on_call`` is called per qstat call."""
    ids = sorted(set(job_ids))
    statuses: dict[str, JobStatus] = {}
    while ids:
        if on_call is not None:
            on_call()
        try:
            proc = subprocess.run(
                qstat_command(ids), capture_output=True, text=True, timeout=120, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        unknown = set(UNKNOWN_JOB_RE.findall(proc.stderr))
        statuses.update(parse_qstat(proc.stdout))
        if proc.returncode == 0 or not unknown:
            return statuses if proc.returncode == 0 else None
        ids = [i for i in ids if i not in unknown and i not in statuses]
    return statuses


def failure_reason(status: JobStatus) -> str:
    """Why PBS ended a job, in the words of cluster_requirements where one applies."""
    code = status.exit_status
    where = f"PBS job {status.job_id}: exit status {code if code is not None else 'none'}"
    if status.comment:
        where += f", {status.comment}"
    comment = status.comment.lower()
    if status.never_runs:
        return f"PBS can never run it: {status.comment} (check cluster_requirements; {where})"
    if code == _pbs.EXIT_KILLED_WALLTIME or "exceeded resource walltime" in comment:
        limit = f" of {status.walltime}" if status.walltime else ""
        return f"{EXCEEDED_REQUEST_TIME} (PBS walltime{limit}; {where})"
    if code == _pbs.EXIT_KILLED_MEMORY or "exceeded resource mem" in comment:
        return f"exceeded memory_in_mb (killed by PBS for using too much memory; {where})"
    if "terminated" in comment or "deleted" in comment or (code == 0 and not status.ran):
        return f"deleted (qdel) before it finished ({where})"
    if code is None:
        return f"ended without an exit status ({where})"
    if code > 256:
        return f"killed by signal {code - 256} ({where})"
    if code < 0:
        return f"PBS could not run it ({where})"
    return f"exited with code {code} ({where})"


def format_command(argv: list[str]) -> str:
    return shlex.join(argv)
