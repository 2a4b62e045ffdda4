"""GPUs on a workstation: local jobs with request_gpus get devices of their own.

No GPU is needed: CUDA_VISIBLE_DEVICES=0,1 names two devices (the ids need not be real), and the
jobs record the CUDA_VISIBLE_DEVICES they saw with their start and end times.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from cluster_utils.config.validation import ConfigError
from cluster_utils.execution.local_gpus import local_gpus, visible_gpus
from cluster_utils.execution.snakemake import snakemake_argv
from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.grid.snakemake_glue import rule_resources
from cluster_utils.runner.local_gpus import try_acquire
from tests.helpers import Experiment
from tests.hpo.hpo_helpers import HpoRun, driver_env

RECORDING_SCRIPT = """
import json, os, time
from cluster_utils import initialize_job, finalize_job
params = initialize_job()
start = time.time()
time.sleep(params.get("sleep", 1.0))
record = {"cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "start": start, "end": time.time()}
with open(os.path.join(params.working_dir, "gpus.json"), "w") as f:
    json.dump(record, f)
finalize_job({"y": 1, "loss": params.x}, params)
"""


def _requirements(gpus: int) -> dict[str, Any]:
    return {"cluster_requirements": {"request_gpus": gpus}}


def _no_nvidia_smi_path() -> str:
    """PATH without any directory that holds an nvidia-smi."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if d and not (Path(d) / "nvidia-smi").exists())


def _env(cuda: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env["PATH"] = _no_nvidia_smi_path()
    if cuda is not None:
        env["CUDA_VISIBLE_DEVICES"] = cuda
    return env


def _records(results: Path) -> dict[int, dict[str, Any]]:
    return {
        int(path.parent.name): json.loads(path.read_text())
        for path in (results / "working_directories").glob("*/gpus.json")
    }


def _assert_never_shared(records: dict[int, dict[str, Any]]) -> int:
    """No two jobs running at the same time share a device; returns how many pairs overlapped."""
    overlapping = 0
    for (a, ra), (b, rb) in combinations(records.items(), 2):
        if ra["start"] < rb["end"] and rb["start"] < ra["end"]:
            overlapping += 1
            shared = set(ra["cuda"].split(",")) & set(rb["cuda"].split(","))
            assert not shared, f"jobs {a} and {b} ran at the same time on GPU(s) {shared}"
    return overlapping


def _waited_for_locks(results: Path) -> bool:
    """Whether a runner found too few free devices (Snakemake should have held the job back)."""
    return "free GPU(s)" in (results / ".cluster_utils" / "snakemake.log").read_text()


# -- detection and picking --------------------------------------------------------------------


def test_cuda_visible_devices_names_the_devices() -> None:
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "0,1"}) == ("0", "1")
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": " 2, 5 "}) == ("2", "5")
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == ()
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}) == ()


