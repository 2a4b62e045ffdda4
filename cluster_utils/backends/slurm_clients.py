"""Slurm's clients on a machine whose Slurm controller does not answer.

Snakemake imports every executor plugin it finds at each start, and the Slurm plugin (installed
with cluster_utils) runs ``scontrol show config`` while it is imported. Where Slurm's clients are
installed but no controller answers (a PBS login node that also has Slurm's clients, the localhost
PBS cluster's network namespace), that call waits ~9 s for the controller: at every Snakemake
start, so at every hp_optimization batch.

For the Snakemake process of a run on another scheduler (PBS), :func:`quiet_slurm_environment`
points ``SLURM_CONF`` at an empty file when the controller is known not to answer: Slurm's
clients then fail at once. The caller's own value is kept aside and handed back by
:func:`caller_environment` to what the jobs inherit (qsub -V), so jobs never see the change.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Callable, Mapping

EMPTY_SLURM_CONF = "/dev/null"
#: the caller's SLURM_CONF while Snakemake runs with an empty one: "=<value>", or "" when unset
CALLER_SLURM_CONF = "CLUSTER_UTILS_CALLER_SLURM_CONF"


@functools.cache
def slurm_controller_answers() -> bool | None:
    """Whether Slurm's controller answers ``scontrol ping`` (None: no Slurm clients here).

    Asked once per process. ``scontrol ping`` gives up at once where the controller does not
    answer (~15 ms measured, where ``scontrol show config`` waited ~9 s)."""
    if shutil.which("scontrol") is None:
        return None
    try:
        proc = subprocess.run(
            ["scontrol", "ping"], capture_output=True, text=True, timeout=15, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and "UP" in proc.stdout + proc.stderr


QUIET_NOTICE = (
    "Slurm's clients are installed but its controller does not answer: Snakemake runs with "
    f"SLURM_CONF={EMPTY_SLURM_CONF} (its Slurm plugin would wait ~9 s for the controller at each "
    "start); the jobs get your environment"
)


def quiet_slurm_environment(
    env: Mapping[str, str], say: Callable[[str], object] | None = None
) -> dict[str, str]:
    """``env`` for the Snakemake process of a non-Slurm run: with an empty Slurm config where
    Slurm's clients are installed but their controller does not answer (then ``say`` gets
    :data:`QUIET_NOTICE`), else unchanged."""
    quiet = dict(env)
    if CALLER_SLURM_CONF in quiet or slurm_controller_answers() is not False:
        return quiet
    caller = quiet.get("SLURM_CONF")
    quiet[CALLER_SLURM_CONF] = "" if caller is None else f"={caller}"
    quiet["SLURM_CONF"] = EMPTY_SLURM_CONF
    if say is not None:
        say(QUIET_NOTICE)
    return quiet


def caller_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` as the user had it before :func:`quiet_slurm_environment` (what jobs inherit)."""
    restored = dict(env)
    caller = restored.pop(CALLER_SLURM_CONF, None)
    if caller is None:
        return restored
    if caller.startswith("="):
        restored["SLURM_CONF"] = caller[1:]
    else:
        restored.pop("SLURM_CONF", None)
    return restored
