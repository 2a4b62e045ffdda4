"""cluster_requirements -> Slurm executor resources -> sbatch options (no Slurm daemons needed)."""

from __future__ import annotations

import json
import shlex
from types import SimpleNamespace
from typing import Any

import pytest

from cluster_utils.backends import get_backend

slurm = get_backend("slurm")

APPEND = "--open-mode=append"


def test_get_backend_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown cluster backend"):
        get_backend("torque")


# ------------------------------------------------------------------------ one key at a time


def test_empty_requirements_only_append_the_log() -> None:
    assert slurm.snakemake_resources({}) == {"slurm_extra": APPEND}


def test_partition() -> None:
    res = slurm.snakemake_resources({"partition": "cpu-galvani"})
    assert res["slurm_partition"] == "cpu-galvani"
    # several partitions: Slurm takes the first with free capacity
    assert slurm.snakemake_resources({"partition": "a,b"})["slurm_partition"] == "a,b"


def test_request_cpus_and_threads() -> None:
    req = {"request_cpus": 4}
    res = slurm.snakemake_resources(req)
    assert res["cpus_per_task"] == 4
    assert "threads" not in res  # threads is a rule directive, not a resource
    assert slurm.snakemake_threads(req) == 4
    assert slurm.snakemake_threads({}) == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "4", True])
def test_request_cpus_must_be_a_positive_int(bad: Any) -> None:
    with pytest.raises(ValueError, match="request_cpus"):
        slurm.snakemake_resources({"request_cpus": bad})


def test_request_gpus() -> None:
    assert slurm.snakemake_resources({"request_gpus": 2})["gpu"] == 2
    assert "gpu" not in slurm.snakemake_resources({"request_gpus": 0})


def test_memory_in_mb() -> None:
    assert slurm.snakemake_resources({"memory_in_mb": 16000})["mem_mb"] == 16000


@pytest.mark.parametrize(
    ("request_time", "seconds", "minutes"),
    [
        ("30", 1800, 30),  # minutes
        ("90", 5400, 90),
        ("1:30", 90, 2),  # minutes:seconds (Slurm rounds up to whole minutes too)
        ("0:59", 59, 1),
        ("5:00", 300, 5),
        ("1:00:00", 3600, 60),  # hours:minutes:seconds
        ("00:04:00", 240, 4),
        ("2:30:01", 9001, 151),
        ("1-0", 86400, 1440),  # days-hours
        ("2-12", 216000, 3600),
        ("1-2:30", 95400, 1590),  # days-hours:minutes
        ("1-00:00:30", 86430, 1441),  # days-hours:minutes:seconds
        (" 10 ", 600, 10),
        (45, 2700, 45),  # a plain int means minutes, as for sbatch
        ("0", 0, 1),  # never below one minute
    ],
)
def test_request_time_formats(request_time: str | int, seconds: int, minutes: int) -> None:
    assert slurm.parse_slurm_time(request_time) == seconds
    assert slurm.snakemake_resources({"request_time": request_time})["runtime"] == minutes


@pytest.mark.parametrize("bad", ["1h", "1:2:3:4", "1-2-3", "abc", "", "-5", "1.5", True])
def test_request_time_rejects_other_formats(bad: Any) -> None:
    with pytest.raises(ValueError, match="request_time"):
        slurm.snakemake_resources({"request_time": bad})


def test_forbidden_hostnames() -> None:
    res = slurm.snakemake_resources({"forbidden_hostnames": ["node1", "node7"]})
    assert res["slurm_extra"] == f"{APPEND} --exclude=node1,node7"
    assert "--exclude" not in slurm.snakemake_resources({"forbidden_hostnames": []})["slurm_extra"]


def test_signal_seconds_to_timeout_is_not_an_sbatch_option() -> None:
    # sbatch --signal would kill the nested snakemake (step signal) or only reach the batch
    # shell (B:); the runner sends the signal instead (arm_timeout_signal).
    res = slurm.snakemake_resources({"signal_seconds_to_timeout": 30})
    assert res == {"slurm_extra": APPEND}


