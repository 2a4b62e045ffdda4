"""3.0's examples (basic with its pre_job_script.sh, checkpointing) run unchanged.

Both go through 3.0's entry point ``python -m cluster_utils.grid_search <config>``, with only the
command-line overrides 3.0's own scripts use (results_dir, no_user_interaction). The basic example
does not run in the working directory: like a 3.0 user's project, the tree is a git repository
with an origin, which the run clones (branch master, as the config says).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cluster_utils.experiment.layout import ExperimentLayout
from tests.upstream_3_0.upstream30 import checkout, describe, local_env, read_table, run_entry

pytestmark = pytest.mark.slow

PRE_JOB_SCRIPT_OUTPUT = "Executed pre job script"  # what examples/basic/pre_job_script.sh echoes


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_git_project(root: Path, origin: Path) -> None:
    """Commit the tree on branch master and give it ``origin`` (a bare clone) as remote."""
    _git("init", "-q", "-b", "master", cwd=root)
    _git("add", "-A", cwd=root)
    author = ["-c", "user.name=test", "-c", "user.email=test@example.org"]
    _git(*author, "commit", "-q", "-m", "cluster_utils 3.0.0 examples", cwd=root)
    _git("clone", "-q", "--bare", str(root), str(origin), cwd=root.parent)
    _git("remote", "add", "origin", str(origin), cwd=root)


def test_basic_grid_search_example(tmp_path: Path) -> None:
    """examples/basic/grid_search.json: 50 samples of main.py, about 15% of which fail on purpose.

    3.0 exits 0 when some jobs fail and at least one succeeds.
    """
    root = checkout(tmp_path)
    make_git_project(root, tmp_path / "origin.git")
    results = tmp_path / "results"
    result = run_entry(
        "grid_search",
        "examples/basic/grid_search.json",
        root,
        local_env(tmp_path),
        f"results_dir={str(results)!r}",
        "no_user_interaction=True",
        # the jobs mostly sleep (randint(0, 10) s): ten at a time keep the test short
        "--cores",
        "10",
    )
    assert result.returncode == 0, describe(result)
    layout = ExperimentLayout.at(results / "gs_test")
    data = read_table(layout.all_data_csv)
    assert 0 < len(data) <= 50
    assert data["_id"].is_unique
    for job_id in data["_id"]:
        stdout = layout.stdout_file(job_id).read_text()
        assert PRE_JOB_SCRIPT_OUTPUT in stdout, f"job {job_id}: {stdout[-2000:]}"


def test_checkpointing_example(tmp_path: Path) -> None:
    """examples/checkpointing: the job exits for resume at iteration 100, resumes, ends at 200."""
    pytest.importorskip("torch")
    root = checkout(tmp_path)
    results = tmp_path / "results"
    result = run_entry(
        "grid_search",
        "examples/checkpointing/grid_search_checkpointing.json",
        root,
        local_env(tmp_path),
        f"results_dir={str(results)!r}",
        "no_user_interaction=True",
    )
    assert result.returncode == 0, describe(result)
    data = read_table(results / "grid_search_checkpointing" / "all_data.csv")
    assert list(data["iterations"]) == [200]
    assert list(data["total_iterations"]) == [200]
    (working_dir,) = data["working_dir"]
    # the script writes log_<iteration it started from>.txt: one per attempt
    assert sorted(p.name for p in Path(working_dir).glob("log_*.txt")) == [
        "log_0.txt",
        "log_100.txt",
    ]
    assert (Path(working_dir) / "checkpoint.pt").is_file()
