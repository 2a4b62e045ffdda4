"""The cluster-utils-slurm executor without Slurm daemons: which jobs go straight to the runner,
array scripts and splitting, the sbatch command line, sacct parsing and one query per cycle,
failure reasons, and the runner's timeout signal from the LaunchSpec."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import types
from collections import deque
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cluster_utils.backends import get_backend
from cluster_utils.experiment import job_state
from cluster_utils.experiment.launch_spec import LaunchSpec, build_launch_spec
from cluster_utils.experiment.layout import ExperimentLayout

executor_module = pytest.importorskip("snakemake_executor_plugin_cluster_utils_slurm._executor")
from snakemake_executor_plugin_cluster_utils_slurm import _arrays, _limits, _status  # noqa: E402

slurm = get_backend("slurm")
PY = sys.executable


# ------------------------------------------------------------------ which jobs take the direct path


@pytest.mark.parametrize(
    ("shellcmd", "direct"),
    [
        (f"{PY} -m cluster_utils.runner /exp/dir 17", True),
        (f"{PY} -m cluster_utils.runner '/exp dir/with space' 3", True),
        (f"{PY} -m cluster_utils.runner /exp --chunk 0-9-abcdef12", True),
        ("python -m cluster_utils.runner /exp 17", False),  # relative interpreter
        (f"{PY} -m cluster_utils.results /exp", False),  # another module
        (f"{PY} -m cluster_utils.runner /exp 17 && touch x", False),
        (f"{PY} runner.py 17", False),
        ("", False),
        (None, False),
        (f"{PY} -m cluster_utils.runner '/exp 17", False),  # unbalanced quote
    ],
)
def test_runner_jobs_are_recognised_by_their_shell_command(shellcmd: str | None, direct: bool):
    assert (_arrays.runner_argv(shellcmd) is not None) is direct


def test_runner_argv_parts() -> None:
    argv = _arrays.runner_argv(f"{PY} -m cluster_utils.runner '/exp dir' 17")
    assert argv == [PY, "-m", "cluster_utils.runner", "/exp dir", "17"]
    assert _arrays.job_id_of(argv) == 17 and _arrays.experiment_of(argv) == "/exp dir"
    assert _arrays.job_id_of([PY, "-m", "cluster_utils.runner", "/e", "--chunk", "c"]) is None


# ---------------------------------------------------------------------------- arrays and scripts


@pytest.mark.parametrize(
    ("n", "limit", "sizes"),
    [
        (0, 1000, []),
        (1, 1000, [1]),
        (1000, 1000, [1000]),
        (1000, 1001, [1000]),
        (1001, 1000, [501, 500]),
        (2500, 1001, [834, 833, 833]),
        (10_000, 1001, [1000] * 10),
        (10_001, 1001, [1001] + [1000] * 9),
        (7, 3, [3, 2, 2]),
    ],
)
def test_arrays_are_split_evenly_under_the_limit(n: int, limit: int, sizes: list[int]) -> None:
    assert _arrays.split_sizes(n, limit) == sizes
    assert sum(sizes) == n and all(s <= limit for s in sizes)


def test_array_option_and_throttle() -> None:
    assert _arrays.array_option(6) == "--array=0-5"
    assert _arrays.array_option(6, 2) == "--array=0-5%2"
    assert _arrays.array_option(3, 5) == "--array=0-2"  # a throttle above the size is pointless
    assert _arrays.array_option(1) == "--array=0-0"
    with pytest.raises(ValueError):
        _arrays.array_option(0)


def test_array_script_runs_the_task_of_its_index(tmp_path: Path) -> None:
    commands = [
        ["printf", "%s", "job a"],
        ["printf", "%s", "$HOME; rm -rf / `x` 'quoted'"],  # arrives literally, never run
        ["sh", "-c", "exit 7"],
    ]
    script = tmp_path / "array.sh"
    script.write_text(_arrays.array_script(commands, comment="two\nlines"))
    assert script.read_text().startswith("#!/bin/sh\n# two\n# lines\n")

    def task(index: str | None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "SLURM_ARRAY_TASK_ID"}
        if index is not None:
            env["SLURM_ARRAY_TASK_ID"] = index
        return subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)

    assert task("0").stdout == "job a"
    assert task(None).stdout == "job a"  # outside an array: the first job
    assert task("1").stdout == commands[1][2]
    assert task("2").returncode == 7  # exec: the task's exit code is the command's
    missing = task("3")
    assert missing.returncode == 2 and "no job for array task 3" in missing.stderr


def test_limits_from_slurm_config_and_accounting() -> None:
    assert _limits.max_array_size("MaxArraySize            = 5001\nMaxJobCount = 10000\n") == 5001
    assert _limits.max_array_size("nothing here") == _limits.DEFAULT_MAX_ARRAY_SIZE
    assert _limits.parse_submit_limits("") is None
    assert _limits.parse_submit_limits("500\n\n200\n") == 200
    assert _limits.parse_submit_limits("|normal") is None


# ------------------------------------------------------------ the sbatch command of one array


class _Resources(dict):
    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


def _fake_executor(tmp_path: Path, **settings: Any) -> Any:
    values = {
        "requeue": True,
        "no_requeue": False,
        "qos": None,
        "reservation": None,
        "init_seconds_before_status_checks": 2,
        "keep_successful_logs": False,
        **settings,
    }
    fake = SimpleNamespace(
        slurm_logdir=tmp_path / "slurm_logs",
        run_uuid="8b107e8b-7316-4ec8-97f2-2f1afc2b7ee6",
        workflow=SimpleNamespace(
            executor_settings=SimpleNamespace(**values), workdir_init=str(tmp_path)
        ),
        _failed_nodes=set(),
        get_account_arg=lambda job: iter([""]),
        _replaced_reported=set(),
        logger=logging.getLogger("test_slurm_executor"),
        get_partition_arg=lambda job: (
            f" -p {job.resources['slurm_partition']}" if "slurm_partition" in job.resources else ""
        ),
    )
    return fake


def test_sbatch_command_of_an_array_for_all_3_0_requirements(tmp_path: Path) -> None:
    requirements = {
        "partition": "cpu-galvani",
        "request_cpus": 2,
        "request_gpus": 1,
        "memory_in_mb": 1000,
        "request_time": "00:04:00",
        "signal_seconds_to_timeout": 30,
        "forbidden_hostnames": ["bad1", "bad2"],
        "extra_submission_options": ["--gpu-freq=high", "--begin=now+1"],
        "bid": 1000,
    }
    job = SimpleNamespace(
        name="run_job",
        resources=_Resources(slurm.snakemake_resources(requirements)),
        threads=slurm.snakemake_threads(requirements),
    )
    fake = _fake_executor(tmp_path)
    options = executor_module.Executor.sbatch_options(fake, job)
    call = f"{options} {_arrays.array_option(6, 2)} /dev/stdin"
    args = shlex.split(call)
    log = str(tmp_path / "slurm_logs" / "rule_run_job" / "%A_%a.log")
    assert args == [
        "sbatch",
        "--parsable",
        "--job-name",
        fake.run_uuid,  # in_slurm_job() recognises the run's jobs by it
        "--output",
        log,
        "--export=ALL",
        "--comment",
        "rule_run_job",
        "-p",
        "cpu-galvani",
        "-t",
        "4",
        "--mem",
        "1000",
        "--requeue",
        "--cpus-per-task=2",
        "--open-mode=append",
        "--exclude=bad1,bad2",
        "--gpu-freq=high",
        "--begin=now+1",
        "-D",
        str(tmp_path),
        "--gpus=1",
        "--array=0-5%2",
        "/dev/stdin",
    ]
    assert not any(a.startswith("--signal") for a in args)
    assert (tmp_path / "slurm_logs" / "rule_run_job").is_dir()


def test_sbatch_command_of_a_cpu_job_has_one_task(tmp_path: Path) -> None:
    req = {"request_cpus": 1, "memory_in_mb": 200, "request_time": "1:30"}
    job = SimpleNamespace(
        name="run_job", resources=_Resources(slurm.snakemake_resources(req)), threads=1
    )
    args = shlex.split(executor_module.Executor.sbatch_options(_fake_executor(tmp_path), job))
    joined = " ".join(args)
    assert "--ntasks=1" in args and "--cpus-per-task=1" in args and "-t 2" in joined
    assert "-p" not in args  # no partition: the cluster's default partition
    assert not any(a.startswith("--gpus") for a in args)


def test_extra_submission_options_replace_ours_with_one_warning_per_option(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """3.0 passed extra_submission_options to sbatch as given: the user's --time, --mem-per-cpu,
    --gres and --comment are used, ours (-t, --mem, --gpus, --comment) left out, each reported
    once per run however many jobs have them."""
    req = {
        "request_cpus": 1,
        "request_gpus": 1,
        "memory_in_mb": 200,
        "request_time": "5",
        "extra_submission_options": [
            "--time=1:00:00",
            "--mem-per-cpu=2000",
            "--gres=gpu:a100:1",
            "--qos=normal",
            "--comment=x",
            "--gpu-freq=high",
        ],
    }
    fake = _fake_executor(tmp_path)
    jobs = [
        SimpleNamespace(
            name="run_job", resources=_Resources(slurm.snakemake_resources(req)), threads=1
        )
        for _ in range(3)
    ]
    with caplog.at_level(logging.WARNING, logger="test_slurm_executor"):
        calls = [executor_module.Executor.sbatch_options(fake, job) for job in jobs]
    args = shlex.split(calls[0])
    assert calls == [calls[0]] * 3
    assert args[args.index("--export=ALL") + 1 :] == [
        "--requeue",
        "--cpus-per-task=1",
        "--open-mode=append",
        "--gpu-freq=high",
        "-D",
        str(tmp_path),
        "--time=1:00:00",
        "--mem-per-cpu=2000",
        "--gres=gpu:a100:1",
        "--qos=normal",
        "--comment=x",
    ]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 4, warnings  # time, memory, gpus, comment: once each
    for theirs, ours in [
        ("--time=1:00:00", "-t 5"),
        ("--mem-per-cpu=2000", "--mem 200"),
        ("--gres=gpu:a100:1", "--gpus=1"),
        ("--comment=x", "--comment rule_run_job"),
    ]:
        assert sum(f"{theirs!r} replaces {ours!r}" in w for w in warnings) == 1, (theirs, warnings)


# ------------------------------------------------------------------------------ sacct parsing

SACCT_OUTPUT = "\n".join(
    [
        "300_0|301|COMPLETED|0:0|00:01:00|localhost",
        "300_1|302|FAILED|1:0|00:01:00|localhost",
        "300_2|303|TIMEOUT|0:15|00:01:00|localhost",
        "300_3|304|REQUEUED|0:0|00:01:00|localhost",
        "300_4|305|RUNNING|0:0|00:01:00|localhost",
        "300_[5-7,9%2]|300|PENDING|0:0|00:01:00|None assigned",
        "300_6|306|OUT_OF_MEMORY|0:125|00:01:00|localhost",
        "310|310|CANCELLED by 0|0:0|01:00:00|None assigned",
        "311|311|NODE_FAIL|0:0|01:00:00|node7",
        "",
    ]
)


def test_sacct_records_are_keyed_by_array_task() -> None:
    statuses = _status.parse_sacct(SACCT_OUTPUT)
    states = {key: s.state for key, s in statuses.items()}
    assert states == {
        "300_0": "COMPLETED",
        "300_1": "FAILED",
        "300_2": "TIMEOUT",
        "300_3": "REQUEUED",
        "300_4": "RUNNING",
        "300_5": "PENDING",
        "300_6": "OUT_OF_MEMORY",  # its own record wins over the pending range
        "300_7": "PENDING",
        "300_9": "PENDING",
        "310": "CANCELLED",
        "311": "NODE_FAIL",
    }
    assert statuses["300_0"].succeeded and not statuses["300_0"].active
    for key in ("300_3", "300_4", "300_5"):  # requeued (exit_for_resume) is not a failure
        assert statuses[key].active
    assert _status.expand_task_ranges("0-3:2,7%4") == [0, 2, 7]


def test_sacct_command_is_one_query_for_the_whole_run() -> None:
    argv = _status.sacct_command("RUN-UUID")
    assert argv[0] == "sacct" and "-X" in argv and "-D" not in argv
    assert argv[argv.index("--name") + 1] == "RUN-UUID"
    assert "--format=JobID,JobIDRaw,State,ExitCode,Timelimit,NodeList" in argv


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "300_2|303|TIMEOUT|0:15|00:01:00|x",
            "exceeded request_time (Slurm time limit of 00:01:00; Slurm job 300_2: TIMEOUT, "
            "ExitCode 0:15)",
        ),
        ("300_1|302|FAILED|1:0|1|x", "exited with code 1 (Slurm job 300_1: FAILED, ExitCode 1:0)"),
        ("300_1|302|FAILED|0:9|1|x", "killed by signal 9 (Slurm job 300_1: FAILED, ExitCode 0:9)"),
        ("300_6|306|OUT_OF_MEMORY|0:125|1|x", "exceeded memory_in_mb"),
        ("310|310|CANCELLED by 0|0:0|1|x", "cancelled (Slurm job 310: CANCELLED by 0)"),
        ("311|311|NODE_FAIL|0:0|1|node7", "node node7 failed"),
        ("312|312|BOOT_FAIL|0:0|1|x", "ended in state BOOT_FAIL"),
    ],
)
def test_failure_reasons(line: str, reason: str) -> None:
    (status,) = _status.parse_sacct(line).values()
    assert _status.failure_reason(status).startswith(reason)


# ------------------------------------------------------- status cycles: one query, any job count


class _Limiter:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


def _status_executor(tmp_path: Path, statuses: dict[str, _status.JobStatus]) -> Any:
    fake = _fake_executor(tmp_path)
    calls = {"queries": 0, "success": [], "error": []}

    async def query() -> dict[str, _status.JobStatus]:
        calls["queries"] += 1
        return statuses

    fake.__dict__.update(
        _query_status=query,
        status_rate_limiter=_Limiter(),
        status_cycles=0,
        _lock=threading.Lock(),
        _in_flight=set(),
        _backlog=deque(),
        _limit_hit=False,
        _max_status_interval=20.0,
        _sacct_interval=0.0,
        _next_sacct=0.0,
        next_seconds_between_status_checks=None,
        report_job_success=lambda info: calls["success"].append(info.external_jobid),
        report_job_error=lambda info, msg=None, **kw: calls["error"].append(
            (info.external_jobid, msg)
        ),
        _remove_log=lambda info: None,
        failure_message=lambda info, status: _status.failure_reason(status),
        _schedule_flush=lambda delay: None,
    )
    for name in ("_still_active", "_finished", "_initial_status_interval"):
        setattr(fake, name, types.MethodType(getattr(executor_module.Executor, name), fake))
    fake.calls = calls
    return fake


def _cycle(fake: Any, jobs: list[Any]) -> list[Any]:
    async def collect() -> list[Any]:
        gen = executor_module.Executor.check_active_jobs(fake, jobs)
        return [j async for j in gen]

    return asyncio.run(collect())


def test_one_status_query_per_cycle_whatever_the_job_count(tmp_path: Path) -> None:
    n = 5000
    statuses = _status.parse_sacct(
        "\n".join(
            f"700_{i}|{800 + i}|{'COMPLETED' if i % 2 else 'RUNNING'}|0:0|1|x" for i in range(n)
        )
    )
    fake = _status_executor(tmp_path, statuses)
    jobs = [SimpleNamespace(external_jobid=f"700_{i}", aux={}) for i in range(n)]
    still = _cycle(fake, jobs)
    assert fake.calls["queries"] == 1
    assert len(still) == n // 2 and len(fake.calls["success"]) == n // 2
    assert fake._sacct_interval == 2  # jobs finished: sacct again after the initial interval
    # the runners' records are looked at between two sacct calls, four times a second
    assert fake.next_seconds_between_status_checks == executor_module.MARKER_CHECK_SECONDS == 0.25


def test_status_cycle_reports_failures_and_backs_off(tmp_path: Path) -> None:
    statuses = _status.parse_sacct(SACCT_OUTPUT)
    fake = _status_executor(tmp_path, statuses)
    ids = ["300_0", "300_1", "300_2", "300_3", "300_5", "300_8", "310"]
    jobs = [SimpleNamespace(external_jobid=i, aux={}) for i in ids]
    still = [j.external_jobid for j in _cycle(fake, jobs)]
    # requeued/pending stay active; not yet in accounting (300_8) stays active
    assert still == ["300_3", "300_5", "300_8"]
    assert fake.calls["success"] == ["300_0"]
    errors = dict(fake.calls["error"])
    assert set(errors) == {"300_1", "300_2", "310"}
    assert errors["300_2"].startswith("exceeded request_time")
    # nothing finished: the interval grows by the initial value, up to the maximum
    fake.calls["error"].clear()
    waits = []
    for _ in range(12):
        fake._next_sacct = 0.0  # due
        _cycle(fake, [SimpleNamespace(external_jobid="300_4", aux={})])
        waits.append(fake._sacct_interval)
    assert waits[:3] == [4, 6, 8] and max(waits) == 20
    # before it is due, a status check does not call sacct
    queries = fake.calls["queries"]
    fake._next_sacct = time.monotonic() + 60
    assert len(_cycle(fake, [SimpleNamespace(external_jobid="300_4", aux={})])) == 1
    assert fake.calls["queries"] == queries


def test_a_job_whose_runner_recorded_success_is_done_without_sacct(tmp_path: Path) -> None:
    experiment = tmp_path / "exp"
    layout = ExperimentLayout.at(experiment)
    jobs = []
    for job_id in (0, 1):
        layout.job_dir(job_id).mkdir(parents=True)
        argv = [sys.executable, "-m", "cluster_utils.runner", str(experiment), str(job_id)]
        jobs.append(
            SimpleNamespace(external_jobid=f"400_{job_id}", aux={"cluster_utils_argv": argv})
        )
    job_state.save_state(layout, job_state.JobState(id=0, status=job_state.SUCCEEDED))
    fake = _status_executor(tmp_path, {})
    fake._next_sacct = time.monotonic() + 60  # sacct not due
    assert [j.external_jobid for j in _cycle(fake, jobs)] == ["400_0", "400_1"]  # no done marker
    layout.done_marker(0).touch()
    assert [j.external_jobid for j in _cycle(fake, jobs)] == ["400_1"]
    assert fake.calls["success"] == ["400_0"] and fake.calls["queries"] == 0
    assert fake._next_sacct > time.monotonic() + 50  # jobs ending on disk need no sacct


# --------------------------------------------------------------- LaunchSpec and the runner side


def test_launch_spec_carries_signal_seconds_to_timeout(tmp_path: Path) -> None:
    settings = {
        "script_relative_path": "job.py",
        "cluster_requirements": {"request_time": "1:00", "signal_seconds_to_timeout": 45},
    }
    spec = build_launch_spec(settings, tmp_path)
    assert spec.timeout_signal_seconds == 45
    assert LaunchSpec.from_json(spec.to_json()).timeout_signal_seconds == 45
    settings["cluster_requirements"] = {}
    assert build_launch_spec(settings, tmp_path).timeout_signal_seconds is None
    old = spec.to_json()
    del old["timeout_signal_seconds"]  # launch.json written before the field existed
    assert LaunchSpec.from_json(old).timeout_signal_seconds is None


def test_runner_sends_the_timeout_signal_to_the_script_inside_slurm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cluster_utils.runner.process import FORWARDED_SIGNALS, AttemptRunner

    script = tmp_path / "job.py"
    script.write_text(
        "import signal, sys, time\n"
        "signal.signal(signal.SIGUSR1, lambda *a: (print('usr1', flush=True), sys.exit(3)))\n"
        "time.sleep(20)\n"
        "sys.exit(0)\n"
    )
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setattr(slurm, "in_slurm_job", lambda: True)
    # the job ends 31 s from now; signal 30 s before: after ~1 s
    monkeypatch.setattr(slurm, "job_end_time", lambda job_id=None: time.time() + 31)
    spec = LaunchSpec(command=[PY, str(script)], cwd=str(tmp_path), timeout_signal_seconds=30)
    saved = {s: signal.getsignal(s) for s in FORWARDED_SIGNALS}
    try:
        runner = AttemptRunner(spec, dict(os.environ), tmp_path / "out", tmp_path / "err")
        started = time.monotonic()
        code = runner.run([PY, str(script)])
        elapsed = time.monotonic() - started
    finally:
        for sig, handler in saved.items():
            with contextlib.suppress(TypeError):
                signal.signal(sig, handler)
    assert code == 3 and (tmp_path / "out").read_text() == "usr1\n"
    assert 0.5 < elapsed < 10, elapsed


def test_no_timeout_signal_outside_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cluster_utils.runner.process import FORWARDED_SIGNALS, AttemptRunner

    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    called = []
    monkeypatch.setattr(slurm, "arm_timeout_signal", lambda *a: called.append(a))
    spec = LaunchSpec(command=[PY, "-c", "pass"], cwd=str(tmp_path), timeout_signal_seconds=30)
    saved = {s: signal.getsignal(s) for s in FORWARDED_SIGNALS}
    try:
        runner = AttemptRunner(spec, dict(os.environ), tmp_path / "out", tmp_path / "err")
        assert runner.run([PY, "-c", "pass"]) == 0
    finally:
        for sig, handler in saved.items():
            with contextlib.suppress(TypeError):
                signal.signal(sig, handler)
    assert called == []


def test_request_resume_returns_when_slurm_stops_the_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.setattr(slurm, "in_slurm_job", lambda: True)
    monkeypatch.setattr(slurm, "restart_count", lambda: 0)
    monkeypatch.setattr(
        slurm.subprocess,
        "run",
        lambda *a, **kw: subprocess.CompletedProcess(a, 0, "", ""),
    )
    handler_before = signal.getsignal(signal.SIGTERM)  # other tests may have set one
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    assert slurm.request_resume(wait_seconds=30) == 3
    assert time.monotonic() - started < 5
    assert signal.getsignal(signal.SIGTERM) is handler_before


def test_an_array_task_is_named_in_full_so_a_requeue_hits_only_that_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the first task of array 2231 has SLURM_JOB_ID 2231, the array's own id:
    # `scontrol requeue 2231` would requeue every task of the array
    monkeypatch.setenv("SLURM_JOB_ID", "2231")
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "2231")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "0")
    assert slurm.own_job_id() == "2231_0"
    calls: list[list[str]] = []
    monkeypatch.setattr(slurm, "in_slurm_job", lambda: True)
    monkeypatch.setattr(slurm, "restart_count", lambda: 0)

    def fake_run(argv, *args, **kwargs):
        calls.append(list(argv))
        return subprocess.CompletedProcess(argv, 1, "", "not allowed")

    monkeypatch.setattr(slurm.subprocess, "run", fake_run)
    assert slurm.request_resume(wait_seconds=1) is None
    assert calls == [["scontrol", "requeue", "2231_0"]]


def test_a_plain_job_is_named_by_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "17")
    monkeypatch.delenv("SLURM_ARRAY_JOB_ID", raising=False)
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID", raising=False)
    assert slurm.own_job_id() == "17"
