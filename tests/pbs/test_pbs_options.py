"""cluster_requirements -> qsub options, the user's options in place of ours, config errors before
anything is submitted, and reading ``qstat -x -f -t`` (no PBS daemons needed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from cluster_utils.backends import get_backend
from cluster_utils.config.key_reference import config_keys
from cluster_utils.execution.profiles import ProfileError, check_cluster_requirements
from snakemake_executor_plugin_cluster_utils_pbs import _arrays, _status, _user_options

pbs = get_backend("pbs")


def test_requirements_become_a_select_statement_walltime_and_queue() -> None:
    res = pbs.snakemake_resources(
        {
            "request_cpus": 4,
            "memory_in_mb": 8000,
            "request_gpus": 2,
            "request_time": "1-02:03:04",
            "queue": "long",
            "hostname_list": ["node7"],
        }
    )
    assert res[pbs.SELECT_RESOURCE] == "1:ncpus=4:mem=8000mb:ngpus=2:host=node7"
    assert res[pbs.WALLTIME_RESOURCE] == "26:03:04"
    assert res[pbs.QUEUE_RESOURCE] == "long" and pbs.QUEUE_FROM_PARTITION_RESOURCE not in res
    assert pbs.snakemake_resources({})[pbs.SELECT_RESOURCE] == "1:ncpus=1"


@pytest.mark.parametrize(
    ("request_time", "walltime"),
    [(90, "01:30:00"), ("90", "01:30:00"), ("1:30", "00:01:30"), ("2:00:00", "02:00:00")],
)
def test_request_time_in_3_0_formats(request_time: object, walltime: str) -> None:
    assert pbs.walltime(request_time) == walltime


def test_partition_is_the_queue_and_says_so(capsys) -> None:
    res = pbs.snakemake_resources({"partition": "gpu"})
    assert res[pbs.QUEUE_RESOURCE] == "gpu" and res[pbs.QUEUE_FROM_PARTITION_RESOURCE]
    assert pbs.snakemake_resources({"partition": "a", "queue": "b"})[pbs.QUEUE_RESOURCE] == "b"
    # said on the terminal, once, before anything is submitted (not only in snakemake.log)
    check_cluster_requirements("cluster-utils-pbs", {"cluster_requirements": {"partition": "gpu"}})
    assert capsys.readouterr().err.count("partition is used as the PBS queue (qsub -q)") == 1
    check_cluster_requirements("cluster-utils-pbs", {"cluster_requirements": {"queue": "gpu"}})
    assert "partition" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("requirements", "message"),
    [
        ({"forbidden_hostnames": ["n1"]}, "forbidden_hostnames: PBS cannot keep a job off"),
        ({"request_time": "soon"}, "request_time 'soon' is not a Slurm time"),
        ({"request_cpus": 1.5}, "request_cpus must be an integer"),
        ({"queue": "a,b"}, "queue: 'a,b' is not one PBS queue name"),
        ({"extra_submission_options": ["--gpu-freq=high"]}, "extra_submission_options: '--gpu"),
        ({"extra_submission_options": ["-J", "1-3"]}, "extra_submission_options: '-J 1-3'"),
        ({"extra_submission_options": ["-o", "x.log"]}, "would replace the job's log file"),
        ({"extra_submission_options": {"+Bid": 3}}, "list of qsub arguments"),
    ],
)
def test_what_pbs_would_refuse_is_a_config_error_naming_the_key(
    requirements: dict, message: str
) -> None:
    with pytest.raises(ValueError, match="cluster_requirements") as error:
        pbs.snakemake_resources(requirements)
    assert message in str(error.value)
    with pytest.raises(ProfileError, match="cluster-utils-pbs"):
        check_cluster_requirements("cluster-utils-pbs", {"cluster_requirements": requirements})
    check_cluster_requirements("cluster-utils-slurm", {"cluster_requirements": requirements})


def test_several_hosts_3_0_accepted_are_a_warning_and_left_out(capsys) -> None:
    """3.0's own examples carry a hostname_list of twelve hosts (its Slurm backend ignored it):
    on PBS the jobs go to any host, with one warning naming the key; strict makes it an error."""
    requirements = {"hostname_list": ["g018", "g025"], "request_cpus": 1}
    assert pbs.snakemake_resources(requirements)[pbs.SELECT_RESOURCE] == "1:ncpus=1"
    check_cluster_requirements("cluster-utils-pbs", {"cluster_requirements": requirements})
    err = capsys.readouterr().err
    assert err.count("warning: cluster_requirements.hostname_list: PBS can place") == 1
    for settings, strict in (({}, True), ({"strict_config": True}, False)):
        with pytest.raises(ProfileError, match="hostname_list: PBS can place a job on one named"):
            check_cluster_requirements(
                "cluster-utils-pbs",
                {"cluster_requirements": requirements, **settings},
                strict=strict,
            )


def test_the_options_reference_says_what_pbs_does_with_the_host_keys() -> None:
    """``cluster-utils options --backend pbs`` shows each key's first sentence: it must not leave
    a PBS user believing forbidden_hostnames is merely ignored there."""
    keys = {key.path: key for key in config_keys(["grid_search"])}
    assert "a config error on PBS" in keys["cluster_requirements.forbidden_hostnames"].meaning
    hostname_list = keys["cluster_requirements.hostname_list"].meaning
    assert "on PBS only one" in hostname_list and "warning" in hostname_list


class _Resources(dict):
    def get(self, key, default=None):
        return super().get(key, default)


def _job(requirements: dict) -> SimpleNamespace:
    return SimpleNamespace(resources=_Resources(pbs.snakemake_resources(requirements)), threads=1)


def test_user_options_replace_ours_with_one_warning_per_kind(caplog) -> None:
    job = _job(
        {
            "request_time": "10",
            "memory_in_mb": 100,
            "queue": "short",
            "extra_submission_options": ["-l", "walltime=00:00:08", "-q", "long", "-P", "proj"],
        }
    )
    ours = ["qsub", "-N", "x", *_user_options.derived_options(job)]
    assert ours[3:] == [
        "-q", "short", "-l", "select=1:ncpus=1:mem=100mb", "-l", "walltime=00:10:00", "-V",
        "-P", "proj",
    ]  # fmt: skip
    reported: set[str] = set()
    import logging

    logger = logging.getLogger("test_pbs_options")
    merged = _user_options.apply(ours, job, reported, logger)
    assert merged == [
        "qsub", "-N", "x", "-l", "select=1:ncpus=1:mem=100mb", "-V", "-P", "proj",
        "-l", "walltime=00:00:08", "-q", "long",
    ]  # fmt: skip
    assert reported == {"walltime", "queue"}
    _user_options.apply(ours, job, reported, logger)
    warnings = [r.message for r in caplog.records if "replaces" in r.message]
    assert len(warnings) == 2  # once per kind and run


def test_jobs_of_other_workflows_use_snakemakes_standard_resources() -> None:
    job = SimpleNamespace(resources=_Resources({"mem_mb": 500, "runtime": 90}), threads=2)
    assert _user_options.derived_options(job) == [
        "-l", "select=1:ncpus=2:mem=500mb", "-l", "walltime=01:30:00", "-V",
    ]  # fmt: skip


def test_array_scripts_subjob_ids_and_sizes() -> None:
    argv = ["/py", "-m", "cluster_utils.runner", "/exp", "3"]
    script = _arrays.array_script([_arrays.job_command(argv, ""), "echo other"], "/work dir")
    assert "cd '/work dir' || exit 1" in script
    assert "0) exec /py -m cluster_utils.runner /exp 3 ;;" in script
    assert "1) echo other ;;" in script and "PBS_ARRAY_INDEX" in script
    single = _arrays.array_script(["echo one"], "/w")
    assert "case" not in single and single.rstrip().endswith("echo one")
    assert _arrays.array_option(1) == [] and _arrays.array_option(3) == ["-J", "0-2"]
    assert _arrays.subjob_id("12[].srv", 4) == "12[4].srv"
    assert _arrays.subjob_id("13.srv", 0) == "13.srv"
    assert _arrays.parent_of("12[4].srv") == "12[].srv" and _arrays.parent_of("13.srv") == "13.srv"


#: real ``qstat -x -f -t`` output of OpenPBS 23.06 (trimmed): long values go on after a tab
QSTAT_FULL = """Job Id: 7[].pbshost
    Job_Name = cu_run_job
    job_state = F
    Resource_List.walltime = 00:00:08
    Variable_List = PBS_O_HOME=/root,PBS_O_LANG=C.UTF-8,
