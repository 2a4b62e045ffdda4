"""Fixtures of the hp_optimization tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.hpo.hpo_helpers import FN_JOB


@pytest.fixture
def hpo_workdir(tmp_path: Path) -> Path:
    """A working directory with the pre_job_script the 3.0 example configs name."""
    os.environ.setdefault("CLUSTER_UTILS_LOG_LEVEL", "warning")
    pre_job = tmp_path / "examples" / "basic" / "pre_job_script.sh"
    pre_job.parent.mkdir(parents=True)
    pre_job.write_text("#!/bin/sh\necho pre-job script ran\n")
    pre_job.chmod(0o755)
    shutil.copy(FN_JOB, tmp_path / "fn_job.py")
    return tmp_path
