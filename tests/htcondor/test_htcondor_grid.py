"""Grid searches on the localhost HTCondor pool through the real workflow (Snakefile + runner):
``snakemake --profile profiles/htcondor`` from a checkout and ``cluster-utils grid-search``,
both run inside the pool's root as the pool user. Every job goes through the schedd (checked in
condor_history); failures, exit_for_resume, GPUs, unmatched jobs, concurrency limits and
extra_submission_options behave as cluster_utils 3.0 did on HTCondor.

Six runs start at the same time (the pool has 8 slots) to keep the suite short; the lifecycle
grid is then run again after its failing job was fixed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from cluster_utils.backends import get_backend
from tests.helpers import REPO_ROOT, write_config
from tests.htcondor.conftest import write_test_profile

if TYPE_CHECKING:
    from tests.htcondor.conftest import Pool

pytestmark = pytest.mark.htcondor

#: the job's command line before the plugin's ``-m snakemake ...`` (our executor's job wrapper)
WRAPPER_ARGUMENTS = get_backend("htcondor").WRAPPER_ARGUMENTS

#: Records the HTCondor job it ran in (ClusterId from the job ad), whether the runner forked it
#: (fast path: the runner's modules are already loaded) and the GPUs HTCondor assigned. Modes:
#: ok*, fail (until the file `fixed` exists), resume (exit_for_resume twice, then success).
JOB_SCRIPT = """
import json, os, re, sys, time
from pathlib import Path
from cluster_utils import initialize_job, finalize_job, exit_for_resume

params = initialize_job()
here = Path(__file__).resolve().parent
ad = Path(os.environ["_CONDOR_JOB_AD"]).read_text()
cluster = int(re.search(r"^ClusterId = (\\d+)", ad, re.M).group(1))
runs = here / "runs"
runs.mkdir(exist_ok=True)
with open(runs / str(params.mode), "a") as f:
    f.write(json.dumps({"cluster": cluster, "t": time.time()}) + "\\n")
if params.mode == "fail" and not (here / "fixed").exists():
    print("something went wrong in the job", file=sys.stderr)
    sys.exit(1)
if params.mode == "resume":
    counter = Path(params.working_dir) / "resumes"
    done = int(counter.read_text()) if counter.exists() else 0
    if done < 2:
        counter.write_text(str(done + 1))
        exit_for_resume()
