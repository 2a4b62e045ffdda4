"""The arrays record every array plugin writes and reads back, the array split, the job script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cluster_utils.scheduler import arrays

RECORD = "test_arrays.jsonl"


def _argv(experiment: Path, job: str) -> list[str]:
    return [sys.executable, "-m", arrays.RUNNER_MODULE, str(experiment), job]


def test_a_record_read_back_names_each_jobs_latest_task_of_other_runs(tmp_path: Path) -> None:
    exp, other = tmp_path / "exp", tmp_path / "other"
    arrays.record_array(RECORD, "10", "old", [_argv(exp, "0"), _argv(other, "5"), _argv(exp, "1")])
    arrays.record_array(RECORD, "11", "old", [None, _argv(exp, "1")])
    arrays.record_array(RECORD, "12", "new", [_argv(exp, "2")])
    with open(exp / ".cluster_utils" / RECORD, "a") as f:
        f.write('{"array_job_id": "13", "ru')  # cut short by a killed driver
    latest = arrays.latest_tasks(exp, RECORD, current_run="new")
    found = {job: (t.array_id, t.index, t.run) for job, t in latest.items()}
    # task indices are the array's: the other experiment's task and the non-runner one count
    assert found == {"0": ("10", 0, "old"), "1": ("11", 1, "old")}
    assert set(arrays.latest_tasks(other, RECORD, current_run="new")) == {"5"}
    assert arrays.latest_tasks(tmp_path / "none", RECORD, "new") == {}


@pytest.mark.parametrize(
    ("n", "limit", "sizes"), [(0, 5, []), (5, 5, [5]), (6, 5, [3, 3]), (1001, 1000, [501, 500])]
)
def test_arrays_are_split_evenly_in_order(n: int, limit: int, sizes: list[int]) -> None:
    parts = arrays.split(list(range(n)), limit)
    assert [len(p) for p in parts] == sizes
    assert [x for p in parts for x in p] == list(range(n))


def test_the_array_script_runs_the_command_of_its_index(tmp_path: Path) -> None:
    script = tmp_path / "job.sh"
    script.write_text(
        arrays.array_script(["echo zero", "echo one"], "IDX", "index", "a\ncomment", ["cd /"])
    )

    def run(index: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", str(script)], env={"IDX": index}, capture_output=True, text=True, check=False
        )

    assert run("1").stdout == "one\n" and run("0").stdout == "zero\n"
    unknown = run("7")
    assert unknown.returncode == 2 and "no job for array index 7" in unknown.stderr
    single = arrays.array_script(["echo only"], "IDX", "index", plain_single=True)
    assert single == "#!/bin/sh\necho only\n"


class _Job:
    """What runner_call reads of a Snakemake job (JobExecutorInterface's attributes)."""

    def __init__(self, shellcmd: str, group: bool = False, **needs: str) -> None:
        self.shellcmd, self._group, self.is_shell = shellcmd, group, True
        self.conda_env_spec = needs.get("conda_env_spec")
        self.container_img_url = needs.get("container_img_url")
        self.env_modules = needs.get("env_modules")

    def is_group(self) -> bool:
        return self._group


def test_a_runner_call_goes_straight_to_the_runner_unless_it_needs_snakemake() -> None:
    command = f"{sys.executable} -m cluster_utils.runner /exp 17"
    assert arrays.runner_call(_Job(command)) == [
        sys.executable,
        "-m",
        arrays.RUNNER_MODULE,
        "/exp",
        "17",
    ]
    assert arrays.runner_call(_Job(command, group=True)) is None
    for need in ("conda_env_spec", "container_img_url", "env_modules"):
        assert arrays.runner_call(_Job(command, **{need: "x"})) is None
    assert arrays.runner_call(_Job(f"{command} && touch x")) is None
