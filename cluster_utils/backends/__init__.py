"""Cluster backends: how cluster_requirements and job-side hooks map onto a scheduler.

One module per scheduler (``slurm``, ``htcondor``). Code outside this package reaches a backend only
through :func:`get_backend`, so backends can import anything from the rest of the package
but nothing imports a backend module directly.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Backends that have a module in this package.
BACKENDS = ("slurm", "htcondor")


def get_backend(name: str) -> ModuleType:
    """Return the backend module called ``name`` (e.g. ``"slurm"``)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown cluster backend {name!r}; known: {', '.join(BACKENDS)}")
    return importlib.import_module(f"{__name__}.{name}")
