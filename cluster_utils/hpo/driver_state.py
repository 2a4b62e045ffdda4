"""The driver's persisted state: one JSON file, rewritten atomically after every change.

It holds the optimizer state and one record per submitted job in the same file, so a kill -9 at
any moment leaves a consistent pair: every result the optimizer was told is marked as told, and a
job that finished after the last write is found finished in its ``state.json`` on resume.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from cluster_utils.base.job_protocol import atomic_write_json
from cluster_utils.experiment.layout import ExperimentLayout

STATE_FORMAT_VERSION = 1

#: Status of a job the driver handed to an executor and has no outcome for yet.
SUBMITTED = "submitted"


@dataclass
class JobRecord:
    """One optimization sample: its setting, when it was asked, and its outcome once known."""

    id: int
    #: flat dotted setting as asked from the optimizer (JSON form: tuples are lists)
    setting: dict[str, Any]
    #: 3.0's ``_iteration``: the iteration (1-based) that was running when the job was asked
    iteration: int
    status: str = SUBMITTED
    #: the value told to the optimizer (None: failed)
    value: float | None = None
    metrics: dict[str, Any] | None = None
    reason: str | None = None
    #: values of metric_to_optimize from announce_early_results, in the order seen
    early_values: list[float] = field(default_factory=list)
    early_time: float | None = None
    #: how often the driver started this job after its runner ended without an outcome
    restarts_without_outcome: int = 0
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.status != SUBMITTED


@dataclass
class DriverState:
    fingerprint: str
    settings: dict[str, Any]
    seed: int
    optimizer: dict[str, Any] | None = None
    jobs: dict[int, JobRecord] = field(default_factory=dict)
    #: iterations whose end (every n_jobs_per_iteration completions) has been processed
    iterations_done: int = 0
    #: set when the 3.0 abort rule stopped the run
    aborted: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": STATE_FORMAT_VERSION,
            "fingerprint": self.fingerprint,
            "settings": self.settings,
            "seed": self.seed,
            "optimizer": self.optimizer,
            "iterations_done": self.iterations_done,
            "aborted": self.aborted,
            "jobs": [asdict(record) for record in self.jobs.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriverState:
        if data.get("format_version") != STATE_FORMAT_VERSION:
            raise ValueError(f"unsupported driver state format {data.get('format_version')!r}")
        jobs = {int(entry["id"]): JobRecord(**entry) for entry in data.get("jobs", [])}
        return cls(
            fingerprint=data["fingerprint"],
            settings=data["settings"],
            seed=int(data["seed"]),
            optimizer=data.get("optimizer"),
            jobs=jobs,
            iterations_done=int(data.get("iterations_done", 0)),
            aborted=data.get("aborted"),
        )

    # -- counts -----------------------------------------------------------------------------
    def finished_records(self) -> list[JobRecord]:
        return [r for r in self.jobs.values() if r.finished]

    def in_flight_ids(self) -> list[int]:
        return [r.id for r in self.jobs.values() if not r.finished]

    def count(self, status: str) -> int:
        return sum(1 for r in self.jobs.values() if r.status == status)

    @property
    def n_submitted(self) -> int:
        return len(self.jobs)

    @property
    def n_completed(self) -> int:
        return sum(1 for r in self.jobs.values() if r.finished)


def load_driver_state(layout: ExperimentLayout) -> DriverState | None:
    try:
        with open(layout.hpo_driver_state) as f:
            return DriverState.from_json(json.load(f))
    except FileNotFoundError:
        return None


def save_driver_state(layout: ExperimentLayout, state: DriverState) -> None:
    atomic_write_json(layout.hpo_driver_state, state.to_json())
