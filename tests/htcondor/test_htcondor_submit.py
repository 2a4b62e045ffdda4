"""Golden tests of the HTCondor submission, without daemons.

Generated submit descriptions are expanded into job ClassAds with ``htcondor.Submit(text).jobs()``
(like ``condor_submit -dry-run``: bad expressions are rejected) and matched with
``job.symmetricMatch(machine)`` against machine ads written here (no pool needed). The backend is
used through its seam, ``get_backend("htcondor")``; the job wrapper and the executor's unmatched
check are imported from their modules.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cluster_utils.backends import get_backend
from cluster_utils.backends.htcondor import job_wrapper
from tests.helpers import REPO_ROOT

backend = get_backend("htcondor")
htcondor = pytest.importorskip("htcondor", reason="needs the htcondor bindings (htcondor<25)")
classad = pytest.importorskip("classad")
unmatched = pytest.importorskip("snakemake_executor_plugin_cluster_utils_htcondor._unmatched")
clauses = pytest.importorskip("snakemake_executor_plugin_cluster_utils_htcondor._clauses")

FULL = {
    "request_cpus": 2,
    "request_gpus": 1,
    "memory_in_mb": 4000,
    "cuda_requirement": "7.0",
    "gpu_memory_mb": 20000,
    "hostname_list": ["node1", "node2"],
    "forbidden_hostnames": ["node3"],
    "concurrency_limit_tag": "gpu",
    "concurrency_limit": 3,
    "bid": 1000,
    "extra_submission_options": {"+Foo": '"bar"', "priority": "5"},
    # Slurm-only keys are ignored
    "partition": "gpu-2080ti",
    "request_time": "1:00:00",
    "signal_seconds_to_timeout": 60,
}

GOLDEN_FULL = """\
# cluster_utils HTCondor job
executable = /bin/true
request_cpus = 2
request_gpus = 1
request_memory = 4000
requirements = TARGET.CUDACapability>=7.0 && TARGET.CUDAGlobalMemoryMb>=20000 && \
(UtsnameNodename =?= "node1" || UtsnameNodename =?= "node2") && UtsnameNodename =!= "node3"
+ConcurrencyLimits = "user.gpu:3333"
+ClusterUtilsBid = 1000
getenv = True
on_exit_hold = (ExitCode =?= 3)
on_exit_hold_reason = "cluster_utils: exit_for_resume, will resume"
on_exit_hold_subcode = 2
periodic_release = ((JobStatus =?= 5) && (HoldReasonCode =?= 3) && (HoldReasonSubCode =?= 2))
+Foo = "bar"
priority = 5
queue
"""


def job_ad(cluster_requirements: dict[str, Any]) -> Any:
    text = backend.submit_description(cluster_requirements, warnings=backend.OverrideWarnings())
    jobs = list(htcondor.Submit(text).jobs(count=1))
    assert len(jobs) == 1
    return jobs[0]


def machine(**overrides: Any) -> Any:
    """A slot ad like the localhost pool's: 8 CPUs, 8 GB, 2 simulated A100s (CUDA 8.0)."""
    attrs: dict[str, Any] = {
        "Name": "slot1@node1",
        "Machine": "node1",
        "UtsnameNodename": "node1",
        "Arch": "X86_64",
        "OpSys": "LINUX",
        "Cpus": 8,
        "Memory": 8192,
        "Disk": 10_000_000,
        "GPUs": 2,
        "CUDACapability": 8.0,
        "CUDAGlobalMemoryMb": 47661,
        "HasFileTransfer": True,
        "FileSystemDomain": "node1",
    }
    attrs.update(overrides)
    ad = classad.ClassAd(attrs)
    ad["Requirements"] = classad.ExprTree("true")
    return ad


def gpu_job(**cr: Any) -> Any:
    return job_ad({"request_cpus": 1, "request_gpus": 1, "memory_in_mb": 1000, **cr})


# --- mapping -------------------------------------------------------------------------------------


