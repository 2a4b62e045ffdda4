"""What a rerun takes over from the PBS jobs of an earlier run (no PBS daemons: the record of the
arrays and what a subjob's state means)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snakemake_executor_plugin_cluster_utils_pbs import _adopt, _status

OLD, NEW = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def _record(path: Path, array: str, run: str, tasks: list[str | None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps({"array_job_id": array, "run": run, "tasks": tasks}) + "\n")


def test_latest_subjob_of_each_job_from_the_arrays_file(tmp_path: Path) -> None:
    arrays = tmp_path / ".cluster_utils" / "pbs_arrays.jsonl"
    _record(arrays, "10[].srv", OLD, ["0", "1", "2"])
    _record(arrays, "12.srv", OLD, ["1"])  # job 1 went out again as a plain job (a resume)
    _record(arrays, "15[].srv", NEW, ["2", None])  # this run's own: not an earlier subjob
    with open(arrays, "a") as f:
        f.write('{"array_job_id": "16[].srv", "ru')  # cut short by a kill -9
    latest = _adopt.latest_tasks(tmp_path, NEW)
    assert {job: (t.task, t.run) for job, t in latest.items()} == {
        "0": ("10[0].srv", OLD),
        "1": ("12.srv", OLD),
    }
    assert _adopt.latest_tasks(tmp_path / "none", NEW) == {}


@pytest.mark.parametrize(
    ("state", "still_in_scheduler"),
    [("Q", True), ("R", True), ("H", True), ("E", True), ("F", False), ("X", False)],
)
def test_what_an_earlier_subjob_means(state: str, still_in_scheduler: bool) -> None:
    task = _adopt.EarlierTask("0", "10[0].srv", OLD, _status.JobStatus("10[0].srv", state))
    assert task.still_in_scheduler is still_in_scheduler
    assert not _adopt.EarlierTask("0", "10[0].srv", OLD).still_in_scheduler  # unknown to qstat