def test_extra_submission_options_are_appended_verbatim() -> None:
    res = slurm.snakemake_resources(
        {"extra_submission_options": ["--gpu-freq=high", "--begin=2010-01-20T12:34:00"]}
    )
    assert res["slurm_extra"] == f"{APPEND} --gpu-freq=high --begin=2010-01-20T12:34:00"
    # one list entry is one argument, even with spaces or shell characters
    res = slurm.snakemake_resources({"extra_submission_options": ["--licenses=a b; $x"]})
    assert shlex.split(res["slurm_extra"]) == [APPEND, "--licenses=a b; $x"]


@pytest.mark.parametrize(
    ("options", "replacing"),
    [
        (["--time=10"], ["--time=10"]),
        (["-t", "10"], ["-t", "10"]),
        (["--mem=1G"], ["--mem=1G"]),
        (["--mem-per-cpu=2000"], ["--mem-per-cpu=2000"]),
        (["--partition=x"], ["--partition=x"]),
        (["--cpus-per-task=2"], ["--cpus-per-task=2"]),
        (["--gres=gpu:1"], ["--gres=gpu:1"]),
        (["--qos=high", "--account", "lab"], ["--qos=high", "--account", "lab"]),
        (["--constraint=a100", "--comment=x"], ["--constraint=a100", "--comment=x"]),
        (["--gpu-freq=high", "-t10", "--gres=tmpdisk:10"], ["-t10"]),
    ],
)
def test_extra_submission_options_the_submission_sets_too_go_to_their_own_resource(
    options: list[str], replacing: list[str]
) -> None:
    """3.0 passed every option to sbatch: those that set what the submission sets too (time,
    memory, ...) go to the resource the executor puts in place of its own options."""
    res = slurm.snakemake_resources({"extra_submission_options": options})
    assert shlex.split(res[slurm.REPLACING_OPTIONS_RESOURCE]) == replacing
    plain = [o for o in options if o not in replacing]
    assert shlex.split(res["slurm_extra"]) == [APPEND, *plain]


@pytest.mark.parametrize(
    "option",
    ["--job-name=x", "-J x", "--output=log", "-o log", "--parsable", "--array=0-3", "-D /tmp"],
)
def test_extra_submission_options_the_executor_needs_unchanged_are_rejected(option: str) -> None:
    with pytest.raises(ValueError, match="extra_submission_options"):
        slurm.snakemake_resources({"extra_submission_options": shlex.split(option)})


def test_qos_account_and_constraint_keys() -> None:
    res = slurm.snakemake_resources({"qos": "high", "account": "lab", "constraint": "a100"})
    assert (res["qos"], res["slurm_account"], res["constraint"]) == ("high", "lab", "a100")
    assert slurm.REPLACING_OPTIONS_RESOURCE not in res


def test_extra_submission_options_must_be_strings() -> None:
    with pytest.raises(ValueError, match="extra_submission_options"):
        slurm.snakemake_resources({"extra_submission_options": [1, 2]})


def test_htcondor_only_keys_are_ignored() -> None:
    req = {
        "bid": 1000,
        "cuda_requirement": ">=7.0",
        "gpu_memory_mb": 8000,
        "concurrency_limit": 10,
        "concurrency_limit_tag": "gpu",
        "hostname_list": ["a"],
    }
    assert slurm.snakemake_resources(req) == {"slurm_extra": APPEND}


# ------------------------------------------------ what the executor plugin makes of the result

plugin_submit = pytest.importorskip("snakemake_executor_plugin_slurm.submit_string")
plugin_utils = pytest.importorskip("snakemake_executor_plugin_slurm.utils")
plugin_validation = pytest.importorskip("snakemake_executor_plugin_slurm.validation")


class _Resources(dict):
    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


def _sbatch_args(requirements: dict[str, Any]) -> list[str]:
    """The sbatch command line the Slurm executor plugin builds for these requirements."""
    res = _Resources(slurm.snakemake_resources(requirements))
    job = SimpleNamespace(resources=res, threads=slurm.snakemake_threads(requirements))
    plugin_validation.validate_slurm_extra(job)
    params = {
        "run_uuid": "RUN",
        "slurm_logfile": "LOG",
        "comment_str": "COMMENT",
        "account": "",
        "partition": f" -p {res['slurm_partition']}" if "slurm_partition" in res else "",
        "workdir": "",
    }
    settings = SimpleNamespace(requeue=True, no_requeue=False, qos=None, reservation=None)
    call = plugin_submit.get_submit_command(job, params, settings=settings)
    call += plugin_utils.set_gres_string(job)
    return shlex.split(call)