\tPBS_O_PATH=/opt/pbs/bin:/usr/bin,
\tCLUSTER_UTILS_PBS_RUN=6372bd75
    comment = Job Array Began at Sun Dec 06 at 20:15 and failed
    Exit_status = 0

Job Id: 7[0].pbshost
    resources_used.walltime = 00:00:01
    job_state = F
    exec_host = pbshost/0
    Resource_List.walltime = 00:00:08
    comment = Job run at Sun Dec 06 at 20:15 on (pbshost:ncpus=1:mem=204800kb)<SP>
\tand finished
    Exit_status = 0

Job Id: 7[3].pbshost
    resources_used.walltime = 00:00:11
    job_state = F
    Resource_List.walltime = 00:00:08
    comment = Job run at Sun Dec 06 at 20:15 on (pbshost:ncpus=1:mem=204800kb)<SP>
\tand exceeded resource walltime
    Exit_status = -29

Job Id: 3[0].pbshost
    resources_used.walltime = 00:00:04
    job_state = F
    comment = Job run at Sun Dec 06 at 20:09 on (pbshost:ncpus=1) and terminated by root@pbshost
    Exit_status = 0

Job Id: 3[1].pbshost
    job_state = X
    comment = Subjob finished
    Exit_status = 0

Job Id: 9.pbshost
    job_state = R
    exec_host = pbshost/1
