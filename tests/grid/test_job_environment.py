"""environment_setup, git_params, singularity and load_existing_results, run for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest

from cluster_utils.experiment.job_state import JobState
from cluster_utils.experiment.launch_spec import build_launch_spec
from cluster_utils.runner.process import job_argv
from tests.helpers import REPO_ROOT, Experiment

ENV_SCRIPT = """
import json, os, sys
from cluster_utils import initialize_job, finalize_job
params = initialize_job()
with open(os.path.join(params.working_dir, "env.json"), "w") as f:
    json.dump({"var": os.environ.get("MY_VAR"), "executable": sys.executable,
               "virtual_env": os.environ.get("VIRTUAL_ENV"), "cwd": os.getcwd(),
               "pre": os.path.exists("pre_ran")}, f)
finalize_job({"y": 1}, params)
"""


def _job_env(experiment: Experiment, job_id: int = 0) -> dict:
    path = experiment.results / "working_directories" / str(job_id) / "env.json"
    return json.loads(path.read_text())


@pytest.mark.slow
def test_variables_pre_job_script_and_absolute_interpreter(experiment: Experiment) -> None:
    experiment.write_script(ENV_SCRIPT)
    pre = experiment.workdir / "pre.sh"
    pre.write_text('#!/bin/sh\necho "pre job script sees $MY_VAR"\ntouch pre_ran\n')
    pre.chmod(0o755)
    experiment.write_config(
        [{"param": "x", "values": [1]}],
        environment_setup={"pre_job_script": "pre.sh", "variables": {"MY_VAR": "hello $x"}},
        remove_jobs_dir=False,  # keep the successful job's stdout.log to look at
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    env = _job_env(experiment)
    assert env["var"] == "hello $x"
    assert env["pre"] is True
    assert Path(env["executable"]).is_absolute()
    assert env["cwd"] == str(experiment.workdir)
    stdout = (experiment.results / "jobs" / "0" / "stdout.log").read_text()
    assert "pre job script sees hello $x" in stdout


#: cluster_utils 3.0's own examples/basic/pre_job_script.sh, unchanged: it has no ``#!`` line
PRE_JOB_SCRIPT_3_0 = REPO_ROOT / "tests/upstream_3_0/sdist/examples/basic/pre_job_script.sh"


@pytest.mark.slow
def test_pre_job_script_without_shebang_runs_through_bash(experiment: Experiment) -> None:
    assert not PRE_JOB_SCRIPT_3_0.read_text().startswith("#!")
    experiment.write_script(ENV_SCRIPT)
    pre = experiment.workdir / "examples" / "basic" / "pre_job_script.sh"
    pre.parent.mkdir(parents=True)
    shutil.copy2(PRE_JOB_SCRIPT_3_0, pre)
    experiment.write_config(
        [{"param": "x", "values": [1]}],
        environment_setup={"pre_job_script": "examples/basic/pre_job_script.sh"},
        remove_jobs_dir=False,
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.state(0)["status"] == "succeeded"
    assert experiment.state(0)["warnings"] == []
    stdout = (experiment.results / "jobs" / "0" / "stdout.log").read_text()
    assert "Executed pre job script" in stdout


@pytest.mark.slow
def test_failing_pre_job_script_is_a_warning(experiment: Experiment) -> None:
    experiment.write_script(ENV_SCRIPT)
    pre = experiment.workdir / "pre.sh"
    pre.write_text("echo broken >&2\nexit 4\n")  # no #! line either
    pre.chmod(0o755)
    experiment.write_config(
        [{"param": "x", "values": [1]}],
        environment_setup={"pre_job_script": "pre.sh"},
        remove_jobs_dir=False,
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert _job_env(experiment)["var"] is None  # the job itself ran
    state = experiment.state(0)
    assert state["status"] == "succeeded"
    assert len(state["warnings"]) == 1
    assert state["warnings"][0].startswith("pre_job_script exited with code 4")
    stderr = (experiment.results / "jobs" / "0" / "stderr.log").read_text()
    assert "broken" in stderr
    assert "WARNING: pre_job_script exited with code 4" in stderr
    status = subprocess.run(
        [sys.executable, "-m", "cluster_utils.cli.main", "status", str(experiment.results)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "warning job 0: pre_job_script exited with code 4" in status.stdout


def test_job_state_of_an_older_version_still_loads() -> None:
    old = {"id": 3, "status": "succeeded", "resumes": 1, "attempts": [{"start": 1.0}]}
    state = JobState.from_json(old)
    assert state.warnings == [] and state.attempts[0].start == 1.0
    assert JobState.from_json({**old, "a_key_of_a_newer_version": 1}).id == 3


@pytest.mark.slow
def test_pythonpath_in_variables_reaches_the_interpreter_at_start(experiment: Experiment) -> None:
    """3.0 exported environment_setup.variables before python started: PYTHONPATH must work."""
    libs = experiment.workdir / "job_libs"
    libs.mkdir()
    (libs / "only_this_job_can_import.py").write_text("VALUE = 42\n")
    experiment.write_script(
        """
        from cluster_utils import initialize_job, finalize_job
        import only_this_job_can_import
        params = initialize_job()
        finalize_job({"y": only_this_job_can_import.VALUE}, params)
        """
    )
    pythonpath = os.pathsep.join(filter(None, [str(libs), os.environ.get("PYTHONPATH")]))
    experiment.write_config(
        [{"param": "x", "values": [1]}], environment_setup={"variables": {"PYTHONPATH": pythonpath}}
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.state(0)["status"] == "succeeded", experiment.state(0)["stderr_tail"]
    assert experiment.all_data()["y"].tolist() == [42]

    experiment.name = "without_the_variable"  # the module is not importable otherwise
    experiment.write_config([{"param": "x", "values": [1]}])
    experiment.run()
    assert experiment.state(0)["status"] == "failed"
    assert "only_this_job_can_import" in experiment.state(0)["stderr_tail"]


@pytest.mark.slow
def test_virtual_env_is_used(experiment: Experiment, tmp_path: Path) -> None:
    venv = tmp_path / "jobvenv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # the job environment has cluster_utils (here: this checkout) but nothing else of ours
    (site_packages,) = venv.glob("lib/python*/site-packages")
    (site_packages / "cluster_utils_checkout.pth").write_text(f"{REPO_ROOT}\n")
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pyyaml"], check=True)
    experiment.write_script(ENV_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1]}], environment_setup={"virtual_env_path": str(venv)}
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    env = _job_env(experiment)
    assert env["executable"] == str(venv / "bin" / "python")
    assert env["virtual_env"] == str(venv)


@pytest.mark.slow
def test_run_as_module_and_non_python_script(experiment: Experiment) -> None:
    package = experiment.workdir / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(ENV_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1]}],
        script_relative_path="mypkg/train.py",
        environment_setup={"run_as_module": True},
    )
    assert experiment.run().returncode == 0

    shell_job = experiment.workdir / "job.sh"
    shell_job.write_text(
        "#!/bin/sh\n"
        "wd=$(python3 -c 'import json,sys; "
        'print(json.load(open(sys.argv[1]))["working_dir"])\' "$1")\n'
        'mkdir -p "$wd"\nprintf \'y\\n7\\n\' > "$wd/metrics.csv"\n'
    )
    shell_job.chmod(0o755)
    experiment.name = "shell"
    experiment.write_config(
        [{"param": "x", "values": [1]}],
        script_relative_path="job.sh",
        environment_setup={"is_python_script": False},
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.all_data()["y"].tolist() == [7]


@pytest.mark.slow
def test_git_clone_pins_the_commit_and_runs_the_cloned_script(experiment: Experiment) -> None:
    source = experiment.workdir / "source_repo"
    source.mkdir()
    repo = git.Repo.init(source, initial_branch="main")
    (source / "train.py").write_text(ENV_SCRIPT)
    repo.index.add(["train.py"])
    repo.index.commit("job script", author=git.Actor("t", "t@example.invalid"))
    sha = repo.head.commit.hexsha
    experiment.write_config(
        [{"param": "x", "values": [1, 2]}],
        run_in_working_dir=False,
        git_params={"url": str(source), "branch": "main"},
        script_relative_path="train.py",
    )
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    metadata = json.loads((experiment.results / "metadata.json").read_text())
    assert metadata["git_commit"] == sha
    assert _job_env(experiment)["cwd"].endswith(sha)


def test_unknown_git_branch_is_a_clear_error(experiment: Experiment) -> None:
    source = experiment.workdir / "source_repo"
    source.mkdir()
    repo = git.Repo.init(source, initial_branch="main")
    (source / "train.py").write_text(ENV_SCRIPT)
    repo.index.add(["train.py"])
    repo.index.commit("job script", author=git.Actor("t", "t@example.invalid"))
    experiment.write_config(
        [{"param": "x", "values": [1]}],
        run_in_working_dir=False,
        git_params={"url": str(source), "branch": "master"},
        script_relative_path="train.py",
    )
    result = experiment.run()
    assert result.returncode == 1
    assert "error: cannot clone" in result.stderr and "master" in result.stderr


def test_singularity_command_wraps_the_job(tmp_path: Path) -> None:
    spec = build_launch_spec(
        {
            "script_relative_path": "train.py",
            "environment_setup": {},
            "singularity": {
                "image": "image.sif",
                "executable": "apptainer",
                "use_run": False,
                "args": ["--nv", "--cleanenv"],
            },
        },
        tmp_path,
    )
    argv = job_argv(spec, tmp_path / "params.json")
    assert argv == [
        "apptainer",
        "exec",
        "--nv",
        "--cleanenv",
        str(tmp_path / "image.sif"),
        "python3",
        str(tmp_path / "train.py"),
        str(tmp_path / "params.json"),
    ]
    spec = build_launch_spec(
        {
            "script_relative_path": "t.py",
            "environment_setup": {},
            "singularity": {"image": "/abs/i.sif", "use_run": True},
        },
        tmp_path,
    )
    assert job_argv(spec, Path("p.json"))[:3] == ["singularity", "run", "/abs/i.sif"]


@pytest.mark.slow
def test_load_existing_results_takes_over_foreign_results(experiment: Experiment) -> None:
    experiment.write_script("import sys\nsys.exit('must not run')\n")
    experiment.write_config([{"param": "x", "values": [1, 2]}], load_existing_results=True)
    # results that exist already (e.g. from an earlier tool), without any runner record
    for job_id in (0, 1):
        workdir = experiment.results / "working_directories" / str(job_id)
        workdir.mkdir(parents=True)
        (workdir / "metrics.csv").write_text(f"y\n{job_id + 10}\n")
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert sorted(experiment.all_data()["y"]) == [10, 11]
    assert "loaded existing results of 2 jobs" in result.stderr


@pytest.mark.slow
def test_without_load_existing_results_foreign_results_are_rerun(experiment: Experiment) -> None:
    experiment.write_script(ENV_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}])
    workdir = experiment.results / "working_directories" / "0"
    workdir.mkdir(parents=True)
    (workdir / "metrics.csv").write_text("y\n99\n")
    result = experiment.run()
    assert result.returncode == 0, result.stderr
    assert experiment.all_data()["y"].tolist() == [1]