def test_nvidia_smi_lists_the_devices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CUDA_VISIBLE_DEVICES, `nvidia-smi -L` (this one prints a real listing's format)."""
    smi = tmp_path / "nvidia-smi"
    smi.write_text(
        "#!/bin/sh\n"
        'echo "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-3a1b2c3d-0000-1111-2222-333344445555)"\n'
        'echo "GPU 1: NVIDIA GeForce RTX 3090 (UUID: GPU-4a1b2c3d-0000-1111-2222-333344445555)"\n'
    )
    smi.chmod(smi.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert visible_gpus({}) == ("0", "1")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert visible_gpus({}) == ()


def test_what_a_run_gets() -> None:
    env = {"CUDA_VISIBLE_DEVICES": "0,1"}
    assert not local_gpus({}, environ=env).pinned
    two = local_gpus(_requirements(1), environ=env)
    assert two.pinned and two.snakemake_resources() == {"gpu": 2}
    assert two.environment() == {"CLUSTER_UTILS_LOCAL_GPUS": "0,1"}
    assert two.max_parallel_jobs() == 2
    assert local_gpus(_requirements(1), 1, environ=env).devices == ("0",)  # --gpus 1
    assert local_gpus(_requirements(2), 4, environ=env).devices == ("0", "1", "2", "3")
    with pytest.raises(ConfigError, match="request_gpus is 3 but this machine has 2 GPU"):
        local_gpus(_requirements(3), environ=env)


def test_no_gpu_warns_once_and_pins_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    gpus = local_gpus(_requirements(1), environ={"CUDA_VISIBLE_DEVICES": ""})
    assert not gpus.pinned and gpus.snakemake_resources() == {} and gpus.environment() == {}
    assert capsys.readouterr().err.count("warning") == 1


def test_jobs_hold_devices_of_their_own(tmp_path: Path) -> None:
    devices = ("0", "1", "2")
    first = try_acquire(tmp_path, devices, 2)
    assert first is not None and first.devices == ("0", "1")
    assert try_acquire(tmp_path, devices, 2) is None  # only "2" is free
    second = try_acquire(tmp_path, devices, 1)
    assert second is not None and second.devices == ("2",)
    first.release()
    third = try_acquire(tmp_path, devices, 2)
    assert third is not None and third.devices == ("0", "1")


def test_rules_and_snakemake_count_gpus(tmp_path: Path) -> None:
    assert rule_resources({"request_gpus": 2})["gpu"] == 2
    assert "gpu" not in rule_resources({"request_gpus": 0})
    argv = snakemake_argv(ExperimentLayout.at(tmp_path), tmp_path, resources={"gpu": 2})
    assert argv[argv.index("--resources") + 1] == "gpu=2"


# -- whole runs -------------------------------------------------------------------------------


def _run_grid(experiment: Experiment, gpus: int, cuda: str | None, *extra: str):
    experiment.write_script(RECORDING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": [1, 2, 3, 4]}],
        cluster_requirements={"request_gpus": gpus},
        remove_jobs_dir=False,
    )
    return experiment.run("--cores", "4", *extra, env=_env(cuda))


@pytest.mark.slow
def test_one_gpu_per_job(experiment: Experiment) -> None:
    result = _run_grid(experiment, 1, "0,1")
    assert result.returncode == 0, result.stderr
    records = _records(experiment.results)
    assert len(records) == 4
    for job_id, record in records.items():
        assert record["cuda"] in ("0", "1")
        assert experiment.state(job_id)["gpus"] == [record["cuda"]]
    assert _assert_never_shared(records) > 0  # two jobs at a time, one per device
    assert not _waited_for_locks(experiment.results)
    assert (experiment.results / ".cluster_utils" / "gpus" / "0.lock").exists()


@pytest.mark.slow
def test_two_gpus_per_job(experiment: Experiment) -> None:
    result = _run_grid(experiment, 2, "0,1")
    assert result.returncode == 0, result.stderr
    records = _records(experiment.results)
    assert len(records) == 4
    assert {record["cuda"] for record in records.values()} == {"0,1"}
    assert _assert_never_shared(records) == 0  # Snakemake ran them one after another
    assert not _waited_for_locks(experiment.results)


@pytest.mark.slow
def test_more_gpus_than_exist_is_refused(experiment: Experiment) -> None:
    result = _run_grid(experiment, 3, "0,1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: cluster_requirements.request_gpus is 3 but this machine has 2 GPU(s) (0,1); "
        "lower request_gpus or pass --gpus N"
    ]
    assert not (experiment.workdir / "results").exists()  # nothing written, nothing ran


@pytest.mark.slow
def test_gpus_option_overrides_detection(experiment: Experiment) -> None:
    result = _run_grid(experiment, 2, "0,1", "--gpus", "4")
    assert result.returncode == 0, result.stderr
    records = _records(experiment.results)
    assert {record["cuda"] for record in records.values()} <= {"0,1", "2,3"}
    assert _assert_never_shared(records) > 0


@pytest.mark.slow
def test_without_gpus_jobs_run_unpinned_after_one_warning(experiment: Experiment) -> None:
    if shutil.which("nvidia-smi", path=_no_nvidia_smi_path()):
        pytest.skip("nvidia-smi cannot be hidden")
    result = _run_grid(experiment, 1, None)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("request_gpus is 1 but no GPU is visible") == 1
    records = _records(experiment.results)
    assert len(records) == 4
    assert all(record["cuda"] is None for record in records.values())
    assert experiment.state(0)["gpus"] is None


def test_hp_optimization_refuses_more_gpus_than_exist(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(RECORDING_SCRIPT)
    run = HpoRun.with_config(tmp_path, cluster_requirements={"request_gpus": 3})
    env = {**driver_env(), "CUDA_VISIBLE_DEVICES": "0,1"}
    result = subprocess.run(
        run.command(), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: cluster_requirements.request_gpus is 3 but this machine has 2 GPU(s) (0,1); "
        "lower request_gpus or pass --gpus N"
    ]
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_hp_optimization_starts_jobs_only_on_free_gpus(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(RECORDING_SCRIPT)
    run = HpoRun.with_config(
        tmp_path,
        cluster_requirements={"request_gpus": 1, "max_cpus": 4},
        fixed_params={"sleep": 0.5},
        remove_working_dirs=False,
        remove_jobs_dir=False,
        optimization_setting={"number_of_samples": 6, "n_jobs_per_iteration": 4},
    )
    env = {**driver_env(), "CUDA_VISIBLE_DEVICES": "0,1"}
    result = subprocess.run(
        run.command(), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    records = _records(run.results)
    assert len(records) == 6
    assert {record["cuda"] for record in records.values()} <= {"0", "1"}
    assert _assert_never_shared(records) > 0
    runners_log = (run.results / ".cluster_utils" / "hpo_runners.log").read_text()
    assert "free GPU(s)" not in runners_log  # the driver started jobs only on free devices


def test_job_environment_and_state_record_the_devices() -> None:
    from cluster_utils.experiment.job_state import JobState
    from cluster_utils.experiment.launch_spec import LaunchSpec
    from cluster_utils.runner.process import job_environment

    spec = LaunchSpec(command=["python", "job.py"], cwd=".")
    assert job_environment(spec, 3, ("1",))["CUDA_VISIBLE_DEVICES"] == "1"
    assert JobState.from_json({"id": 3}).gpus is None  # state.json of older versions
    assert JobState.from_json(JobState(id=3, gpus=["0", "1"]).to_json()).gpus == ["0", "1"]
