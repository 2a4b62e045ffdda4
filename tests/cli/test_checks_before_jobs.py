"""What can be checked before any job runs is checked then: a job script that does not exist
(a typo in script_relative_path) is a config error (exit 2) naming the path looked for, in the
directory the command was started from, or right after the git clone when the code comes from
one. And a run without any result never leaves a report of 0 jobs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import COUNTING_SCRIPT, Experiment, write_config


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize("dry_run", [False, True])
def test_missing_script_is_a_config_error(experiment: Experiment, dry_run: bool) -> None:
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2, 3]}], script="jbo.py")
    result = experiment.run(*(["--dry-run"] if dry_run else []))
    line = _one_error_line(result)
    assert "script_relative_path: 'jbo.py' not found" in line
    assert str(experiment.workdir / "jbo.py") in line
    assert "the directory the command was started from" in line
    assert not (experiment.workdir / "results").exists()
    assert experiment.run_counts() == {}


def test_missing_script_of_an_optimization(tmp_path: Path) -> None:
    config = write_config(tmp_path / "hpo.yaml", "opt", hpo=True, script="sub/job.py")
    result = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "optimize", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    line = _one_error_line(result)
    assert f"there is no file {tmp_path / 'sub' / 'job.py'}" in line
    assert not (tmp_path / "results").exists()


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


@pytest.mark.slow
def test_missing_script_in_the_git_clone(tmp_path: Path) -> None:
    """run_in_working_dir false: the script is looked for in the clone, before any job."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "job.py").write_text(COUNTING_SCRIPT)
    _git(repo, "init", "-q")
    _git(repo, "add", "job.py")
    _git(repo, "commit", "-q", "-m", "job")
    commit = _git(repo, "rev-parse", "HEAD")
    experiment = Experiment(tmp_path / "run")
    experiment.workdir.mkdir()
    experiment.write_config(
        [{"param": "x", "values": [1, 2]}],
        script="jbo.py",
        run_in_working_dir=False,
        git_params={"url": str(repo)},
    )
    line = _one_error_line(experiment.run())
    assert "script_relative_path: 'jbo.py' not found" in line
    assert f"the git clone of commit {commit[:7]}" in line
    assert experiment.run_counts() == {}
    assert not list(experiment.results.glob("jobs/*/state.json"))
    assert not list(experiment.results.glob("*.pdf"))

    # the script's real name runs
    experiment.write_config(
        [{"param": "x", "values": [1, 2]}],
        run_in_working_dir=False,
        git_params={"url": str(repo)},
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert len(experiment.all_data()) == 2


@pytest.mark.slow
def test_no_report_of_no_results(experiment: Experiment) -> None:
    """Every job of the plan fails: there is nothing to report, and the report of an earlier
    plan (other jobs) does not stay behind as if it were this run's."""
    experiment.write_script(COUNTING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1, 2]}], generate_report="when_finished")
    assert experiment.run().returncode == 0
    report = experiment.results / "exp_report.pdf"
    assert report.is_file()

    failing = experiment.run('fixed_params={"mode": "fail", "failing": [1, 2]}')
    assert "2 failed" in failing.stderr
    assert "no job succeeded: nothing to report" in failing.stderr
    assert f"removed the earlier report {report}" in failing.stderr
    assert "drawing the report" not in failing.stderr
    assert not report.exists()

    status = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "report", str(experiment.results)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert status.returncode == 1
    assert "nothing to report" in status.stderr
    assert not report.exists()
