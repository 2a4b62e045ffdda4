"""Where the Snakemake workflow, its schemas and the profiles live.

In a checkout (or an editable install) they sit at the repository root, next to the package.
A wheel carries them inside the package as ``cluster_utils/_workflow/`` (see pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@cache
def workflow_root() -> Path:
    """The directory holding ``Snakefile``, ``workflow/`` and ``profiles/``."""
    for candidate in (_PACKAGE_DIR / "_workflow", _PACKAGE_DIR.parent):
        if (candidate / "Snakefile").is_file() and (candidate / "workflow").is_dir():
            return candidate
    raise FileNotFoundError(
        "cannot find the cluster_utils Snakemake workflow (Snakefile + workflow/) next to the "
        f"package in {_PACKAGE_DIR}; reinstall cluster_utils"
    )


def snakefile() -> Path:
    return workflow_root() / "Snakefile"


def schema_path(name: str) -> Path:
    """Path of ``workflow/schemas/<name>``."""
    return workflow_root() / "workflow" / "schemas" / name


def profile_dir(name: str) -> Path:
    """Directory of a bundled profile (``local``, ``slurm``, ``htcondor``, ``pbs``)."""
    return workflow_root() / "profiles" / name