""".replace("<SP>", " ")  # the wrapped line ends with a space


def test_reading_qstat_full_output() -> None:
    statuses = _status.parse_qstat(QSTAT_FULL)
    assert statuses["7[0].pbshost"].succeeded
    assert statuses["7[0].pbshost"].comment.endswith("(pbshost:ncpus=1:mem=204800kb) and finished")
    walltime = statuses["7[3].pbshost"]
    assert not walltime.active and not walltime.succeeded and walltime.exit_status == -29
    reason = _status.failure_reason(walltime)
    assert reason.startswith("exceeded request_time (PBS walltime of 00:00:08; PBS job 7[3]")
    # a deleted subjob shows exit status 0: deleted, not succeeded
    for deleted in ("3[0].pbshost", "3[1].pbshost"):
        assert not statuses[deleted].succeeded
        assert _status.failure_reason(statuses[deleted]).startswith("deleted (qdel)")
    assert statuses["9.pbshost"].active


@pytest.mark.parametrize(
    ("exit_status", "reason"),
    [(1, "exited with code 1"), (265, "killed by signal 9"), (-27, "exceeded memory_in_mb")],
)
def test_failure_reasons(exit_status: int, reason: str) -> None:
    status = _status.JobStatus("5.srv", "F", exit_status, "Job run at ... and failed", ran=True)
    assert _status.failure_reason(status).startswith(reason)


def test_the_pbs_profile_is_bundled_and_installed(tmp_path: Path) -> None:
    from cluster_utils.cli.install_profiles import install_profiles
    from cluster_utils.execution.profiles import profile_executor, resolve_profile

    assert profile_executor(resolve_profile("pbs")) == "cluster-utils-pbs"
    outcomes = {o.name: o.action for o in install_profiles(tmp_path)}
    assert outcomes["pbs"] == "installed"
    assert (tmp_path / "pbs" / "config.yaml").read_text() == (
        resolve_profile("pbs") / "config.yaml"
    ).read_text()
