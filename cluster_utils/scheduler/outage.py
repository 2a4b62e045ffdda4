"""Telling the user, once, that the scheduler stopped answering, and once that it answers again.

An executor plugin keeps one :class:`SchedulerOutage` per scheduler it talks to and calls
:meth:`~SchedulerOutage.note_failure` when a status query fails or times out and
:meth:`~SchedulerOutage.note_success` when one works. The first failure logs one line
("Slurm controller not answering since 12:03:10; running jobs continue; waiting") and records
the outage in each watched experiment (``experiment.scheduler_outage``: the driver's progress
display shows it, ``cluster-utils status`` reports it); further failures say nothing; the first
success afterwards logs one line ("Slurm controller answering again after 1m32s") and removes
the record.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.experiment.scheduler_outage import Outage, clear_outage, record_outage


class SchedulerOutage:
    def __init__(
        self,
        scheduler: str,
        say: Callable[[str], None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        #: as the lines name it: "Slurm controller", "HTCondor schedd", "PBS server"
        self.scheduler = scheduler
        self._say = say
        self._clock = clock
        self._experiments: set[Path] = set()
        self.current: Outage | None = None

    @property
    def ongoing(self) -> bool:
        return self.current is not None

    def watch(self, experiment: Path | str) -> None:
        """Record outages in this experiment too (call it for each job's experiment)."""
        experiment = Path(experiment)
        if experiment in self._experiments:
            return
        self._experiments.add(experiment)
        if self.current is not None:
            self._record(experiment, self.current)

    def note_failure(self, detail: str = "", *, asked_at: float | None = None) -> None:
        """A status query failed or timed out; ``detail`` (the error) goes with the first line,
        ``asked_at`` (when the query was sent, e.g. before a timeout) is when the outage began."""
        if self.current is not None:
            return
        since = self._clock() if asked_at is None else asked_at
        self.current = Outage(self.scheduler, since, os.getpid(), socket.gethostname())
        self._say(
            f"cluster_utils: {self.current.not_answering_line()}"
            + (f" ({detail})" if detail else "")
        )
        for experiment in self._experiments:
            self._record(experiment, self.current)

    def note_success(self) -> None:
        """A status query worked: the end of an outage, if there was one."""
        if self.current is None:
            return
        self._say(f"cluster_utils: {self.current.answering_again_line(self._clock())}")
        self.close()

    def close(self) -> None:
        """The outage is over, or the run ends during one: remove its records (a later run
        must not show an old outage)."""
        if self.current is None:
            return
        self.current = None
        for experiment in self._experiments:
            with contextlib.suppress(OSError):
                clear_outage(ExperimentLayout.at(experiment))

    @staticmethod
    def _record(experiment: Path, outage: Outage) -> None:
        with contextlib.suppress(OSError):
            record_outage(ExperimentLayout.at(experiment), outage)
