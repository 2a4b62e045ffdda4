"""The hp_optimization loop, with 3.0's iteration semantics.

- ``n_jobs_per_iteration`` jobs are in flight; every ``n_completed_jobs_before_resubmit``
  completions that many new settings are asked and submitted (default 1: a finished job is
  replaced at once; nobody waits for the slowest job of a batch). In total ``number_of_samples``
  jobs run (fewer if a gridsearch runs out of settings).
- An iteration ends every ``n_jobs_per_iteration`` completions: the CSVs and best_jobs/ are
  refreshed, working dirs removed (``remove_working_dirs``) and, with
  ``generate_report = every_iteration``, the report is drawn.
- Finished jobs are told to the optimizer at once: succeeded with their metric, failed as
  ``None``, stopped early with their last early result. Optimizer and job records are saved in
  one atomic write after every change, so the same command continues after a kill -9.
- 3.0's abort rule: more failed jobs than successful + running + 5 (counted since the command
  started) stops the run with exit code 1.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Sequence

from cluster_utils.base.exit_codes import run_exit_code
from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.hpo.driver_state import DriverState, JobRecord, save_driver_state
from cluster_utils.hpo.early_killing import EarlyKilling, RankReference, record_early_value
from cluster_utils.hpo.executors import JobExecutor
from cluster_utils.hpo.jobs import create_jobs, read_outcome
from cluster_utils.hpo.outputs import format_final_summary, remove_working_dirs, update_best_jobs
from cluster_utils.hpo.report import BackgroundReports
from cluster_utils.hpo.results_tables import ResultsTables
from cluster_utils.hpo.setup import GENERATE_EVERY_ITERATION, GENERATE_NEVER, HpoSettings
from cluster_utils.optimization import Optimizer
from cluster_utils.optimization.param_values import setting_from_json, setting_to_json
from cluster_utils.results.progress import OptimizationProgress

#: 3.0's abort rule: stop when failed > successful + running + ABORT_MARGIN
ABORT_MARGIN = 5
#: a job whose runner ends without an outcome (not interrupted by us) is started again this often
MAX_RESTARTS_WITHOUT_OUTCOME = 2


def _raise_keyboard_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


class OptimizationLoop:
    def __init__(
        self,
        layout: ExperimentLayout,
        hpo: HpoSettings,
        state: DriverState,
        optimizer: Optimizer,
        executor: JobExecutor,
        progress: OptimizationProgress,
        *,
        strict: bool = False,
        config_warnings: tuple[str, ...] = (),
    ) -> None:
        self.layout = layout
        self.strict = strict
        self.config_warnings = config_warnings
        self.hpo = hpo
        self.state = state
        self.optimizer = optimizer
        self.executor = executor
        self.progress = progress
        self.tables = ResultsTables(layout, hpo.metric_to_optimize, hpo.minimize)
        self.reports = BackgroundReports(layout)
        self.optimized_names = list(optimizer.config.optimized_param_names)
        self.exhausted = optimizer.exhausted
        self.early_killing = (
            EarlyKilling(
                hpo.metric_to_optimize,
                hpo.minimize,
                float(hpo.early_killing_params.get("target_rank", 0)),
                float(hpo.early_killing_params.get("how_many_stds", 0)),
            )
            if hpo.kill_bad_jobs_early
            else None
        )
        self._reference: RankReference | None = None
        self._reference_size = -1
        self._stop_requested: set[int] = set()
        self._session = {"succeeded": 0, "failed": 0}

    # -- bookkeeping -------------------------------------------------------------------------
    def _save(self) -> None:
        self.state.optimizer = self.optimizer.to_state()
        save_driver_state(self.layout, self.state)

    def _log(self, message: str, level: str = "INFO") -> None:
        job_state.log_line(self.layout, message, level)

    def _best(self) -> tuple[float, int] | None:
        results = [
            (r.value, r.id)
            for r in self.state.jobs.values()
            if r.status == job_state.SUCCEEDED and r.value is not None
        ]
        if not results:
            return None
        return min(results) if self.hpo.minimize else max(results, key=lambda x: (x[0], -x[1]))

    # -- starting and finishing jobs ----------------------------------------------------------
    def resume_in_flight(self) -> None:
        """Jobs of a previous run without a recorded outcome: take finished ones, restart others."""
        in_flight = self.state.in_flight_ids()
        if not in_flight:
            return
        self._record_finished(in_flight, restart_unfinished=False)
        restart = self.state.in_flight_ids()
        if restart:
            self.progress.message(
                f"cluster_utils: continuing the optimization; restarting {len(restart)} "
                "interrupted job(s)"
            )
            self._log(f"Resuming: restarting interrupted jobs {restart}.")
            self.executor.submit(restart)

    def _record_finished(self, job_ids: Sequence[int], *, restart_unfinished: bool = True) -> None:
        tells = []
        restart = []
        for job_id in job_ids:
            record = self.state.jobs[job_id]
            if self.early_killing is not None:
                record_early_value(self.layout, record, self.hpo.metric_to_optimize)
            last_early = record.early_values[-1] if record.early_values else None
            outcome = read_outcome(self.layout, job_id, self.hpo.metric_to_optimize, last_early)
            if not outcome.finished:
                if not restart_unfinished:
                    continue
                record.restarts_without_outcome += 1
                if record.restarts_without_outcome <= MAX_RESTARTS_WITHOUT_OUTCOME:
                    restart.append(job_id)
                    continue
                outcome_status, reason = (
                    job_state.FAILED,
                    (
                        f"its runner ended {record.restarts_without_outcome} times without an "
                        f"outcome (status {outcome.status}); see {self.layout.job_dir(job_id)}"
                    ),
                )
                record.status, record.value, record.reason = outcome_status, None, reason
            else:
                record.status = outcome.status
                record.value = outcome.value
                record.metrics = outcome.metrics
                record.reason = outcome.reason
                if outcome.status == job_state.STOPPED_EARLY and outcome.value is None:
                    record.status = job_state.FAILED
                    record.reason = "stopped early without an early result"
            record.finished_at = time.time()
            if record.status == job_state.FAILED:
                self._session["failed"] += 1
                self.progress.job_failed(
                    job_id,
                    record.reason or "unknown",
                    outcome.stderr_tail,
                    str(self.layout.stderr_file(job_id)),
                )
            else:
                self._session["succeeded"] += 1
            tells.append((setting_from_json(record.setting), record.value))
        if tells:
            self.optimizer.tell(tells)
        self._save()
        if restart:
            self.executor.submit(restart)

    def _refill(self) -> None:
        if self.state.aborted or self.exhausted:
            return
        k = self.hpo.n_completed_jobs_before_resubmit
        completed = self.state.n_completed
        allowed = min(
            self.hpo.number_of_samples, self.hpo.n_jobs_per_iteration + (completed // k) * k
        )
        missing = allowed - self.state.n_submitted
        if missing <= 0:
            return
        settings = self.optimizer.ask(missing)
        if len(settings) < missing:
            self.exhausted = True
        if not settings:
            return
        iteration = completed // self.hpo.n_jobs_per_iteration + 1
        ids = create_jobs(self.layout, self.hpo.fixed_params, settings)
        for job_id, setting in zip(ids, settings, strict=True):
            self.state.jobs[job_id] = JobRecord(job_id, setting_to_json(setting), iteration)
        self._save()  # the ask moved the optimizer on: save it with the new records
        self.executor.submit(ids)

    # -- early killing ---------------------------------------------------------------------------
    def _check_early_killing(self) -> None:
        assert self.early_killing is not None
        running = [
            self.state.jobs[job_id]
            for job_id in self.executor.running_ids()
            if job_id not in self._stop_requested
        ]
        changed = [
            r for r in running if record_early_value(self.layout, r, self.hpo.metric_to_optimize)
        ]
        if not changed:
            return
        finished = self.state.finished_records()
        if len(finished) != self._reference_size:
            self._reference = self.early_killing.reference(finished)
            self._reference_size = len(finished)
        for job_id in self.early_killing.bad_jobs(self._reference, changed):
            record = self.state.jobs[job_id]
            self.executor.stop(job_id)
            self._stop_requested.add(job_id)
            message = (
                f"Job {job_id} looks bad ({self.hpo.metric_to_optimize}="
                f"{record.early_values[-1]:.6g} after {len(record.early_values)} early "
                "result(s)); stopping it early (kill_bad_jobs_early)."
            )
            self._log(message)
            self.progress.message(f"cluster_utils: {message}")
        self._save()

    # -- iterations, abort, end --------------------------------------------------------------
    def _refresh_results(self) -> None:
        self.tables.write_all(self.state, self.optimized_names)
        finished_ok = [
            r.id
            for r in self.state.finished_records()
            if r.status in (job_state.SUCCEEDED, job_state.STOPPED_EARLY)
        ]
        keep = self.hpo.num_best_jobs_whose_data_is_kept
        if keep > 0:
            best = [row["_id"] for row in self.tables.result_rows(self.state)[:keep]]
            update_best_jobs(self.layout, best)
        if self.hpo.remove_working_dirs:
            remove_working_dirs(self.layout, finished_ok)

    def _process_iterations(self) -> None:
        iterations = self.state.n_completed // self.hpo.n_jobs_per_iteration
        if iterations <= self.state.iterations_done:
            return
        self.state.iterations_done = iterations
        self._refresh_results()
        self._save()
        self._log(f"starting new iteration: {iterations}")
        if self.hpo.generate_report == GENERATE_EVERY_ITERATION:
            self.reports.request(self.state.n_completed)

    def _abort_reason(self) -> str | None:
        """3.0's rule, on this command's jobs (the runners' own rule is off for hpo)."""
        failed, ok = self._session["failed"], self._session["succeeded"]
        running = len(self.state.in_flight_ids())
        if failed > ok + running + ABORT_MARGIN:
            return (
                f"Too many ({failed}) jobs failed (successful: {ok}, running: {running}); no "
                "further jobs are started. Fix the problem and run the same command again to "
                "continue the optimization."
            )
        return None

    def _done(self) -> bool:
        if self.state.n_completed >= self.hpo.number_of_samples:
            return True
        return self.exhausted and not self.state.in_flight_ids()

    def _update_progress(self, force: bool = False) -> None:
        self.progress.update(
            succeeded=self.state.count(job_state.SUCCEEDED),
            failed=self.state.count(job_state.FAILED),
            stopped_early=self.state.count(job_state.STOPPED_EARLY),
            running=len(self.executor.running_ids()),
            best=self._best(),
            force=force,
        )

    def run(self) -> int:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            self.resume_in_flight()
            while True:
                finished = self.executor.poll()
                if finished:
                    self._record_finished(finished)
                if self.early_killing is not None:
                    self._check_early_killing()
                abort = self._abort_reason()
                if abort:
                    return self._abort(abort)
                self._refill()
                self._process_iterations()
                self.reports.poll()
                self._update_progress()
                if self._done():
                    break
                time.sleep(self.executor.poll_interval)
        except KeyboardInterrupt:
            self.executor.shutdown()
            self.reports.stop()
            self._record_finished(self.state.in_flight_ids(), restart_unfinished=False)
            self._refresh_results()
            self.progress.close()
            self.progress.message(
                "cluster_utils: interrupted; run the same command to continue the optimization"
            )
            return self._exit_code(interrupted=True)
        return self._finish()

    def _final_report_version(self) -> int | None:
        if self.hpo.generate_report == GENERATE_NEVER:
            return None
        return self.state.n_completed

    def _abort(self, reason: str) -> int:
        self.state.aborted = reason
        self.executor.shutdown()
        self._record_finished(self.state.in_flight_ids(), restart_unfinished=False)
        self._refresh_results()
        self._log(reason, "ERROR")
        self.reports.finish(self._final_report_version())
        self.progress.close()
        self._print_summary(aborted=reason)
        return self._exit_code(aborted=True)

    def _finish(self) -> int:
        self.executor.shutdown()
        self._refresh_results()
        self._save()
        self._update_progress(force=True)
        self.progress.close()
        if self._final_report_version() is not None:
            self.progress.message("cluster_utils: drawing the report ...")
        self.reports.finish(self._final_report_version())
        self._log("Procedure successfully finished")
        self._print_summary(aborted=None)
        return self._exit_code()

    def _print_summary(self, *, aborted: str | None) -> None:
        summary = format_final_summary(
            self.layout,
            self.state,
            self.hpo,
            self.tables,
            self.optimized_names,
            aborted=aborted,
            config_warnings=self.config_warnings,
        )
        print(summary, file=sys.stderr, flush=True)

    def _exit_code(self, *, aborted: bool = False, interrupted: bool = False) -> int:
        return run_exit_code(
            aborted=aborted,
            interrupted=interrupted,
            failed_jobs=self.state.count(job_state.FAILED),
            succeeded_jobs=self.state.count(job_state.SUCCEEDED)
            + self.state.count(job_state.STOPPED_EARLY),
            strict=self.strict,
        )
