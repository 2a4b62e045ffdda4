"""Run cluster_utils 3.0.0's own material (sdist/, unchanged) against this project.

3.0's scripts and configs use paths relative to its source root (``tests/grid_search.json``,
``examples/basic/main_no_fail.py``) and call ``python -m cluster_utils.grid_search``. So each run
gets a copy of sdist/ as its working directory and a PATH whose ``python`` is this project's
interpreter and on which no Slurm or HTCondor command can be found: 3.0's scripts are local runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SDIST = HERE / "sdist"
GOLDEN = HERE / "golden"

#: What 3.0's integration scripts answer on stdin (their heredocs): "y" twice.
YES_TWICE = "y\ny\n"

_SLURM_COMMANDS = {"sbatch", "srun", "squeue", "scancel", "sacct", "sinfo", "scontrol", "salloc"}


def _is_cluster_command(name: str) -> bool:
    return name in _SLURM_COMMANDS or name.startswith("condor_")


def local_only_path(scratch: Path) -> str:
    """This interpreter's bin dir, then PATH with every cluster command hidden.

    A PATH directory holding a cluster command (say /usr/bin with sbatch) is replaced by a
    directory of links to everything else in it.
    """
    entries = [str(Path(sys.executable).parent)]
    for index, directory in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        path = Path(directory)
        if not path.is_dir():
            continue
        names = [p.name for p in path.iterdir()]
        if not any(_is_cluster_command(name) for name in names):
            entries.append(directory)
            continue
        farm = scratch / f"bin{index}"
        farm.mkdir(parents=True, exist_ok=True)
        for name in names:
            if not _is_cluster_command(name) and not (farm / name).exists():
                (farm / name).symlink_to(path / name)
        entries.append(str(farm))
    return os.pathsep.join(entries)


def checkout(scratch: Path) -> Path:
    """A fresh copy of 3.0's source tree (the parts vendored in sdist/)."""
    root = scratch / "cluster_utils-3.0.0"
    shutil.copytree(SDIST, root, symlinks=True)
    return root


def local_env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = local_only_path(scratch / "path")
    env.setdefault("CLUSTER_UTILS_LOG_LEVEL", "warning")
    return env


def run_script(
    script: str, root: Path, results: Path, env: dict[str, str], timeout: float = 540
) -> subprocess.CompletedProcess:
    """``bash tests/<script> <results>`` in the 3.0 tree, as 3.0's noxfile runs it."""
    results.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        ["bash", f"tests/{script}", str(results)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def run_entry(
    module: str,
    config: str,
    root: Path,
    env: dict[str, str],
    *overrides: str,
    timeout: float = 540,
) -> subprocess.CompletedProcess:
    """``python -m cluster_utils.<module> <config> <overrides>`` in the 3.0 tree."""
    return subprocess.run(
        ["python", "-m", f"cluster_utils.{module}", config, *overrides],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=YES_TWICE,
    )


def header(csv_file: Path) -> list[str]:
    """The header fields of a CSV file (the first one is "" for 3.0's index column)."""
    with open(csv_file, newline="") as f:
        first = f.readline().rstrip("\r\n")
    return first.split(",")


def read_table(csv_file: Path) -> pd.DataFrame:
    """Read as 3.0's users do: the leading column is the index."""
    return pd.read_csv(csv_file, index_col=0)


def describe(result: subprocess.CompletedProcess) -> str:
    """The tail of a run's output, for assertion messages."""
    out, err = result.stdout[-4000:], result.stderr[-4000:]
    return f"exit {result.returncode}\n--- stdout\n{out}\n--- stderr\n{err}"