def test_resources_of_full_requirements() -> None:
    resources = backend.snakemake_resources(FULL)
    assert resources == {
        "request_cpus": 2,
        "request_gpus": 1,
        "request_memory": 4000,
        "requirements": "TARGET.CUDACapability>=7.0 && TARGET.CUDAGlobalMemoryMb>=20000 && "
        '(UtsnameNodename =?= "node1" || UtsnameNodename =?= "node2") && '
        'UtsnameNodename =!= "node3"',
        "classad_ConcurrencyLimits": "user.gpu:3333",
        "classad_ClusterUtilsBid": 1000,
        "cluster_utils_submit_extra": json.dumps(['+Foo = "bar"', "priority = 5"]),
    }


def test_submit_description_golden() -> None:
    assert backend.submit_description(FULL) == GOLDEN_FULL


def test_minimal_requirements() -> None:
    cr = {"request_cpus": 1, "request_gpus": 0, "memory_in_mb": 1000, "bid": 10}
    assert backend.snakemake_resources(cr) == {
        "request_cpus": 1,
        "request_gpus": 0,
        "request_memory": 1000,
        "classad_ClusterUtilsBid": 10,
    }
    assert backend.snakemake_resources({}) == {}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7.0", "TARGET.CUDACapability>=7.0"),
        (7.5, "TARGET.CUDACapability>=7.5"),
        (8, "TARGET.CUDACapability>=8"),
        ("<8.0", "TARGET.CUDACapability<8.0"),
        ("<=7.5", "TARGET.CUDACapability<=7.5"),
        (">=6", "TARGET.CUDACapability>=6"),
        (
            "TARGET.CUDACapability >= 5.0 && TARGET.CUDACapability <= 8.0",
            "TARGET.CUDACapability >= 5.0 && TARGET.CUDACapability <= 8.0",
        ),
    ],
)
def test_cuda_requirement_forms(value: Any, expected: str) -> None:
    assert backend.cuda_requirement_expr(value) == expected


def test_gpu_requirements_need_gpus() -> None:
    # as in 3.0: cuda_requirement and gpu_memory_mb only apply to jobs that request GPUs
    cr = {"request_gpus": 0, "cuda_requirement": "7.0", "gpu_memory_mb": 1000}
    assert backend.requirements_expr(cr) is None


def test_hostnames() -> None:
    assert backend.requirements_expr({"hostname_list": "node1"}) == '(UtsnameNodename =?= "node1")'
    assert backend.requirements_expr({"forbidden_hostnames": ["a", "b"]}) == (
        'UtsnameNodename =!= "a" && UtsnameNodename =!= "b"'
    )


@pytest.mark.parametrize(("limit", "tokens"), [(1, 10000), (2, 5000), (3, 3333), (10, 1000)])
def test_concurrency_limit_tokens(limit: int, tokens: int) -> None:
    cr = {"concurrency_limit_tag": "probe", "concurrency_limit": limit}
    assert backend.concurrency_limits(cr) == f"user.probe:{tokens}"
    assert job_ad(cr)["ConcurrencyLimits"] == f"user.probe:{tokens}"


def test_concurrency_limit_needs_tag_and_limit() -> None:
    assert backend.concurrency_limits({"concurrency_limit": 2}) is None
    assert backend.concurrency_limits({"concurrency_limit_tag": "x"}) is None
    with pytest.raises(ValueError, match="concurrency_limit"):
        backend.concurrency_limits({"concurrency_limit_tag": "x", "concurrency_limit": 0})


# --- the expanded job ad -------------------------------------------------------------------------


def test_job_ad_of_full_requirements() -> None:
    ad = job_ad(FULL)
    assert ad["RequestCpus"] == 2
    assert ad["RequestGPUs"] == 1
    assert ad["RequestMemory"] == 4000
    assert ad["ConcurrencyLimits"] == "user.gpu:3333"
    assert ad["ClusterUtilsBid"] == 1000
    assert ad["Foo"] == "bar"
    assert ad["JobPrio"] == 5
    requirements = str(ad.lookup("Requirements"))
    assert "CUDACapability" in requirements and "CUDAGlobalMemoryMb" in requirements


