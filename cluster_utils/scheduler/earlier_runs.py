"""Adopting the array tasks an earlier run left behind: the part every array-submitting executor
plugin (Slurm, PBS) does the same way.

Before a batch is submitted, :meth:`EarlierRunAdoption._adopt_earlier_tasks`

1. registers the jobs that already finished (``adoption.already_finished``) as done, with their
   ``done`` marker back (:meth:`~EarlierRunAdoption._register_if_finished`);
2. looks up each other runner job's latest task of an earlier run in the arrays record
   (``arrays.latest_tasks``, read once per experiment and run);
3. asks the scheduler about those tasks in one query and registers the jobs whose task is still
   queued or running under that task instead of submitting them again.

The plugin says how its scheduler is named and asked (``scheduler_name``, ``status_command``,
``task_word``, :meth:`~EarlierRunAdoption._latest_earlier_tasks`,
:meth:`~EarlierRunAdoption._with_status`) and how an adopted job is registered
(:meth:`~EarlierRunAdoption._register_adopted`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo

from . import adoption, arrays


class SchedulerStatus(Protocol):
    """What the scheduler said about one task (each plugin's ``_status.JobStatus``)."""

    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class EarlierTask:
    """The latest task a job went out as in an earlier run, and what became of it."""

    job: str  #: the runner call's job argument (the job id)
    task: str  #: the scheduler's id of the task (Slurm ``12_3``, PBS ``12[3].server``)
    run: str  #: the earlier run's UUID
    status: SchedulerStatus | None = None

    @property
    def still_in_scheduler(self) -> bool:
        """Still queued, running or held: to be followed, not submitted again."""
        return self.status is not None and self.status.active


class EarlierRunAdoption:
    """Mixin of an executor that submits runner jobs as arrays and records them
    (``arrays.record_array``). It uses the executor's ``run_uuid``, ``logger``, ``runner_argv``,
    ``_report_job_submission_threadsafe``, ``_adoptions`` (``adoption.AdoptionCounts``) and
    ``_earlier`` (a dict, empty at the start of the run)."""

    #: the scheduler's name in the output ("Slurm", "PBS")
    scheduler_name: str
    #: the command that tells the state of earlier tasks ("sacct", "qstat")
    status_command: str
    #: what the scheduler's units are called in the output ("tasks", "jobs")
    task_word: str

    run_uuid: str
    logger: Any
    _adoptions: adoption.AdoptionCounts
    _earlier: dict[str, dict[str, EarlierTask]]
    #: the executor's own (not defined here: the executor's base classes come later in its MRO)
    runner_argv: Callable[[Any], list[str] | None]
    _report_job_submission_threadsafe: Callable[[SubmittedJobInfo], None]

    def _latest_earlier_tasks(self, experiment: Path) -> Mapping[str, EarlierTask]:
        """Job -> its latest task, for the jobs whose latest task belongs to another run."""
        raise NotImplementedError

    def _with_status(self, tasks: list[EarlierTask]) -> list[EarlierTask] | None:
        """``tasks`` with their status from one scheduler query; None when it cannot be asked."""
        raise NotImplementedError

    def _register_adopted(self, job: Any, argv: list[str], earlier: EarlierTask) -> None:
        """Register the job under its earlier task instead of submitting it."""
        raise NotImplementedError

    def _adopt_earlier_tasks(self, batch: list[Any]) -> list[Any]:
        """Register the jobs that already finished and adopt those whose task of an earlier run
        is still in the scheduler; return the others, to be submitted."""
        rest: list[Any] = []
        candidates: list[tuple[Any, list[str], EarlierTask]] = []
        for job in batch:
            if self._register_if_finished(job):
                continue
            argv = self.runner_argv(job)
            earlier = self._earlier_task(argv) if argv else None
            if argv is None or earlier is None:
                rest.append(job)
            else:
                candidates.append((job, argv, earlier))
        if not candidates:
            return rest
        known = self._with_status([earlier for _, _, earlier in candidates])
        if known is None:
            self.logger.warning(
                f"cluster_utils: {self.status_command} could not tell the state of earlier "
                f"runs' {self.scheduler_name} {self.task_word}; their jobs are submitted again"
            )
            known = [earlier for _, _, earlier in candidates]
        adopted: list[str] = []
        for (job, argv, _), earlier in zip(candidates, known, strict=True):
            if earlier.still_in_scheduler:
                self._register_adopted(job, argv, earlier)
                adopted.append(f"{earlier.job} ({earlier.task})")
            else:
                rest.append(job)
        if adopted:
            self._adoptions.adopted += len(adopted)
            shown = ", ".join(adopted[:20]) + (" ..." if len(adopted) > 20 else "")
            self.logger.info(
                f"cluster_utils: {len(adopted)} jobs adopted from earlier runs, still in "
                f"{self.scheduler_name} (not submitted again): {shown}"
            )
        return rest

    def _register_if_finished(self, job: Any) -> bool:
        """A job that finished before this run (its state.json says so) is registered as done,
        with its ``done`` marker back, instead of being submitted."""
        found = adoption.runner_job(job)
        if found is None or not adoption.already_finished(*found):
            return False
        adoption.restore_done_marker(job)
        self._adoptions.already_finished += 1
        self.logger.info(
            f"cluster_utils: job {found[1]} already finished (its state.json says so); "
            "not submitted again"
        )
        self._report_job_submission_threadsafe(
            SubmittedJobInfo(job, external_jobid=adoption.finished_id(found[1]))
        )
        return True

    def _earlier_task(self, argv: list[str]) -> EarlierTask | None:
        """The job's latest task of an earlier run (the arrays record is read once per run)."""
        experiment = arrays.experiment_of(argv)
        if experiment not in self._earlier:
            self._earlier[experiment] = dict(self._latest_earlier_tasks(Path(experiment)))
        return self._earlier[experiment].pop(arrays.job_key(argv), None)
