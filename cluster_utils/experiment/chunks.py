"""Grouping many short local jobs into chunks, one Snakemake job per chunk.

Locally, Snakemake's per-job bookkeeping and a new runner process per job cost more than a short
job itself. A chunk runs its jobs one after another in one runner; each job still has its own
state, logs and outcome, a failing job does not stop the rest of its chunk, and a rerun re-runs
only the jobs that did not succeed (the chunk runs again, its finished jobs are skipped).
A chunk's name is derived from its members, so editing the grid gives new chunks.
"""

from __future__ import annotations

import hashlib
import json
import math

from cluster_utils.base.job_protocol import atomic_write_text
from cluster_utils.experiment.layout import ExperimentLayout

#: aim for this many chunks per core, so chunks of unequal length still balance out
CHUNKS_PER_CORE = 8
MAX_CHUNK_SIZE = 50
CHUNK_PATTERN = r"\d+-\d+-[0-9a-f]{8}"


def local_chunk_size(n_jobs: int, cores: int) -> int:
    return max(1, min(MAX_CHUNK_SIZE, math.ceil(n_jobs / (max(cores, 1) * CHUNKS_PER_CORE))))


def chunk_name(job_ids: list[int]) -> str:
    digest = hashlib.sha1(",".join(map(str, job_ids)).encode()).hexdigest()[:8]
    return f"{job_ids[0]}-{job_ids[-1]}-{digest}"


def make_chunks(layout: ExperimentLayout, job_ids: list[int], size: int) -> list[str]:
    """Split ``job_ids`` into chunks of ``size``, write their member lists, return their names."""
    names = []
    layout.chunks_dir.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(job_ids), size):
        members = job_ids[start : start + size]
        name = chunk_name(members)
        path = layout.chunk_members(name)
        if not path.exists():
            atomic_write_text(path, json.dumps(members))
        names.append(name)
    return names


def read_chunk(layout: ExperimentLayout, chunk: str) -> list[int]:
    with open(layout.chunk_members(chunk)) as f:
        return [int(i) for i in json.load(f)]


def finished_chunks(layout: ExperimentLayout, job_ids: list[int]) -> tuple[list[str], list[int]]:
    """The finished chunks of an earlier run that cover consecutive runs of ``job_ids``, and the
    ids no such chunk covers. A plain ``snakemake`` run after a chunked ``cluster-utils`` run
    builds its DAG from them, so every output in it is one Snakemake made (``--report`` finds
    its records), while the others run one Snakemake job each."""
    by_first: dict[int, list[tuple[str, list[int]]]] = {}
    for marker in layout.chunks_dir.glob("*.done") if layout.chunks_dir.is_dir() else ():
        name = marker.name.removesuffix(".done")
        try:
            members = read_chunk(layout, name)
        except (OSError, ValueError):
            continue
        if members and all(layout.done_marker(job_id).exists() for job_id in members):
            by_first.setdefault(members[0], []).append((name, members))
    chunks: list[str] = []
    loose: list[int] = []
    position = 0
    while position < len(job_ids):
        fitting = [
            (name, members)
            for name, members in by_first.get(job_ids[position], [])
            if job_ids[position : position + len(members)] == members
        ]
        if fitting:
            name, members = max(fitting, key=lambda chunk: len(chunk[1]))
            chunks.append(name)
            position += len(members)
        else:
            loose.append(job_ids[position])
            position += 1
    return chunks, loose