@pytest.mark.parametrize(
    "extra",
    [
        {"+Foo": '"bar"', "priority": 5, "rank": "TARGET.Memory"},
        ['+Foo = "bar"', "priority = 5", "rank = TARGET.Memory"],
        '+Foo = "bar"\npriority = 5\n# a comment\nrank = TARGET.Memory\n',
    ],
    ids=["dict", "list", "str"],
)
def test_extra_submission_options_forms(extra: Any) -> None:
    ad = job_ad({"extra_submission_options": extra})
    assert ad["Foo"] == "bar"
    assert ad["JobPrio"] == 5
    assert str(ad.lookup("Rank")) == "TARGET.Memory"


# --- extra_submission_options that set what the mapping sets: the user's value wins -----------

#: cluster_requirements whose translation sets request_cpus/gpus/memory, requirements and
#: ConcurrencyLimits; the executor adds getenv and the resume policy
MAPPED = {
    "request_cpus": 2,
    "request_gpus": 1,
    "memory_in_mb": 4000,
    "cuda_requirement": "7.0",
    "concurrency_limit_tag": "gpu",
    "concurrency_limit": 2,
}


def _requirements_replaced(ad: Any) -> bool:
    requirements = str(ad.lookup("Requirements"))
    return "CUDAGlobalMemoryMb >= 123" in requirements and "CUDACapability" not in requirements


#: (extra option key, its value, a check of the expanded job ad, the mapping's key it replaces)
OVERRIDES: list[tuple[str, str, Callable[[Any], bool], str]] = [
    ("request_memory", "8000", lambda ad: ad["RequestMemory"] == 8000, "request_memory"),
    ("request_cpus", "4", lambda ad: ad["RequestCpus"] == 4, "request_cpus"),
    ("request_gpus", "2", lambda ad: ad["RequestGPUs"] == 2, "request_gpus"),
    ("requirements", "TARGET.CUDAGlobalMemoryMb >= 123", _requirements_replaced, "requirements"),
    (
        "concurrency_limits",
        "user.other:100",
        lambda ad: ad["ConcurrencyLimits"] == "user.other:100",
        "+ConcurrencyLimits",
    ),
    ("getenv", "False", lambda ad: ad["Environment"] == "", "getenv"),
    ("on_exit_hold", "false", lambda ad: ad.eval("OnExitHold") is False, "on_exit_hold"),
    # other spellings of the same commands
    ("RequestMemory", "7000", lambda ad: ad["RequestMemory"] == 7000, "request_memory"),
    ("Request_Memory", "6000", lambda ad: ad["RequestMemory"] == 6000, "request_memory"),
    (
        "+ConcurrencyLimits",
        '"user.x:5"',
        lambda ad: ad["ConcurrencyLimits"] == "user.x:5",
        "+ConcurrencyLimits",
    ),
]


def warnings_into(messages: list[str]) -> Any:
    return backend.OverrideWarnings(messages.append)


@pytest.mark.parametrize("form", ["dict", "list", "str"])
@pytest.mark.parametrize(
    ("key", "value", "check", "replaced"),
    OVERRIDES,
    ids=[row[0] for row in OVERRIDES],
)
def test_extra_option_wins_over_the_mapping_with_a_warning(
    form: str, key: str, value: str, check: Callable[[Any], bool], replaced: str
) -> None:
    line = f"{key} = {value}"
    extra = {"dict": {key: value}, "list": [line], "str": f"# mine\n{line}\n"}[form]
    messages: list[str] = []
    text = backend.submit_description(
        {**MAPPED, "extra_submission_options": extra}, warnings=warnings_into(messages)
    )
    # passed through exactly as given, last, and the mapping's line for that key is gone
    assert text.endswith(f"\n{line}\nqueue\n")
    mapped_lines = text.splitlines()[:-2]
    assert not [kept for kept in mapped_lines if kept.startswith(f"{replaced} = ")]
    ad = next(iter(htcondor.Submit(text).jobs(count=1)))
    assert check(ad)
    assert len(messages) == 1
    assert f"sets {key} = {value}" in messages[0]
    assert f"replaces {replaced} = " in messages[0]


