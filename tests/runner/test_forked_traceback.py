"""A forked job's traceback looks as under ``python script.py``: it starts at the user's frames,
without runpy's (``<frozen runpy>``) or the runner's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import Experiment

FAILING_SCRIPT = """
def train():
    raise ValueError("the loss is nan")

train()
"""


#: runs a script as the runner does (forked, stdio on files), in a process of its own
FORK_RUNNER = """
import os, sys
from cluster_utils.runner.forked_job import start_forked
script, stderr = sys.argv[1:]
err = os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
out = os.open(os.devnull, os.O_WRONLY)
job = start_forked(script, "params.json", os.path.dirname(script), dict(os.environ), out, err)
sys.exit(job.wait(timeout=30))
"""


def _forked_stderr(script: Path) -> tuple[int, str]:
    stderr = script.with_suffix(".err")
    run = [sys.executable, "-c", FORK_RUNNER, str(script), str(stderr)]
    code = subprocess.run(run, timeout=60).returncode
    return code, stderr.read_text()


def _interpreter_stderr(script: Path) -> str:
    run = [sys.executable, str(script), "params.json"]
    return subprocess.run(run, cwd=script.parent, capture_output=True, text=True).stderr


@pytest.mark.parametrize("body", [FAILING_SCRIPT, "x = (\n"], ids=["exception", "syntax error"])
def test_forked_traceback_is_the_interpreters(tmp_path: Path, body: str) -> None:
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(body))
    code, stderr = _forked_stderr(script)
    assert code == 1
    assert "<frozen runpy>" not in stderr and "cluster_utils" not in stderr
    assert stderr == _interpreter_stderr(script)


def test_chained_exceptions_keep_their_own_frames(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(
        "try:\n    {}['lr']\n"
        "except KeyError as error:\n    raise RuntimeError('no lr') from error\n"
    )
    code, stderr = _forked_stderr(script)
    assert code == 1
    assert stderr == _interpreter_stderr(script)
    assert "KeyError: 'lr'" in stderr and "RuntimeError: no lr" in stderr


@pytest.mark.slow
def test_failure_tail_starts_at_the_users_frame(experiment: Experiment) -> None:
    experiment.write_script(
        "from cluster_utils import initialize_job\nparams = initialize_job()\n" + FAILING_SCRIPT
    )
    experiment.write_config([{"param": "x", "values": [1]}])
    result = experiment.run()
    assert "job 0 failed" in result.stderr, result.stderr
    tail = experiment.state(0)["stderr_tail"].splitlines()
    assert tail[0] == "Traceback (most recent call last):"
    assert tail[1].startswith(f'  File "{experiment.workdir / "job.py"}", line ')
    assert tail[-1] == "ValueError: the loss is nan"
    assert not [line for line in tail if "runpy" in line or "cluster_utils/runner" in line]
