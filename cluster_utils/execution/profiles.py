"""Choosing where jobs run: a Snakemake profile (local, slurm, htcondor, pbs or a directory)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from cluster_utils.backends import get_backend
from cluster_utils.backends.missing_executor import require_executor
from cluster_utils.backends.slurm_clients import slurm_controller_answers
from cluster_utils.base.workflow_files import profile_dir
from cluster_utils.config.validation import strict_requested
from cluster_utils.experiment.settings import run_locally_setting

BUNDLED_PROFILES = ("local", "slurm", "htcondor", "pbs")
#: how 3.0 detected a cluster: by its submit command on PATH (first found wins); PBS' qsub also
#: has to be PBS' own (see :func:`is_pbs`)
SUBMIT_COMMANDS = {
    "slurm": ("sbatch",),
    "htcondor": ("condor_submit_bid", "condor_submit"),
    "pbs": ("qsub",),
}


class ProfileError(ValueError):
    pass


def resolve_profile(name_or_path: str) -> Path:
    if name_or_path in BUNDLED_PROFILES:
        return profile_dir(name_or_path)
    path = Path(name_or_path)
    if (path / "config.yaml").is_file() or (path / "config.v8+.yaml").is_file():
        return path.resolve()
    raise ProfileError(
        f"profile {name_or_path!r} is neither one of {', '.join(BUNDLED_PROFILES)} nor a directory "
        "holding a Snakemake profile (config.yaml)"
    )


def _output(argv: list[str]) -> tuple[int, str]:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError):
        return -1, ""
    return proc.returncode, proc.stdout + proc.stderr


@functools.cache
def is_pbs() -> bool:
    """Whether ``qstat`` on PATH is PBS' (OpenPBS / PBS Professional print ``pbs_version = ...``
    for ``qstat --version``). Slurm's Torque wrappers (Debian's slurm-wlm-torque) and other
    look-alikes install a ``qsub``/``qstat`` too, which must not count as PBS."""
    if shutil.which("qstat") is None:
        return False
    return "pbs_version" in _output(["qstat", "--version"])[1]


def _submit_command(cluster: str) -> str | None:
    command = next((c for c in SUBMIT_COMMANDS[cluster] if shutil.which(c)), None)
    if cluster == "pbs" and command is not None and not is_pbs():
        return None
    return command


def detect_cluster() -> str | None:
    """The cluster system found on this machine, as 3.0 detected it (by its submit command).

    Where both Slurm's sbatch and a real PBS are found (a machine with both clients), Slurm is
    chosen only if its controller answers."""
    found = [cluster for cluster in SUBMIT_COMMANDS if _submit_command(cluster)]
    if "slurm" in found and "pbs" in found and slurm_controller_answers() is not True:
        found.remove("slurm")
    return found[0] if found else None


#: executors whose Snakemake process gets an empty Slurm config where Slurm's controller does not
#: answer (backends.slurm_clients: Snakemake's Slurm plugin would wait for it at each start)
QUIET_SLURM_EXECUTORS = frozenset({"cluster-utils-pbs"})


def quiets_slurm(profile: Path) -> bool:
    """Whether this profile's Snakemake process runs with ``quiet_slurm_environment``."""
    return profile_executor(profile) in QUIET_SLURM_EXECUTORS


def profile_executor(profile: Path) -> str:
    """The executor a profile directory selects (Snakemake's ``local`` when it names none)."""
    for name in ("config.v8+.yaml", "config.yaml"):
        path = profile / name
        if path.is_file():
            try:
                config = yaml.safe_load(path.read_text()) or {}
            except (OSError, yaml.YAMLError) as error:
                raise ProfileError(f"cannot read the profile {path}: {error}") from error
            executor = config.get("executor") if isinstance(config, dict) else None
            return str(executor or "local")
    return "local"


def choose_profile(
    explicit: str | None,
    *,
    force_local: bool,
    run_locally: bool | None,
    interactive: bool,
) -> tuple[Path, str]:
    """Return the profile directory and a one-line explanation of the choice."""
    if force_local:
        return resolve_profile("local"), "running locally (--force-local)"
    if explicit:
        return resolve_profile(explicit), f"using profile {explicit}"
    if run_locally:
        return resolve_profile("local"), "running locally (local_run/run_local is true)"
    cluster = detect_cluster()
    if cluster:
        return resolve_profile(cluster), f"{cluster} detected, submitting jobs to it"
    if run_locally is False:
        raise ProfileError(
            "no cluster found (neither sbatch, condor_submit nor PBS' qsub on PATH) and "
            "local_run/run_local "
            "is false; pass --profile local or --force-local to run on this machine"
        )
    if interactive:
        answer = input("No cluster detected. Run the jobs on this machine? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise ProfileError("not running: no cluster detected and local run declined")
    else:
        print("cluster_utils: no cluster detected; running on this machine", file=sys.stderr)
    return resolve_profile("local"), "no cluster detected, running locally"


def profile_for_run(
    settings: dict[str, Any], explicit: str | None, *, force_local: bool, strict: bool = False
) -> tuple[Path, str]:
    """The profile of a ``grid-search`` / ``optimize`` run and why (asks only on a terminal).

    A profile whose executor plugin is not installed is refused here, before anything runs."""
    interactive = sys.stdin.isatty() and not settings.get("no_user_interaction", False)
    profile, reason = choose_profile(
        explicit,
        force_local=force_local,
        run_locally=run_locally_setting(settings),
        interactive=interactive,
    )
    executor = profile_executor(profile)
    # which cluster 3.0's detection would find matters only where it chose the profile
    cluster = None if explicit or force_local else detect_cluster()
    if explicit or not cluster:
        require_executor(executor, f"--profile {explicit or profile}")
    else:  # 3.0's detection chose the profile
        require_executor(
            executor,
            f"{cluster} detected ({_submit_command(cluster)} on PATH)",
            alternative="--force-local runs the jobs on this machine",
        )
    check_cluster_requirements(executor, settings, strict=strict)
    return profile, reason


#: executors whose backend refuses cluster_requirements its scheduler would reject: checked
#: before anything is submitted (the Slurm and HTCondor executors report such jobs one by one)
CHECKED_EXECUTORS = {"cluster-utils-pbs": "pbs"}


def check_cluster_requirements(
    executor: str, settings: dict[str, Any], *, strict: bool = False
) -> None:
    """Raise ProfileError (a config error naming the key) when the profile's scheduler cannot take
    the experiment's cluster_requirements.

    What 3.0 accepted but the scheduler cannot express (the backend's
    ``unexpressed_requirements``) is one warning per key, and an error when validation is strict
    (``strict`` or ``strict_config: true``); the backend's ``requirement_notices`` are said once.
    """
    backend = CHECKED_EXECUTORS.get(executor)
    requirements = settings.get("cluster_requirements")
    if backend is None or not isinstance(requirements, dict):
        return
    module = get_backend(backend)
    try:
        module.snakemake_resources(requirements)
    except ValueError as error:
        raise ProfileError(f"{error} (the profile's executor is {executor})") from error
    for message in module.unexpressed_requirements(requirements):
        if strict or strict_requested(settings):
            raise ProfileError(f"{message} (the profile's executor is {executor}; strict)")
        print(f"cluster_utils: warning: {message}", file=sys.stderr, flush=True)
    for notice in module.requirement_notices(requirements):
        print(f"cluster_utils: {notice}", file=sys.stderr, flush=True)
