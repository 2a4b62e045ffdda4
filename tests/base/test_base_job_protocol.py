"""The job -> runner file protocol of docs/results_layout.md."""

from __future__ import annotations

import enum
import json
import os

import pytest

from cluster_utils.base import job_protocol as jp


def test_file_names():
    assert jp.PROTOCOL_DIR == ".cluster_utils"
    assert jp.EARLY_RESULTS_FILE == "early_results.json"
    assert jp.PROGRESS_FILE == "progress.json"
    assert jp.RESUME_REQUEST_FILE == "resume_request.json"
    assert jp.FINAL_METRICS_FILE == "final_metrics.json"
    assert jp.protocol_file("wd", "x.json") == jp.Path("wd/.cluster_utils/x.json")


def test_runner_environment():
    env = jp.runner_environment(7)
    assert env == {"CLUSTER_UTILS_RUNNER": "1", "CLUSTER_UTILS_JOB_ID": "7"}
    assert jp.started_by_runner(env)
    assert jp.runner_job_id(env) == "7"
    assert not jp.started_by_runner({})
    assert jp.runner_job_id({}) is None


def test_nothing_written_reads_none(tmp_path):
    assert jp.read_early_results(tmp_path) is None
    assert jp.read_progress(tmp_path) is None
    assert jp.read_resume_request(tmp_path) is None
    assert jp.read_final_metrics(tmp_path) is None
    assert jp.clear_resume_request(tmp_path) is False


def test_write_and_read(tmp_path):
    jp.write_early_results(tmp_path, {"loss": 1.0})
    jp.write_early_results(tmp_path, {"loss": 0.5})
    jp.write_progress(tmp_path, 0.25)
    jp.write_resume_request(tmp_path)
    jp.write_final_metrics(tmp_path, {"result": 2.0, "time_elapsed": 1.5})

    early = jp.read_early_results(tmp_path)
    assert early["metrics"] == {"loss": 0.5} and isinstance(early["time"], float)
    assert jp.read_progress(tmp_path)["fraction_finished"] == 0.25
    assert set(jp.read_resume_request(tmp_path)) == {"time"}
    assert jp.read_final_metrics(tmp_path)["metrics"] == {"result": 2.0, "time_elapsed": 1.5}
    assert jp.clear_resume_request(tmp_path) is True
    assert jp.read_resume_request(tmp_path) is None
    assert sorted(os.listdir(tmp_path / ".cluster_utils")) == [
        "early_results.json",
        "final_metrics.json",
        "progress.json",
    ]


def test_atomic_write_json(tmp_path):
    class Color(enum.Enum):
        RED = 1

    class Scalar:
        def item(self):
            return 3

    path = tmp_path / "sub" / "x.json"
    jp.atomic_write_json(path, {"a": Scalar(), "b": Color.RED, "c": (1, 2), "d": object})
    assert json.loads(path.read_text()) == {"a": 3, "b": "RED", "c": [1, 2], "d": str(object)}
    jp.atomic_write_json(path, {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.listdir(path.parent) == ["x.json"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "x.json"
    jp.atomic_write_json(path, {"a": 1})

    class Boom:
        def __str__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        jp.atomic_write_json(path, {"a": Boom()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["x.json"]


def test_corrupt_file_reads_none(tmp_path):
    path = jp.protocol_file(tmp_path, jp.PROGRESS_FILE)
    path.parent.mkdir()
    path.write_text("{not json")
    assert jp.read_progress(tmp_path) is None
    path.write_text("[1]")
    assert jp.read_progress(tmp_path) is None