def test_extra_option_override_matches_pool_machines() -> None:
    """The user's requirements replace the mapping's (as 3.0's later .sub line did)."""
    extra = {"requirements": 'UtsnameNodename == "node1"', "request_memory": "100"}
    messages: list[str] = []
    text = backend.submit_description(
        {**MAPPED, "cuda_requirement": "9.0", "extra_submission_options": extra},
        warnings=warnings_into(messages),
    )
    ad = next(iter(htcondor.Submit(text).jobs(count=1)))
    assert ad.symmetricMatch(machine())  # CUDA 9.0 alone would never match
    assert not ad.symmetricMatch(machine(UtsnameNodename="node2"))
    assert [m.split(";")[0] for m in messages] == [
        'cluster_utils: extra_submission_options sets requirements = UtsnameNodename == "node1"',
        "cluster_utils: extra_submission_options sets request_memory = 100",
    ]


def test_extra_option_warning_once_per_key() -> None:
    messages: list[str] = []
    warnings = warnings_into(messages)
    cr = {**MAPPED, "extra_submission_options": {"request_memory": 1, "RequestGPUs": 0}}
    for _ in range(3):  # three jobs of one run
        backend.submit_description(cr, warnings=warnings)
    other = {**MAPPED, "extra_submission_options": ["request_memory = 2", "Request_GPUs = 3"]}
    backend.submit_description(other, warnings=warnings)  # other spellings: the same keys
    assert len(messages) == 2
    assert "sets request_memory = 1" in messages[0] and "sets RequestGPUs = 0" in messages[1]
    backend.submit_description(cr, warnings=warnings_into(fresh := []))  # a new run warns again
    assert len(fresh) == 2


def test_extra_option_without_conflict_does_not_warn() -> None:
    messages: list[str] = []
    extra = {"+Foo": '"bar"', "request_memory": "4000", "getenv": "True", "priority": 3}
    text = backend.submit_description(
        {**MAPPED, "extra_submission_options": extra}, warnings=warnings_into(messages)
    )
    assert messages == []  # new keys, or the same value as the mapping's
    assert text.count("request_memory = ") == 1


