"""A job the PBS server no longer knows (it ended while the server was down, which then kept no
history of it): after UNKNOWN_CYCLES status cycles it counts as its runner recorded it, else as
failed."""

from __future__ import annotations

import threading
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cluster_utils.experiment import job_state
from cluster_utils.experiment.layout import ExperimentLayout

executor_module = pytest.importorskip("snakemake_executor_plugin_cluster_utils_pbs._executor")


def _executor() -> Any:
    fake = SimpleNamespace(
        _unknown_cycles={},
        _lock=threading.Lock(),
        _in_flight=set(),
        reported=[],
        report_job_success=lambda info: fake.reported.append((info.external_jobid, "ok")),
        report_job_error=lambda info, msg=None, **kw: fake.reported.append(
            (info.external_jobid, msg)
        ),
        _remove_log=lambda info: None,
    )
    fake._lost = types.MethodType(executor_module.Executor._lost, fake)
    return fake


def _job(experiment: Path, job_id: int) -> SimpleNamespace:
    argv = ["/venv/bin/python", "-m", "cluster_utils.runner", str(experiment), str(job_id)]
    return SimpleNamespace(
        external_jobid=f"{30 + job_id}.pbshost", aux={"cluster_utils_argv": argv}
    )


def _record_finished(experiment: Path, job_id: int) -> None:
    layout = ExperimentLayout.at(experiment)
    status = layout.status_dir(job_state.SUCCEEDED)
    status.mkdir(parents=True, exist_ok=True)
    (status / str(job_id)).touch()
    layout.done_marker(job_id).parent.mkdir(parents=True, exist_ok=True)
    layout.done_marker(job_id).touch()


def test_a_lost_job_its_runner_recorded_finished_succeeds(tmp_path: Path) -> None:
    executor = _executor()
    finished, unrecorded = _job(tmp_path, 0), _job(tmp_path, 1)
    _record_finished(tmp_path, 0)
    for _ in range(executor_module.UNKNOWN_CYCLES - 1):
        assert executor._lost(finished) is None  # it may still show up
        assert executor._lost(unrecorded) is None
    assert executor.reported == []
    assert "its runner recorded it finished" in executor._lost(finished)
    assert "no longer knows" in executor._lost(unrecorded)
    assert executor.reported[0] == ("30.pbshost", "ok")
    assert executor.reported[1][0] == "31.pbshost"
    assert executor.reported[1][1].startswith("PBS no longer knows job 31.pbshost")
