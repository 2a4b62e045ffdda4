"""Which tests must run one after the other in the same pytest-xdist worker
(``scripts/test.sh`` runs the suite with ``--dist loadgroup``); every other test may run in any
worker, at the same time as any other.

Two reasons put tests into one group:

- a localhost cluster (the markers ``slurm``, ``htcondor``, ``pbs``, or a fixture that starts
  one): each cluster's tests assume that they have the cluster to themselves (the Slurm session
  fixture cancels every job of the user, the outage tests stop the scheduler, each cluster has
  two CPUs that a test's jobs fill);
- an expensive module- or session-scoped fixture defined in the tests (a venv built once, an
  experiment run once and inspected by many tests): each worker would build its own copy.

Tests linked through either are one group (a cluster test using a module fixture pulls that
module's other users into the cluster's group). A group is named after its cluster, else after
the module or fixture that formed it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent

#: the localhost clusters: each one's marker and the session fixtures that start it
CLUSTER_FIXTURES: dict[str, set[str]] = {
    "slurm": {"slurm_cluster"},
    "htcondor": {"htcondor_pool"},
    "pbs": {"pbs_cluster"},
}

_SHARED_SCOPES = ("class", "module", "package", "session")


def _source_in_tests(fixturedef: pytest.FixtureDef, tests_dir: Path) -> str | None:
    """The file defining the fixture, relative to the repository, if it is one of the tests'."""
    try:
        source = Path(inspect.getfile(fixturedef.func)).resolve()
    except TypeError:  # a builtin
        return None
    if not source.is_relative_to(tests_dir):
        return None
    return source.relative_to(tests_dir.parent).as_posix()


def _keys(item: pytest.Item, tests_dir: Path) -> set[str]:
    """What ties ``item`` to other tests: its cluster, and the shared fixtures it uses."""
    keys = {
        f"cluster:{cluster}"
        for cluster, fixtures in CLUSTER_FIXTURES.items()
        if item.get_closest_marker(cluster) or fixtures & set(getattr(item, "fixturenames", ()))
    }
    info = getattr(item, "_fixtureinfo", None)
    for name, fixturedefs in info.name2fixturedefs.items() if info else ():
        fixturedef = fixturedefs[-1]
        source = _source_in_tests(fixturedef, tests_dir)
        if fixturedef.scope not in _SHARED_SCOPES or source is None:
            continue
        if fixturedef.scope in ("package", "session"):  # one instance for all its users
            keys.add(f"fixture:{source}::{name}")
        else:  # one instance per module (or class): the module's users share it
            keys.add(f"module:{Path(item.path).resolve().relative_to(tests_dir.parent).as_posix()}")
    return keys


def _group_name(keys: Iterable[str]) -> str:
    clusters = sorted(k.removeprefix("cluster:") for k in keys if k.startswith("cluster:"))
    if clusters:
        return "+".join(clusters)
    return min(keys).partition(":")[2]


def worker_groups(items: list[pytest.Item], tests_dir: Path = TESTS_DIR) -> dict[pytest.Item, str]:
    """The group of each test that has one (tests without a group are left out); only fixtures
    defined under ``tests_dir`` count."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    item_keys = {item: _keys(item, tests_dir.resolve()) for item in items}
    for keys in item_keys.values():
        if not keys:
            continue
        first, *rest = sorted(keys)
        for key in [first, *rest]:
            parent[find(key)] = find(first)
    members: dict[str, set[str]] = {}
    for key in parent:
        members.setdefault(find(key), set()).add(key)
    names = {root: _group_name(keys) for root, keys in members.items()}
    return {item: names[find(min(keys))] for item, keys in item_keys.items() if keys}