def test_full_3_0_slurm_requirements_give_these_sbatch_options() -> None:
    args = _sbatch_args(
        {
            "partition": "cpu-galvani",
            "request_cpus": 2,
            "request_gpus": 1,
            "memory_in_mb": 1000,
            "request_time": "00:04:00",
            "signal_seconds_to_timeout": 30,
            "forbidden_hostnames": ["bad1", "bad2"],
            "extra_submission_options": ["--gpu-freq=high"],
            "qos": "high",
            "constraint": "a100",
            "bid": 1000,
        }
    )
    assert args[0] == "sbatch"
    joined = " ".join(args)
    for expected in (
        "-p cpu-galvani",
        "-t 4",
        "--mem 1000",
        "--requeue",
        "--cpus-per-task=2",
        "--open-mode=append --exclude=bad1,bad2 --gpu-freq=high",
        "--gpus=1",
        "--qos=high",
        "-C a100",
    ):
        assert expected in joined, (expected, joined)
    assert not any(a.startswith("--signal") for a in args)


def test_cpu_only_job_gets_one_task() -> None:
    args = _sbatch_args({"partition": "debug", "request_cpus": 1, "memory_in_mb": 500})
    assert "--ntasks=1" in args
    assert "--cpus-per-task=1" in args
    assert not any(a.startswith("--gpus") for a in args)


# ------------------------------------------------------------ job-side hooks outside Slurm


def test_job_side_hooks_outside_slurm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    assert slurm.in_slurm_job() is False
    assert slurm.request_resume() is None
    assert slurm.arm_timeout_signal(1, 30) is None
    assert slurm.restart_count() == 0


def test_in_slurm_job_needs_a_job_of_the_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_JOB_ID", "123")
    monkeypatch.setenv("SLURM_JOB_NAME", "8b107e8b-7316-4ec8-97f2-2f1afc2b7ee6")
    assert slurm.in_slurm_job() is True
    monkeypatch.setenv("SLURM_JOB_NAME", "myprefix_8b107e8b-7316-4ec8-97f2-2f1afc2b7ee6")
    assert slurm.in_slurm_job() is True
    # someone's own interactive/batch job: not ours to requeue
    monkeypatch.setenv("SLURM_JOB_NAME", "bash")
    monkeypatch.setattr(slurm, "_job_fields", lambda job_id: {"JobName": "bash"})
    assert slurm.in_slurm_job() is False
    assert slurm.request_resume() is None


# ------------------------------------------- the workflow maps the requirements for every backend


def test_sbatch_options_do_not_break_the_rules_resources_for_other_backends() -> None:
    """The rule's resources hold every backend's mapping; extra_submission_options written for
    Slurm are no HTCondor submit lines nor qsub options (and vice versa), which only that
    backend's executor reports."""
    from cluster_utils.grid.snakemake_glue import MAPPING_ERRORS_RESOURCE, rule_resources
    from snakemake_executor_plugin_cluster_utils_slurm import _user_options

    res = rule_resources({"request_time": "5", "extra_submission_options": ["--qos=normal"]})
    assert res["slurm_extra_replacing"] == "--qos=normal" and res["runtime"] == 5
    assert "htcondor" in json.loads(res[MAPPING_ERRORS_RESOURCE])
    job = SimpleNamespace(resources=_Resources(res))
    _user_options.check_mapping(job)  # nothing wrong for Slurm

    res = rule_resources({"extra_submission_options": {"+MaxRunningPrice": "100"}})
    assert set(json.loads(res[MAPPING_ERRORS_RESOURCE])) == {"slurm", "pbs"}
    with pytest.raises(ValueError, match=r"cannot be used on Slurm: .*list of sbatch arguments"):
        _user_options.check_mapping(SimpleNamespace(resources=_Resources(res)))


def test_qos_account_and_constraint_are_valid_config_keys() -> None:
    from cluster_utils.config import check_config

    settings = {
        "optimization_procedure_name": "keys",
        "results_dir": "results",
        "script_relative_path": "job.py",
        "environment_setup": {},
        "hyperparam_list": [{"param": "x", "values": [1]}],
        "cluster_requirements": {"qos": "high", "account": "lab", "constraint": "a100|h100"},
    }
    assert check_config(settings, "grid_search") == []
    settings["cluster_requirements"]["qos"] = 3
    assert check_config(settings, "grid_search") != []
