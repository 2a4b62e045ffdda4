"""Grid search end to end on the local profile: results, failures, resume, reruns."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.helpers import COUNTING_SCRIPT, Experiment

pytestmark = pytest.mark.slow


def test_every_job_gives_one_row_and_ids_are_stable(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2, 3]}], restarts=2)
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    data = experiment.all_data()
    assert len(data) == 6
    assert sorted(data["y"]) == [2, 2, 4, 4, 6, 6]
    assert sorted(data["_id"]) == list(range(6))
    for job_id in range(6):
        workdir = experiment.results / "working_directories" / str(job_id)
        assert (workdir / "settings.json").is_file()
        assert (workdir / "param_choice.csv").is_file()
        assert (workdir / "metrics.csv").is_file()
    assert "Job with id 0 submitted." in (experiment.results / "cluster_run.log").read_text()


def test_failed_job_is_reported_and_rerun_runs_only_it(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1, 2, 3]}], fixed_params={"mode": "fail", "failing": [2]}
    )
    result = experiment.run()
    assert result.returncode == 0  # 3.0: completed, although a job failed
    assert "failed: exited with code 1" in result.stderr
    assert "something went wrong in the job" in result.stderr
    assert len(experiment.all_data()) == 2
    failures = (experiment.results / "failures.csv").read_text()
    assert "exited with code 1" in failures and "something went wrong" in failures

    # fix the job script, run the same command: only the failed job runs again
    experiment.write_script(COUNTING_SCRIPT.replace('mode == "fail"', 'mode == "never"'))
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.run_counts() == {"1": 1, "2": 2, "3": 1}
    assert len(experiment.all_data()) == 3


def test_grid_edit_runs_only_new_settings(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2]}])
    assert experiment.run().returncode == 0
    ids_before = dict(zip(experiment.all_data()["x"], experiment.all_data()["_id"], strict=True))
    experiment.write_config([{"param": "x", "values": [0, 1, 2, 5]}])
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.run_counts() == {"0": 1, "1": 1, "2": 1, "5": 1}
    data = experiment.all_data()
    ids_after = dict(zip(data["x"], data["_id"], strict=True))
    assert ids_after[1] == ids_before[1] and ids_after[2] == ids_before[2]
    assert {ids_after[0], ids_after[5]} == {2, 3}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("import sys\nsys.exit(2)\n", "exited with code 2"),
        (
            "import os, signal\nfrom cluster_utils import initialize_job\n"
            "initialize_job()\nos.kill(os.getpid(), signal.SIGKILL)\n",
            "killed by signal SIGKILL",
        ),
        (
            "from cluster_utils import initialize_job\ninitialize_job()\n",
            "exited with code 0 but wrote no metrics.csv",
        ),
    ],
    ids=["exit-2-before-initialize", "killed-by-signal", "no-metrics"],
)
def test_failures_are_reported_not_hung(experiment: Experiment, body: str, reason: str) -> None:
    experiment.write_script(body)
    experiment.write_config([{"param": "x", "values": [1]}])
    result = experiment.run(timeout=60)
    assert result.returncode == 1  # as 3.0: no job succeeded
    assert reason in result.stderr
    assert experiment.state(0)["status"] == "failed"
    assert reason in experiment.state(0)["reason"]


def test_exit_for_resume_twice_then_success(experiment: Experiment) -> None:
    experiment.write_script(
        """
        import os
        from cluster_utils import initialize_job, finalize_job, exit_for_resume
        params = initialize_job()
        counter = os.path.join(params.working_dir, "starts")
        starts = int(open(counter).read()) + 1 if os.path.exists(counter) else 1
        open(counter, "w").write(str(starts))
        if starts < 3:
            exit_for_resume()
        finalize_job({"starts": starts}, params)
        """
    )
    experiment.write_config([{"param": "x", "values": [1]}])
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.all_data()["starts"].tolist() == [3]
    state = experiment.state(0)
    assert state["status"] == "succeeded" and state["resumes"] == 2
    assert [a["resumed"] for a in state["attempts"]] == [True, True, False]
    log = (experiment.results / "cluster_run.log").read_text()
    assert log.count("exited to be resumed.") == 2
    assert "failed" not in log.lower()


def test_value_with_shell_metacharacters_reaches_the_job_intact(experiment: Experiment) -> None:
    nasty = 'it\'s "quoted" $HOME `date`; rm -rf / \n newline ünïcödé ✓ ~'
    experiment.write_script(
        """
        import json
        from cluster_utils import initialize_job, finalize_job
        params = initialize_job()
        with open(params.working_dir + "/seen.json", "w") as f:
            json.dump(params.text, f)
        finalize_job({"ok": 1}, params)
        """
    )
    experiment.write_config([{"param": "text", "values": ["plain"]}], fixed_params={})
    # put the value in via the config file directly (YAML handles any string)
    import yaml

    config = yaml.safe_load(experiment.config_file.read_text())
    config["hyperparam_list"][0]["values"] = [nasty]
    experiment.config_file.write_text(yaml.safe_dump(config))
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    import json

    seen = json.loads((experiment.results / "working_directories/0/seen.json").read_text())
    assert seen == nasty


def test_kill_9_of_driver_then_rerun_continues(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": list(range(6))}], fixed_params={"sleep": 1})
    driver = experiment.start("--cores", "2")
    deadline = time.time() + 60
    while time.time() < deadline and len(experiment.run_counts()) < 3:
        time.sleep(0.1)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    result = experiment.run("--cores", "2")
    assert result.returncode == 0, result.stderr
    assert len(experiment.all_data()) == 6
    # a job that had finished before the kill never ran again
    counts = experiment.run_counts()
    assert set(counts) == {str(x) for x in range(6)}
    finished_first = [s for s in counts if counts[s] == 1]
    assert len(finished_first) >= 2
    assert max(counts.values()) <= 2


def test_sigint_stops_the_run_within_seconds(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": list(range(4))}], fixed_params={"sleep": 60})
    driver = experiment.start("--cores", "2")
    deadline = time.time() + 60
    while time.time() < deadline and len(experiment.run_counts()) < 2:
        time.sleep(0.1)
    sent = time.time()
    driver.send_signal(signal.SIGINT)
    driver.wait(timeout=30)
    assert time.time() - sent < 10
    assert driver.returncode != 0


def test_abort_rule_stops_starting_jobs(experiment: Experiment) -> None:
    experiment.write_script("import sys\nsys.exit(1)\n")
    experiment.write_config([{"param": "x", "values": list(range(20))}])
    result = experiment.run("--cores", "1")
    assert result.returncode == 1
    assert "Too many (6) jobs failed" in result.stderr
    states = [(experiment.results / "jobs" / str(i) / "state.json").exists() for i in range(20)]
    assert sum(states) == 6  # 3.0 rule: failed > successful + running + 5


def test_report_of_the_successful_jobs_when_some_failed(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1, 2, 3]}],
        fixed_params={"mode": "fail", "failing": [2]},
        generate_report="when_finished",
    )
    result = experiment.run()
    assert result.returncode == 0
    report = experiment.results / "exp_report.pdf"
    assert report.read_bytes().startswith(b"%PDF")
    assert "report (of the jobs that succeeded)" in result.stderr


def test_remove_working_dirs_and_logs_loses_no_result(experiment: Experiment) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1, 2, 3]}],
        fixed_params={"mode": "fail", "failing": [3]},
        remove_working_dirs=True,
        remove_jobs_dir=True,
    )
    assert experiment.run().returncode == 0
    working_dirs = experiment.results / "working_directories"
    assert sorted(p.name for p in working_dirs.iterdir()) == ["2"]  # the failed job's stays
    assert (experiment.results / "jobs" / "2" / "stderr.log").is_file()
    assert not (experiment.results / "jobs" / "0" / "stderr.log").exists()
    # rerun: only the failed job runs, and all_data.csv still has the removed jobs' rows
    experiment.write_script(COUNTING_SCRIPT.replace('mode == "fail"', 'mode == "never"'))
    assert experiment.run().returncode == 0
    assert experiment.run_counts() == {"1": 1, "2": 1, "3": 2}
    assert sorted(experiment.all_data()["y"]) == [2, 4, 6]
