"""The scheduler-independent part of adopting earlier runs' jobs (cluster_utils.scheduler.adoption),
on a real experiment directory and real Snakemake jobs' attributes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.scheduler import adoption


def _snakemake_job(experiment: Path, job_id: str, rule: str = "run_job") -> SimpleNamespace:
    done = ExperimentLayout.at(experiment).done_marker(int(job_id)) if job_id.isdigit() else None
    output = [str(done or experiment / "jobs" / job_id / "done")]
    return SimpleNamespace(
        name=rule, wildcards={"job_id": job_id}, output=output, is_group=lambda: False
    )


def test_a_runner_job_is_found_by_its_rule_and_done_marker(tmp_path: Path) -> None:
    (tmp_path / ".cluster_utils").mkdir()
    assert adoption.runner_job(_snakemake_job(tmp_path, "7")) == (tmp_path, 7)
    assert adoption.runner_job(_snakemake_job(tmp_path, "7", rule="collect_results")) is None
    assert adoption.runner_job(_snakemake_job(tmp_path, "chunk-1")) is None
    assert adoption.runner_job(SimpleNamespace(name="run_job")) is None  # no wildcards
    assert adoption.runner_job(_snakemake_job(tmp_path / "not-an-experiment", "7")) is None


def test_the_done_marker_comes_back(tmp_path: Path) -> None:
    job = _snakemake_job(tmp_path, "3")
    adoption.restore_done_marker(job)
    assert Path(job.output[0]).is_file()


def test_finished_ids_are_no_scheduler_ids() -> None:
    assert adoption.is_finished_id(adoption.finished_id(5))
    assert not adoption.is_finished_id(5) and not adoption.is_finished_id("5")
    assert not adoption.is_finished_id("12_3") and not adoption.is_finished_id("4711.0")


def test_the_end_of_run_line_names_the_scheduler() -> None:
    counts = adoption.AdoptionCounts()
    assert counts.summary("Slurm") is None
    counts.adopted, counts.already_finished = 2, 1
    line = counts.summary("the pool")
    assert line is not None and "2 adopted (still in the pool), 1 already finished" in line
