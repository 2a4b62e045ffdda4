"""Cluster backends: how cluster_requirements and job-side hooks map onto a scheduler.

One module or package per scheduler (``slurm``, ``htcondor``, ``pbs``), reached through one seam,
:func:`get_backend`. Who may import what:

- Everything outside this package -- the cluster_utils layers above, the executor plugin packages
  (``snakemake_executor_plugin_cluster_utils_<backend>``) and workflows -- reaches a backend only
  through ``get_backend(name)`` and uses what the returned module exports. Only a backend's own
  tests (``tests/<backend>/``) import its modules directly.
- A backend imports only ``cluster_utils.base`` and the standard library (the job runner loads it
  inside every job); nothing of the layers above, so no import leads back up.
- ``missing_executor`` is no backend: it is the executor plugin packages' stand-in for a missing
  base plugin, imported by them directly (and it imports Snakemake's interface packages when used).
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Backends that have a module in this package.
BACKENDS = ("slurm", "htcondor", "pbs")


def get_backend(name: str) -> ModuleType:
    """Return the backend module called ``name`` (e.g. ``"slurm"``)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown cluster backend {name!r}; known: {', '.join(BACKENDS)}")
    return importlib.import_module(f"{__name__}.{name}")
