"""``cluster-utils install-profiles``: put the bundled profiles where ``snakemake --profile NAME``
finds them.

Snakemake resolves a profile *name* in the current directory, then in its per-user config
directory (``$XDG_CONFIG_HOME/snakemake``, by default ``~/.config/snakemake``), then in the
system one (``/etc/xdg/snakemake``); never in ``profiles/`` of a checkout. This command copies
``profiles/local``, ``profiles/slurm``, ``profiles/htcondor`` and ``profiles/pbs`` (as packaged, see
:func:`cluster_utils.base.workflow_files.profile_dir`) into the per-user directory, or into
``--dest``. A profile directory that is already there is kept unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cluster_utils.base.workflow_files import profile_dir

PROFILE_NAMES = ("local", "slurm", "htcondor", "pbs")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def add_install_profiles_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "install-profiles",
        help="install the local, slurm, htcondor and pbs profiles for `snakemake --profile NAME`",
        description="Copy the bundled Snakemake profiles (local, slurm, htcondor, pbs) into "
        "Snakemake's per-user profile directory ($XDG_CONFIG_HOME/snakemake, by default "
        "~/.config/snakemake), so that `snakemake --profile slurm` finds them from any "
        "directory. Profiles you already have are kept unless --force is given.",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace profiles of the same name that exist"
    )
    parser.add_argument(
        "--dest",
        type=Path,
        metavar="DIR",
        help="install into DIR/<name>/ instead (default: Snakemake's per-user directory)",
    )


def snakemake_user_profile_dir() -> Path:
    """Where Snakemake looks for profile names per user (its ``user_config_dir``)."""
    try:
        from platformdirs import user_config_dir  # what Snakemake itself asks
    except ImportError:  # the base install has no Snakemake; follow XDG as it would on Linux
        base = os.environ.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
        return Path(base) / "snakemake"
    return Path(user_config_dir("snakemake", "snakemake"))


@dataclass(frozen=True)
class ProfileOutcome:
    name: str
    path: Path
    #: "installed", "replaced", "unchanged" (identical copy already there) or "kept"
    action: str


def install_profiles(
    dest: Path, *, force: bool = False, names: tuple[str, ...] = PROFILE_NAMES
) -> list[ProfileOutcome]:
    """Copy each bundled profile to ``dest/<name>/``; an existing one is kept unless ``force``."""
    dest.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for name in names:
        source, target = profile_dir(name), dest / name
        exists = target.exists() or target.is_symlink()
        if exists and _same_tree(source, target):
            outcomes.append(ProfileOutcome(name, target, "unchanged"))
        elif exists and not force:
            outcomes.append(ProfileOutcome(name, target, "kept"))
        else:
            _copy_profile(source, target)
            outcomes.append(ProfileOutcome(name, target, "replaced" if exists else "installed"))
    return outcomes


def _same_tree(source: Path, target: Path) -> bool:
    if target.is_symlink() or not target.is_dir():
        return False
    compared = filecmp.dircmp(source, target, ignore=["__pycache__"])
    if compared.left_only or compared.right_only or compared.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(source, target, compared.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(_same_tree(source / sub, target / sub) for sub in compared.common_dirs)


def _copy_profile(source: Path, target: Path) -> None:
    """Copy next to ``target`` first, then swap it in: never a half-written profile."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        shutil.copytree(source, staging / target.name, ignore=_IGNORED)
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.exists():
            shutil.rmtree(target)
        (staging / target.name).rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_install_profiles(args: argparse.Namespace) -> int:
    dest = (args.dest if args.dest is not None else snakemake_user_profile_dir()).expanduser()
    outcomes = install_profiles(dest.absolute(), force=args.force)
    for outcome in outcomes:
        print(_describe(outcome))
    kept = [o.name for o in outcomes if o.action == "kept"]
    if kept:
        print(
            f"kept {len(kept)} profile(s) you already had ({', '.join(kept)}); "
            "`cluster-utils install-profiles --force` replaces them"
        )
    usable = [o.name for o in outcomes if o.action != "kept"]
    if usable and args.dest is None:
        print(f"`snakemake --profile {'|'.join(usable)}` now finds them from any directory")
    elif usable:
        print(f"use them as `snakemake --profile {dest.absolute() / usable[0]}`")
    return 0


def _describe(outcome: ProfileOutcome) -> str:
    what = {
        "installed": "installed",
        "replaced": "replaced",
        "unchanged": "up to date",
        "kept": "kept (differs from the bundled profile)",
    }[outcome.action]
    return f"{outcome.name}: {what} {outcome.path}"
