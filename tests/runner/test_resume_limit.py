"""exit_for_resume has a limit (max_resumes), local resumes back off, state.json stays small."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from cluster_utils.experiment.job_state import MAX_KEPT_ATTEMPTS, Attempt, JobState
from cluster_utils.experiment.launch_spec import DEFAULT_MAX_RESUMES, build_launch_spec
from cluster_utils.runner.resume import FIRST_RESUME_DELAY, MAX_RESUME_DELAY, resume_delay
from tests.helpers import REPO_ROOT, Experiment

ALWAYS_RESUMES = """
import os
from cluster_utils import initialize_job, exit_for_resume
params = initialize_job()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "starts"), "a") as f:
    f.write("start\\n")
exit_for_resume()
"""


@pytest.mark.slow
def test_a_job_that_always_resumes_fails_after_max_resumes(experiment: Experiment) -> None:
    experiment.write_script(ALWAYS_RESUMES)
    experiment.write_config([{"param": "x", "values": [1]}], max_resumes=6)
    result = experiment.run(timeout=120)
    assert "max_resumes=6" in result.stderr
    state = experiment.state(0)
    assert state["status"] == "failed"
    assert state["reason"] == "called exit_for_resume() more than max_resumes=6 times in a row"
    assert len((experiment.workdir / "starts").read_text().splitlines()) == 7
    assert state["resumes"] == 6 and state["attempts_total"] == 7
    # state.json keeps the last few attempts only, however often the job resumed
    assert len(state["attempts"]) == MAX_KEPT_ATTEMPTS
    # no spinning: the attempts start further and further apart (0.1 s, 0.2 s, ... up to 2 s)
    starts = [a["start"] for a in state["attempts"]]
    first_kept_resume = 7 - MAX_KEPT_ATTEMPTS + 1
    for n, (earlier, later) in enumerate(pairwise(starts), start=first_kept_resume):
        assert later - earlier >= 0.95 * min(FIRST_RESUME_DELAY * 2 ** (n - 1), MAX_RESUME_DELAY)
    assert state["resumes_in_a_row"] == 0  # running the command again starts a new series


@pytest.mark.slow
def test_max_resumes_zero_allows_none(experiment: Experiment) -> None:
    experiment.write_script(ALWAYS_RESUMES)
    experiment.write_config([{"param": "x", "values": [1]}], max_resumes=0)
    experiment.run(timeout=120)
    assert experiment.state(0)["status"] == "failed"
    assert len((experiment.workdir / "starts").read_text().splitlines()) == 1


def test_back_off_grows_to_a_few_seconds_and_counts_the_attempt() -> None:
    assert resume_delay(1, 0.0) == FIRST_RESUME_DELAY
    assert resume_delay(3, 0.0) == 4 * FIRST_RESUME_DELAY
    assert resume_delay(1000, 0.0) == MAX_RESUME_DELAY
    assert resume_delay(1000, 60.0) == 0.0  # a long attempt is no spin


def test_state_keeps_the_last_attempts_and_totals() -> None:
    state = JobState(id=1)
    for start in range(1000):
        state.add_attempt(Attempt(start=float(start), resumed=True))
    assert state.attempts_total == 1000
    assert [a.start for a in state.attempts] == [995.0, 996.0, 997.0, 998.0, 999.0]
    # a state.json of an older version, with every attempt, loads with its total
    old = {"id": 1, "attempts": [{"start": float(s)} for s in range(40)]}
    loaded = JobState.from_json(old)
    assert loaded.attempts_total == 40 and len(loaded.attempts) == MAX_KEPT_ATTEMPTS


def test_default_max_resumes_is_the_documented_one(tmp_path: Path) -> None:
    schema = yaml.safe_load((REPO_ROOT / "workflow/schemas/common.schema.yaml").read_text())
    declared = schema["$defs"]["settings"]["properties"]["max_resumes"]
    assert declared["default"] == DEFAULT_MAX_RESUMES == 100
    spec = build_launch_spec({"script_relative_path": "job.py"}, tmp_path)
    assert spec.max_resumes == DEFAULT_MAX_RESUMES
    spec = build_launch_spec({"script_relative_path": "job.py", "max_resumes": 7}, tmp_path)
    assert spec.max_resumes == 7


RESUMES_WHILE_X_IS_0 = """
import os, time
from cluster_utils import initialize_job, finalize_job, exit_for_resume
params = initialize_job()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "order"), "a") as f:
    f.write(f"{params.x}\\n")
if params.x == 0:
    exit_for_resume()
finalize_job({"y": params.x}, params)
"""


@pytest.mark.slow
def test_a_resuming_job_goes_behind_the_pending_jobs_of_its_chunk(experiment: Experiment) -> None:
    # 20 jobs on one core run in chunks of 3: job 0 shares its chunk with jobs 1 and 2
    experiment.write_script(RESUMES_WHILE_X_IS_0)
    experiment.write_config([{"param": "x", "values": list(range(20))}], max_resumes=2)
    experiment.run("--cores", "1", timeout=180)
    order = [int(x) for x in (experiment.workdir / "order").read_text().split()]
    starts_of_0 = [n for n, x in enumerate(order) if x == 0]
    assert len(starts_of_0) == 3  # the first run and two resumes, then max_resumes fails it
    assert order[starts_of_0[0] + 1 : starts_of_0[0] + 3] == [1, 2]
    assert experiment.state(0)["status"] == "failed"
    assert experiment.state(1)["status"] == experiment.state(2)["status"] == "succeeded"
