"""Stable integer job ids: a persistent map from a job's content hash to its id.

3.0 job scripts receive an integer ``id`` (often used as a seed) and working directories are named
by it. Ids are handed out in plan order and never reused, so the same setting keeps its id across
reruns and grid edits, and new settings get fresh ids.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from cluster_utils.base.job_protocol import atomic_write_json


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_registry(path: Path) -> dict[str, int]:
    try:
        with open(path) as f:
            return {str(k): int(v) for k, v in json.load(f).items()}
    except FileNotFoundError:
        return {}


def assign_ids(path: Path, hashes: Iterable[str]) -> dict[str, int]:
    """Ids for ``hashes``: known hashes keep theirs, unknown ones get the next free integers."""
    with _locked(path):
        registry = read_registry(path)
        next_id = max(registry.values(), default=-1) + 1
        changed = False
        result: dict[str, int] = {}
        for h in hashes:
            if h not in registry:
                registry[h] = next_id
                next_id += 1
                changed = True
            result[h] = registry[h]
        if changed or not os.path.exists(path):
            atomic_write_json(path, registry)
        return result


def reserve_ids(path: Path, count: int) -> list[int]:
    """Hand out ``count`` fresh ids that no job had before (used by hp_optimization)."""
    hashes = [f"reserved-{os.urandom(8).hex()}" for _ in range(count)]
    return list(assign_ids(path, hashes).values())
