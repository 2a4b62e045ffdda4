"""An experiment directory edited by hand heals on the next run (docs/results_layout.md, "What
you may delete or edit"): nothing finished runs twice, nothing deleted is lost for good, and no
new setting inherits another setting's id or results."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.helpers import COUNTING_SCRIPT, Experiment

pytestmark = pytest.mark.slow


def _first_run(experiment: Experiment, values: list[int]) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": values}])
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.run_counts() == {str(v): 1 for v in values}


def test_deleted_metrics_csv_runs_that_job_again(experiment: Experiment) -> None:
    _first_run(experiment, [1, 2, 3])
    (experiment.results / "working_directories" / "1" / "metrics.csv").unlink()
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert "job 1: its results were deleted" in result.stderr
    assert experiment.run_counts() == {"1": 1, "2": 2, "3": 1}
    assert sorted(experiment.all_data()["y"]) == [2, 4, 6]
    assert experiment.run().returncode == 0
    assert experiment.run_counts() == {"1": 1, "2": 2, "3": 1}


def test_deleted_job_directory_runs_that_job_again(experiment: Experiment) -> None:
    _first_run(experiment, [1, 2])
    shutil.rmtree(experiment.results / "jobs" / "0")
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.run_counts() == {"1": 2, "2": 1}
    assert experiment.state(0)["status"] == "succeeded"
    assert sorted(experiment.all_data()["x"]) == [1, 2]


def test_lost_id_registry_never_gives_a_new_setting_an_old_id(experiment: Experiment) -> None:
    _first_run(experiment, [1])
    (experiment.results / ".cluster_utils" / "job_ids.json").unlink()
    experiment.write_config([{"param": "x", "values": [1, 100]}])
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.run_counts() == {"1": 1, "100": 1}
    data = experiment.all_data().set_index("x")
    assert data.loc[1, "_id"] == 0 and data.loc[100, "_id"] == 1
    assert data.loc[100, "y"] == 200 and data.loc[1, "y"] == 2


@pytest.mark.parametrize("content", ["", '{"id": 0, "status": "succ'])
def test_truncated_state_json_means_run_it_again(experiment: Experiment, content: str) -> None:
    _first_run(experiment, [1, 2])
    (experiment.results / "jobs" / "1" / "state.json").write_text(content)
    status = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "status", str(experiment.results)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert "Traceback" not in status.stderr
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert "job 1: its state.json could not be read" in result.stderr
    assert experiment.run_counts() == {"1": 1, "2": 2}
    assert (
        json.loads((experiment.results / "jobs" / "1" / "state.json").read_text())["status"]
        == "succeeded"
    )


def test_deleted_tables_and_report_are_written_again(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2]}], generate_report="when_finished")
    assert experiment.run().returncode == 0
    for name in ("all_data.csv", "jobs.csv", "failures.csv", "exp_report.pdf"):
        (experiment.results / name).unlink()
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.run_counts() == {"1": 1, "2": 1}
    for name in ("all_data.csv", "jobs.csv", "failures.csv", "exp_report.pdf"):
        assert (experiment.results / name).is_file(), name


def test_added_values_run_only_the_new_settings(experiment: Experiment) -> None:
    _first_run(experiment, [1, 2])
    experiment.write_config([{"param": "x", "values": [1, 2, 3]}])
    assert experiment.run().returncode == 0
    assert experiment.run_counts() == {"1": 1, "2": 1, "3": 1}
    data = experiment.all_data().set_index("x")
    assert [data.loc[x, "_id"] for x in (1, 2, 3)] == [0, 1, 2]