time.sleep(params.get("sleep", 0))
finalize_job(
    {
        "y": 1,
        "cluster": cluster,
        "forked": int("cluster_utils.runner.job_runner" in sys.modules),
        "gpus": os.environ.get("_CONDOR_AssignedGPUs", ""),
    },
    params,
)
"""

LIFECYCLE_MODES = ["ok1", "ok2", "ok3", "ok4", "fail", "resume"]
CHECKOUT_MODES = [f"ok{i}" for i in range(6)]
CONCURRENCY_MODES = [f"c{i}" for i in range(4)]
BASE_REQUIREMENTS = {"request_cpus": 1, "memory_in_mb": 200}
#: 3.0's dict form of HTCondor's extra_submission_options: one line the mapping also sets
#: (memory_in_mb -> request_memory), one it does not
EXTRA_OPTIONS = {"request_memory": 300, "+CuExtra": '"from extra_submission_options"'}
#: quick status checks for the runs with the bundled profile (`--profile htcondor`)
FAST_POLLING = ["--seconds-between-status-checks", "1", "--latency-wait", "5"]


def write_grid(workdir: Path, name: str, modes: list[str], **settings: Any) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "job.py").write_text(JOB_SCRIPT)
    config = {
        "cluster_requirements": dict(BASE_REQUIREMENTS),
        "hyperparam_list": [{"param": "mode", "values": modes}],
        **settings,
    }
    return write_config(workdir / "grid.yaml", name, **config)


def cli(*args: str) -> list[str]:
    return ["cluster-utils", "grid-search", "grid.yaml", *args]


@dataclass
class GridRun:
    workdir: Path
    name: str
    result: subprocess.CompletedProcess[str]
    wall: float
    #: the result tables right after this run (a later run of the same grid rewrites them)
    tables: dict[str, pd.DataFrame] | None = None

    def __post_init__(self) -> None:
        self.tables = {}
        for name in ("all_data", "failures"):
            path = self.experiment / f"{name}.csv"
            if path.exists():
                try:
                    self.tables[name] = pd.read_csv(path)
                except pd.errors.EmptyDataError:  # no rows: no columns either
                    self.tables[name] = pd.DataFrame()

    @property
    def returncode(self) -> int:
        return self.result.returncode

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    @property
    def experiment(self) -> Path:
        return self.workdir / "results" / self.name

    @property
    def snakemake_log(self) -> str:
        log = self.experiment / ".cluster_utils" / "snakemake.log"
        return log.read_text() if log.exists() else self.output

    def all_data(self) -> pd.DataFrame:
        assert self.tables is not None and "all_data" in self.tables, "no all_data.csv"
        return self.tables["all_data"]

    def failures(self) -> pd.DataFrame:
        assert self.tables is not None and "failures" in self.tables, "no failures.csv"
        return self.tables["failures"]

    def state(self, job_id: int) -> dict[str, Any]:
        return json.loads((self.experiment / "jobs" / str(job_id) / "state.json").read_text())

    def job_ids_by_mode(self) -> dict[str, int]:
        jobs = pd.read_csv(self.experiment / "jobs.csv")
        return dict(zip(jobs["mode"], jobs["_id"], strict=True))

    def runs(self, mode: str) -> list[dict[str, Any]]:
        path = self.workdir / "runs" / mode
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def history(pool: Pool, workdir: Path, iwd: Path) -> dict[int, dict[str, Any]]:
    """condor_history of the HTCondor jobs that ran in ``iwd``, by ClusterId."""
    attributes = (
        "ClusterId,ExitCode,NumJobStarts,JobStatus,Args,Iwd,RemoveReason,RequestGPUs,"
        "RequestMemory,CuExtra"
    )
    result = pool.run(
        workdir,
        "condor_history",
        "-constraint",
        f'Iwd == "{iwd}"',
        "-json",
        "-attributes",
        attributes,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    records = json.loads(result.stdout) if result.stdout.strip() else []
    return {int(r["ClusterId"]): r for r in records}


def job_id_in_args(record: dict[str, Any]) -> int:
    match = re.search(r"--target-jobs run_job:job_id=(\d+)", record["Args"])
    assert match, record["Args"]
    return int(match.group(1))


def copy_checkout(target: Path) -> Path:
    for name in ("Snakefile", "workflow", "profiles", "config"):
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def grids(htcondor_pool: Pool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("htcondor_grids")
    runs: dict[str, Any] = {}

    # 1. plain snakemake from a checkout copy, with the config given by --configfile
    checkout = copy_checkout(base / "checkout")
    write_grid(checkout, "checkout_grid", CHECKOUT_MODES)
    # 2. the CLI with the bundled profile: ok jobs, a failure, exit_for_resume twice
    lifecycle = base / "lifecycle"
    write_grid(lifecycle, "lifecycle", LIFECYCLE_MODES)
    # 3-6. the CLI with the test profile (unmatched jobs reported after 10 s)
    concurrency = base / "concurrency"
    write_grid(
        concurrency,
        "concurrency",
        CONCURRENCY_MODES,
        fixed_params={"sleep": 8},
        cluster_requirements={
            **BASE_REQUIREMENTS,
            "concurrency_limit_tag": "cu_test",
            "concurrency_limit": 2,
        },
    )
    gpu = {"request_gpus": 1, "gpu_memory_mb": 40000}
    gpu7, gpu9 = base / "gpu7", base / "gpu9"
    write_grid(
        gpu7,
        "gpu7",
        ["gpu"],
        cluster_requirements={**BASE_REQUIREMENTS, **gpu, "cuda_requirement": 7.0},
    )
    write_grid(
        gpu9,
        "gpu9",
        ["gpu"],
        cluster_requirements={**BASE_REQUIREMENTS, **gpu, "cuda_requirement": 9.0},
    )
    extra = base / "extra"
    write_grid(
        extra,
        "extra",
        ["ok"],
        cluster_requirements={**BASE_REQUIREMENTS, "extra_submission_options": EXTRA_OPTIONS},
    )
    commands = {
        "checkout": (
            checkout,
            "checkout_grid",
            [
                "snakemake",
                "--profile",
                "profiles/htcondor",
                "--configfile",
                "grid.yaml",
                *FAST_POLLING,
            ],
        ),
        "lifecycle": (
            lifecycle,
            "lifecycle",
            cli("--profile", "htcondor", "--snakemake-args", *FAST_POLLING),
        ),
    }
    test_profile_runs = (
        (concurrency, "concurrency"),
        (gpu7, "gpu7"),
        (gpu9, "gpu9"),
        (extra, "extra"),
    )
    for workdir, name in test_profile_runs:
        profile = write_test_profile(workdir)
        commands[name] = (workdir, name, cli("--profile", str(profile)))

    def run_one(key: str) -> GridRun:
        workdir, name, cmd = commands[key]
        started = time.monotonic()
        result = htcondor_pool.finish(htcondor_pool.start(workdir, *cmd), timeout=240)
        return GridRun(workdir, name, result, time.monotonic() - started)

    with ThreadPoolExecutor(len(commands)) as pool:
        runs.update(zip(commands, pool.map(run_one, commands), strict=True))

    # the failing job fixed, the same command again
    (lifecycle / "fixed").write_text("")
    started = time.monotonic()
    result = htcondor_pool.run(lifecycle, *commands["lifecycle"][2], timeout=180)
    runs["rerun"] = GridRun(lifecycle, "lifecycle", result, time.monotonic() - started)
    runs["history"] = {
        key: history(htcondor_pool, runs[key].workdir, iwd)
        for key, iwd in (
            ("checkout", runs["checkout"].experiment),  # plain snakemake runs there too
            ("lifecycle", runs["lifecycle"].experiment),
            ("concurrency", runs["concurrency"].experiment),
            ("gpu7", runs["gpu7"].experiment),
            ("gpu9", runs["gpu9"].experiment),
            ("extra", runs["extra"].experiment),
        )
    }
    yield runs
    timings = ", ".join(f"{k} {v.wall:.1f} s" for k, v in runs.items() if isinstance(v, GridRun))
    print(f"\nHTCondor grid runs: {timings}")


def assert_every_row_ran_in_its_htcondor_job(
    run: GridRun, records: dict[int, dict[str, Any]]
) -> None:
    data = run.all_data()
    for row in data.to_dict("records"):
        record = records[int(row["cluster"])]
        assert job_id_in_args(record) == int(row["_id"])
        assert record["ExitCode"] == 0 and record["JobStatus"] == 4  # completed
        assert record["Args"].startswith(f"{WRAPPER_ARGUMENTS} -m snakemake ")
    assert data["forked"].tolist() == [1] * len(data)  # the runner's fast path in the pool


def test_snakemake_profile_from_a_checkout(grids: dict) -> None:
    run: GridRun = grids["checkout"]
    assert run.returncode == 0, run.output[-4000:]
    data = run.all_data()
    assert sorted(data["mode"]) == sorted(CHECKOUT_MODES)
    records = grids["history"]["checkout"]
    assert len(records) == len(CHECKOUT_MODES)
    assert_every_row_ran_in_its_htcondor_job(run, records)
    assert "cluster_utils: 6 of 6 jobs succeeded" in run.output


def test_cli_grid_failure_is_reported_with_stderr_tail(grids: dict) -> None:
    run: GridRun = grids["lifecycle"]
    ids = run.job_ids_by_mode()
    assert run.returncode == 0, run.output[-4000:]
    # the CLI's summary
    assert "5 succeeded, 1 failed, 0 not finished (of 6 jobs)" in run.output
    assert f"job {ids['fail']} failed: exited with code 1" in run.output
    assert "something went wrong in the job" in run.output
    failures = run.failures()
    assert failures["_id"].tolist() == [ids["fail"]]
    assert "something went wrong in the job" in failures["stderr_tail"][0]
    # Snakemake's error names the cluster_utils job, its reason and its stderr
    log = run.snakemake_log
    assert f"cluster_utils job {ids['fail']} failed: exited with code 1" in log
    assert "completed but failed with ExitCode 1" in log
    # the others went on; every job went through the schedd, the failing one once
    data = run.all_data()
    assert sorted(data["mode"]) == sorted(m for m in LIFECYCLE_MODES if m != "fail")
    records = grids["history"]["lifecycle"]
    assert_every_row_ran_in_its_htcondor_job(run, records)
    first = records[run.runs("fail")[0]["cluster"]]
    assert job_id_in_args(first) == ids["fail"]
    assert (first["ExitCode"], first["NumJobStarts"]) == (1, 1)  # failed once, not retried


def test_cli_rerun_runs_only_the_failed_job(grids: dict) -> None:
    rerun: GridRun = grids["rerun"]
    assert rerun.returncode == 0, rerun.output[-4000:]
    assert "6 succeeded, 0 failed, 0 not finished (of 6 jobs)" in rerun.output
    counts = {mode: len(rerun.runs(mode)) for mode in LIFECYCLE_MODES}
    assert counts == {"ok1": 1, "ok2": 1, "ok3": 1, "ok4": 1, "fail": 2, "resume": 3}
    data = rerun.all_data()
    assert sorted(data["mode"]) == sorted(LIFECYCLE_MODES)
    records = grids["history"]["lifecycle"]
    # 6 HTCondor jobs in the first run, one more for the rerun
    assert len(records) == 7
    assert_every_row_ran_in_its_htcondor_job(rerun, records)


def test_cli_exit_for_resume_twice_then_success(grids: dict) -> None:
    run: GridRun = grids["lifecycle"]
    ids = run.job_ids_by_mode()
    state = run.state(ids["resume"])
    assert state["status"] == "succeeded" and state["resumes"] == 2
    assert [a["resumed"] for a in state["attempts"]] == [True, True, False]
    # one HTCondor job, started three times (held and released twice)
    clusters = {r["cluster"] for r in run.runs("resume")}
    assert len(clusters) == 1
    (cluster,) = clusters
    record = grids["history"]["lifecycle"][cluster]
    assert record["NumJobStarts"] == 3 and record["ExitCode"] == 0
    event_log = (run.experiment / ".snakemake" / "htcondor" / "snakemake-rules.log").read_text()
    held = re.findall(rf"^012 \({cluster:03d}\.000\.000\).*?\n(.*?)\n", event_log, re.M)
    assert len(held) == 2 and all("exit_for_resume, will resume" in h for h in held), held
    # not a failure
    assert f"cluster_utils job {ids['resume']} failed" not in run.snakemake_log
    assert f"Job {ids['resume']} failed" not in (run.experiment / "cluster_run.log").read_text()


def test_concurrency_limit_two_of_four(grids: dict) -> None:
    run: GridRun = grids["concurrency"]
    assert run.returncode == 0, run.output[-4000:]
    intervals = []
    for job_id in range(len(CONCURRENCY_MODES)):
        (attempt,) = run.state(job_id)["attempts"]
        intervals.append((attempt["start"], attempt["end"]))
    points = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    running = peak = 0
    for _, delta in points:
        running += delta
        peak = max(peak, running)
    # 8 slots are free, but only 2 jobs at a time get a token of user.cu_test
    assert peak == 2, intervals
    assert_every_row_ran_in_its_htcondor_job(run, grids["history"]["concurrency"])


def test_gpu_job_with_cuda_7_runs_on_the_simulated_gpu(grids: dict) -> None:
    run: GridRun = grids["gpu7"]
    assert run.returncode == 0, run.output[-4000:]
    data = run.all_data()
    assert len(data) == 1 and str(data["gpus"][0]).startswith("GPU-")
    (record,) = grids["history"]["gpu7"].values()
    assert record["RequestGPUs"] == 1
    assert_every_row_ran_in_its_htcondor_job(run, grids["history"]["gpu7"])


def test_gpu_job_with_cuda_9_is_reported_as_unmatched(grids: dict) -> None:
    run: GridRun = grids["gpu9"]
    assert run.returncode == 1, run.output[-4000:]  # as 3.0: no job succeeded
    assert "0 succeeded, 1 failed, 0 not finished (of 1 jobs)" in run.output
    assert "was idle for more than 10 s and is unmatched" in run.output
    assert "no machine in the pool can ever match the job" in run.output
    assert "no machine satisfies TARGET.CUDACapability >= 9" in run.output
    assert "(the machines have CUDACapability = 8.0)" in run.output
    state = run.state(0)
    assert state["status"] == "failed" and state["attempts"] == []  # never started
    assert "is unmatched" in run.failures()["reason"][0]
    (record,) = grids["history"]["gpu9"].values()
    assert record["JobStatus"] == 3  # removed
    assert "no machine can match the job" in record["RemoveReason"]
    assert run.wall < 60


def test_extra_submission_options_dict_reach_the_job(grids: dict) -> None:
    """A 3.0 HTCondor config with extra_submission_options as a dict: the options reach the job
    exactly as given; request_memory wins over memory_in_mb, with one warning naming it."""
    run: GridRun = grids["extra"]
    assert run.returncode == 0, run.output[-4000:]
    assert "1 succeeded, 0 failed, 0 not finished (of 1 jobs)" in run.output
    (record,) = grids["history"]["extra"].values()
    assert record["RequestMemory"] == 300
    assert record["CuExtra"] == "from extra_submission_options"
    assert_every_row_ran_in_its_htcondor_job(run, grids["history"]["extra"])
    log = run.snakemake_log
    assert log.count("extra_submission_options sets request_memory = 300;") == 1, log[-4000:]
    assert "replaces request_memory = 200" in log