def test_extra_option_warning_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    cr = {"memory_in_mb": 1000, "extra_submission_options": "request_memory = 2 GB"}
    with caplog.at_level("WARNING"):
        backend.submit_description(cr, warnings=backend.OverrideWarnings())
    (record,) = [r for r in caplog.records if "extra_submission_options" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "sets request_memory = 2 GB; it replaces request_memory = 1000" in record.getMessage()


def test_executor_completes_the_plugins_submit_dict() -> None:
    """The path our executor takes: the plugin's dict (request_cpus from threads, classad_X as
    quoted +X), completed in place, then submitted as a dict."""
    cr = {**MAPPED, "extra_submission_options": {"concurrency_limits": "user.b:10", "+Foo": 1}}
    resources = backend.snakemake_resources(cr)
    submit_dict: dict[str, Any] = {
        "executable": sys.executable,
        "arguments": "-m snakemake --version",
        "request_cpus": "1",
        "request_memory": resources["request_memory"],
        "+ConcurrencyLimits": f'"{resources["classad_ConcurrencyLimits"]}"',
    }
    messages: list[str] = []
    backend.complete_submit_commands(
        submit_dict, resources, resume=True, warnings=warnings_into(messages)
    )
    assert "+ConcurrencyLimits" not in submit_dict
    ad = next(iter(htcondor.Submit(submit_dict).jobs(count=1)))
    assert ad["ConcurrencyLimits"] == "user.b:10"
    assert ad["RequestCpus"] == 2 and ad["RequestMemory"] == 4000 and ad["Foo"] == 1
    assert len(messages) == 1 and 'replaces +ConcurrencyLimits = "user.gpu:5000"' in messages[0]


def test_extra_option_line_continuation() -> None:
    extra = 'requirements = TARGET.Memory > 10 \\\n  && TARGET.Cpus > 0\n+Foo = "bar"'
    lines = backend.snakemake_resources({"extra_submission_options": extra})
    assert json.loads(lines[backend.EXTRA_SUBMIT_RESOURCE]) == [
        "requirements = TARGET.Memory > 10   && TARGET.Cpus > 0",
        '+Foo = "bar"',
    ]


@pytest.mark.parametrize("extra", ["queue 3", "not a submit line"])
def test_bad_extra_submission_options(extra: str) -> None:
    with pytest.raises(ValueError, match="extra_submission_options"):
        backend.snakemake_resources({"extra_submission_options": [extra]})


def test_resume_policy_expressions() -> None:
    ad = job_ad({})
    for exit_code, held in ((3, True), (0, False), (1, False)):
        ad["ExitCode"] = exit_code
        assert ad.eval("OnExitHold") is held
    assert ad["OnExitHoldSubCode"] == backend.RESUME_HOLD_SUBCODE
    ad.update({"JobStatus": 5, "HoldReasonCode": 3, "HoldReasonSubCode": 2})
    assert ad.eval("PeriodicRelease") is True
    ad["HoldReasonSubCode"] = 0  # held for another reason: stays held
    assert ad.eval("PeriodicRelease") is False
    assert "OnExitHold" not in job_ad_without_resume()


def job_ad_without_resume() -> Any:
    text = backend.submit_description({}, resume=False)
    return next(iter(htcondor.Submit(text).jobs(count=1)))


# --- matching against fake machines --------------------------------------------------------------


def test_cuda_capability_match() -> None:
    assert gpu_job(cuda_requirement="7.0").symmetricMatch(machine())
    assert gpu_job(cuda_requirement=8.0).symmetricMatch(machine())
    assert not gpu_job(cuda_requirement="9.0").symmetricMatch(machine())
    assert gpu_job(cuda_requirement="<9").symmetricMatch(machine())
    assert not gpu_job(cuda_requirement="<=7.5").symmetricMatch(machine())
    assert not gpu_job(cuda_requirement="7.0").symmetricMatch(machine(GPUs=0))


def test_gpu_memory_match() -> None:
    assert gpu_job(gpu_memory_mb=40000).symmetricMatch(machine())
    assert not gpu_job(gpu_memory_mb=50000).symmetricMatch(machine())


def test_hostname_match() -> None:
    allowed = job_ad({"hostname_list": ["node1", "node2"]})
    assert allowed.symmetricMatch(machine())
    assert not allowed.symmetricMatch(machine(UtsnameNodename="node9"))
    forbidden = job_ad({"forbidden_hostnames": ["node1"]})
    assert not forbidden.symmetricMatch(machine())
    assert forbidden.symmetricMatch(machine(UtsnameNodename="node2"))


def test_memory_and_cpus_match() -> None:
    assert not job_ad({"memory_in_mb": 9000}).symmetricMatch(machine())
    assert not job_ad({"request_cpus": 16}).symmetricMatch(machine())


def test_unmatched_reason_uses_full_capacity() -> None:
    # a busy partitionable slot (no free CPUs/GPUs now) can still run the job later
    busy = machine(Cpus=0, GPUs=0, TotalSlotCpus=8, TotalSlotGPUs=2, TotalSlotMemory=8192)
    assert unmatched.unmatched_reason(gpu_job(cuda_requirement="7.0"), [busy]) is None
    reason = unmatched.unmatched_reason(gpu_job(cuda_requirement="9.0"), [busy, machine()])
    assert reason is not None and "CUDACapability" in reason
    assert unmatched.unmatched_reason(job_ad({}), []) is not None


def test_requirement_clauses() -> None:
    expr = '(A >= 9.0 && B) && (TARGET.Arch == "X&&(86") && ((C) || (D && E))'
    assert clauses.requirement_clauses(expr) == [
        "A >= 9.0",
        "B",
        'TARGET.Arch == "X&&(86"',
        "(C) || (D && E)",
    ]
    assert clauses.requirement_clauses("((A))") == ["A"]


def test_unmatched_reason_names_the_requirements_no_machine_meets() -> None:
    busy = machine(Cpus=0, GPUs=0, TotalSlotCpus=8, TotalSlotGPUs=2, TotalSlotMemory=8192)
    reason = unmatched.unmatched_reason(gpu_job(cuda_requirement="9.0"), [busy, machine()])
    assert reason is not None
    assert "no machine satisfies TARGET.CUDACapability >= 9" in reason
    assert "(the machines have CUDACapability = 8.0)" in reason
    assert "Memory" not in reason.split("; Requirements")[0]  # that clause is met
    hosts = job_ad({"hostname_list": ["a", "b"]})
    reason = unmatched.unmatched_reason(hosts, [machine()])
    assert reason is not None
    assert 'UtsnameNodename is "a" || UtsnameNodename is "b"' in reason
    assert "(the machines have UtsnameNodename = node1)" in reason
    memory = unmatched.unmatched_reason(job_ad({"memory_in_mb": 9000}), [busy])
    assert memory is not None
    assert "TARGET.Memory >= RequestMemory (the machines have Memory = 8192)" in memory


# --- job side ------------------------------------------------------------------------------------


def test_request_resume_outside_the_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(backend.RESUME_FILE_ENV, raising=False)
    monkeypatch.delenv("_CONDOR_JOB_AD", raising=False)
    assert not backend.in_htcondor_job()
    assert backend.request_resume() is None


def test_request_resume_under_the_wrapper(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    marker = tmp_path / "scratch" / "resume-requested"
    monkeypatch.setenv(backend.RESUME_FILE_ENV, str(marker))
    assert backend.in_htcondor_job()
    assert backend.request_resume() == backend.RESUME_EXIT_CODE
    assert marker.exists()


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        # the runner asked to be resumed, the Snakemake sub-run then failed with 1
        (
            "import os, pathlib; pathlib.Path(os.environ['{env}']).write_text('x'); "
            "raise SystemExit(1)",
            backend.RESUME_EXIT_CODE,
        ),
        ("raise SystemExit(0)", 0),
        ("raise SystemExit(5)", 5),
        # a plain exit code 3 without a request is a failure, never a resume
        ("raise SystemExit(3)", 1),
    ],
)
def test_job_wrapper_exit_codes(
    child: str, expected: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("_CONDOR_SCRATCH_DIR", str(tmp_path))
    code = job_wrapper.main(["-c", child.replace("{env}", backend.RESUME_FILE_ENV)])
    assert code == expected
    assert list(tmp_path.iterdir()) == []  # the marker directory is cleaned up


def test_wrapper_runs_as_module(tmp_path: Path) -> None:
    """The job's command line, as our executor writes it; ``-W error``: the package must not
    import the wrapper module before ``python -m`` runs it (that warns)."""
    import subprocess

    wrapper_args = backend.WRAPPER_ARGUMENTS.split()
    result = subprocess.run(
        [sys.executable, "-W", "error", *wrapper_args, "-c", "print('hi')"],
        capture_output=True,
        text=True,
        check=False,
        env={"_CONDOR_SCRATCH_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hi\n"


# --- executor -------------------------------------------------------------------------------------


def test_status_check_before_post_init_is_harmless() -> None:
    """Snakemake's status thread calls check_active_jobs([]) before __post_init__ has run."""
    import asyncio

    pytest.importorskip("snakemake_executor_plugin_htcondor")
    from snakemake_executor_plugin_cluster_utils_htcondor import Executor

    executor = Executor.__new__(Executor)  # no __init__/__post_init__: no attributes yet

    async def collect() -> list[Any]:
        return [job async for job in executor.check_active_jobs([])]

    assert asyncio.run(collect()) == []
