"""Fixtures for the job-side API tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster_utils.base import job_protocol
from cluster_utils.client import submission_state


@pytest.fixture(autouse=True)
def fresh_job(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts like a new job process: clean state, not under the runner, CWD tmp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(job_protocol.ENV_RUNNER, raising=False)
    monkeypatch.delenv(job_protocol.ENV_JOB_ID, raising=False)
    for name, value in vars(submission_state).copy().items():
        if not name.startswith("__"):
            monkeypatch.setattr(submission_state, name, value)
    monkeypatch.setattr(submission_state, "working_dir", None)
    monkeypatch.setattr(submission_state, "params", None)
    monkeypatch.setattr(submission_state, "job_id", None)
