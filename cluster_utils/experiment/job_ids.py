"""Stable integer job ids: a persistent map from a job's content hash to its id.

3.0 job scripts receive an integer ``id`` (often used as a seed) and working directories are named
by it. Ids are handed out in plan order and never reused, so the same setting keeps its id across
reruns and grid edits, and new settings get fresh ids.

The map lives in ``.cluster_utils/job_ids.json``; each grid job also records its own hash in
``jobs/<id>/job_hash``. When the map is missing or unreadable it is rebuilt from those files, and
an id is never handed out while a job directory of that id exists, so a new setting can never
inherit another setting's record or results.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from cluster_utils.base.job_protocol import atomic_write_json
from cluster_utils.experiment.layout import ExperimentLayout


@contextmanager
def _locked(layout: ExperimentLayout) -> Iterator[None]:
    layout.internal.mkdir(parents=True, exist_ok=True)
    with open(layout.id_registry.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ids_in(directory: os.PathLike[str]) -> set[int]:
    try:
        return {int(name) for name in os.listdir(directory) if name.isdigit()}
    except OSError:
        return set()


def ids_in_use(layout: ExperimentLayout) -> set[int]:
    """Ids that have a job directory (whatever the registry says). A working directory alone is
    not a claim: 3.0's load_existing_results adopts foreign results by their directory's id."""
    return _ids_in(layout.jobs_dir)


def _rebuilt_registry(layout: ExperimentLayout) -> dict[str, int]:
    registry: dict[str, int] = {}
    for job_id in sorted(_ids_in(layout.jobs_dir)):
        try:
            registry[layout.job_hash_file(job_id).read_text().strip()] = job_id
        except OSError:
            continue  # an hp_optimization job, or one whose directory was emptied
    return registry


def read_registry(layout: ExperimentLayout) -> dict[str, int]:
    """The hash -> id map; rebuilt from the jobs' own records when missing or unreadable."""
    try:
        with open(layout.id_registry) as f:
            return {str(k): int(v) for k, v in json.load(f).items()}
    except FileNotFoundError:
        problem = "is missing" if ids_in_use(layout) else None
    except (OSError, ValueError, AttributeError, TypeError):
        problem = "cannot be read"
    if problem is None:
        return {}
    registry = _rebuilt_registry(layout)
    print(
        f"cluster_utils: warning: {layout.id_registry} {problem}; rebuilt it from the "
        f"{len(registry)} jobs' recorded settings",
        file=sys.stderr,
    )
    return registry


def _ids_for(
    layout: ExperimentLayout, registry: dict[str, int], hashes: Iterable[str]
) -> dict[str, int]:
    """Ids for ``hashes``; unknown hashes are added to ``registry`` with never-used integers."""
    next_id = max([*registry.values(), *ids_in_use(layout)], default=-1) + 1
    result: dict[str, int] = {}
    for h in hashes:
        if h not in registry:
            registry[h] = next_id
            next_id += 1
        result[h] = registry[h]
    return result


def assign_ids(layout: ExperimentLayout, hashes: Iterable[str]) -> dict[str, int]:
    """Ids for ``hashes``: known hashes keep theirs, unknown ones get never-used integers."""
    with _locked(layout):
        registry = read_registry(layout)
        known = len(registry)
        result = _ids_for(layout, registry, hashes)
        if len(registry) != known or not layout.id_registry.exists():
            atomic_write_json(layout.id_registry, registry)
        return result


def preview_ids(layout: ExperimentLayout, hashes: Iterable[str]) -> dict[str, int]:
    """The ids :func:`assign_ids` would give, without writing anything (for ``--dry-run``)."""
    return _ids_for(layout, read_registry(layout), hashes)


def reserve_ids(layout: ExperimentLayout, count: int) -> list[int]:
    """Hand out ``count`` fresh ids that no job had before (used by hp_optimization)."""
    hashes = [f"reserved-{os.urandom(8).hex()}" for _ in range(count)]
    return list(assign_ids(layout, hashes).values())
