"""The parts of adopting an earlier run's HTCondor jobs, without daemons: the job ad attributes a
runner job is submitted with, the ``condor_q`` constraint that finds them again and reading its
answer (the "already finished" rule is shared: tests/runner/test_finished_rule.py). The whole
story runs on the localhost pool in test_htcondor_adopt.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

htcondor = pytest.importorskip("htcondor", reason="needs the htcondor bindings (htcondor<25)")
classad = pytest.importorskip("classad")
adopt = pytest.importorskip("snakemake_executor_plugin_cluster_utils_htcondor._adopt")

#: a path with characters a ClassAd string has to escape
ODD_PATH = Path('/data/my "runs"/back\\slash/exp')


def job_ad(submit: dict[str, str]) -> classad.ClassAd:
    return next(iter(htcondor.Submit({"executable": "/bin/true", **submit}).jobs(count=1)))


def test_runner_jobs_carry_their_experiment_and_job_id() -> None:
    ad = job_ad(adopt.submit_attributes(Path("/data/runs/exp"), 7))
    assert ad[adopt.EXPERIMENT_ATTRIBUTE] == "/data/runs/exp"
    assert ad[adopt.JOB_ID_ATTRIBUTE] == 7
    # characters that ClassAd strings escape are percent-encoded
    ad = job_ad(adopt.submit_attributes(ODD_PATH, 7))
    assert ad[adopt.EXPERIMENT_ATTRIBUTE] == "/data/my %22runs%22/back%5Cslash/exp"
    assert adopt.experiment_key(Path("/a%b")) == "/a%25b"


def test_experiment_is_recorded_as_an_absolute_real_path(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    ad = job_ad(adopt.submit_attributes(tmp_path / "link", 1))
    assert ad[adopt.EXPERIMENT_ATTRIBUTE] == str((tmp_path / "real").resolve())


@pytest.mark.parametrize(
    ("experiment", "status", "found"),
    [
        (ODD_PATH, 1, True),  # idle
        (ODD_PATH, 2, True),  # running
        (ODD_PATH, 5, True),  # held
        (ODD_PATH, 6, True),  # transferring output
        (ODD_PATH, 7, True),  # suspended
        (ODD_PATH, 3, False),  # removed
        (ODD_PATH, 4, False),  # completed
        (ODD_PATH / "other", 1, False),
        (ODD_PATH.parent, 1, False),
    ],
)
def test_the_queue_query_finds_only_this_experiments_jobs_that_may_still_run(
    experiment: Path, status: int, found: bool
) -> None:
    ad = job_ad(adopt.submit_attributes(experiment, 3))
    ad["JobStatus"] = status
    command = adopt.queue_command(ODD_PATH)
    constraint = command[command.index("-constraint") + 1]
    assert classad.ExprTree(constraint).eval(ad) is found


def test_a_job_without_the_attributes_is_never_found() -> None:
    ad = job_ad({})
    ad["JobStatus"] = 1
    command = adopt.queue_command(ODD_PATH)
    assert classad.ExprTree(command[command.index("-constraint") + 1]).eval(ad) is False


def test_parse_queue_keeps_the_newest_job_first_and_skips_foreign_ads() -> None:
    answer = [
        {"ClusterId": 12, "JobStatus": 1, "ClusterUtilsJobId": 3, "Iwd": "/e", "UserLog": "l"},
        {"ClusterId": 15, "JobStatus": 2, "ClusterUtilsJobId": 3, "Iwd": "/e", "UserLog": "/x/l"},
        {"ClusterId": 13, "JobStatus": 5, "ClusterUtilsJobId": 4},
        {"ClusterId": 14, "JobStatus": 1},  # no job id: not ours
    ]
    queued = adopt.parse_queue(json.dumps(answer))
    assert sorted(queued) == [3, 4]
    assert [j.cluster_id for j in queued[3]] == [15, 12]
    assert queued[3][0].status_name == "running" and queued[3][0].user_log == "/x/l"
    assert queued[3][1].user_log == "/e/l"  # relative to the job's Iwd
    assert queued[4] == [adopt.QueuedJob(13, 4, 5, None)]
    assert adopt.parse_queue("") == {}
