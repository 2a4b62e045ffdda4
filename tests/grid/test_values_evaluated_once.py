"""Values are evaluated once, by the runner; overrides are data; ``{{``/``}}`` are literal braces.

Through ``cluster-utils grid-search ... --profile local``, with a job that records what
``initialize_job()`` gave it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Experiment

RECORDING_SCRIPT = """
import json, os
from cluster_utils import initialize_job, finalize_job
params = initialize_job()
with open(os.path.join(params.working_dir, "received.json"), "w") as f:
    json.dump(params, f)
finalize_job({"y": 1}, params)
"""

FIXED_PARAMS = {
    "literal": "{{1+1}}",  # documented: literal braces
    "literal_nested": {"ckpt": "epoch_{{epoch}}.pt"},
    "per_job": "{x * 10}",  # refers to the grid value: evaluated when the job is created
    "per_job_text": "{'{x*' + str(x) + '}'}",  # a result that looks like a template
    "config_text": "{'{' + '1+1' + '}'}",  # the same, evaluated when the config is loaded
    "config_value": "{list(range(1, 4))}",
    "env": "{$CU_TEST_EVALUATED_ONCE}",
    "stamp": "{__timestamp__}",
}


def _received(experiment: Experiment, job_id: int) -> dict:
    path = experiment.results / "working_directories" / str(job_id) / "received.json"
    return json.loads(path.read_text())


def _params_json(experiment: Experiment, job_id: int) -> dict:
    return json.loads((experiment.results / "jobs" / str(job_id) / "params.json").read_text())


@pytest.mark.slow
def test_jobs_receive_values_evaluated_once_and_overrides_as_data(
    experiment: Experiment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CU_TEST_EVALUATED_ONCE", "from-env")
    pwned = experiment.workdir / "pwned"
    code = f'{{__import__("os").system("touch {pwned}")}}'
    experiment.write_script(RECORDING_SCRIPT)
    experiment.write_config(
        [{"param": "x", "values": "{list(range(1, 3))}"}],
        fixed_params=FIXED_PARAMS,
        remove_jobs_dir=False,
    )
    result = experiment.run(f"fixed_params.code={code!r}", "fixed_params.l=['{x}', '{{y}}']")
    assert result.returncode == 0, result.stderr
    assert not pwned.exists()
    stamps = set()
    for job_id, x in ((0, 1), (1, 2)):
        received = _received(experiment, job_id)
        assert received == _params_json(experiment, job_id)  # the runner's data, unchanged
        assert received["x"] == x
        assert received["literal"] == "{1+1}"
        assert received["literal_nested"] == {"ckpt": "epoch_{epoch}.pt"}
        assert received["per_job"] == x * 10
        assert received["per_job_text"] == f"{{x*{x}}}"
        assert received["config_text"] == "{1+1}"
        assert received["config_value"] == [1, 2, 3]
        assert received["env"] == "from-env"
        assert re.fullmatch(r"\d\d:\d\d:\d\d-\d\d\w+\d\d", received["stamp"])
        assert received["code"] == code
        assert received["l"] == ["{x}", "{{y}}"]
        stamps.add(received["stamp"])
    assert len(stamps) == 1  # evaluated once, when the config was loaded


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('{__import__("os").system("touch pwned")}', "calling '__import__('os').system'"),
        ("{x.__class__}", "the attribute '.__class__' is not allowed"),
        ("{x.real}", "attributes can only be read from the settings, not from int"),
        ("{open('pwned', 'w')}", "calling 'open' is not allowed"),
        ("{(lambda: x)}", "lambda is not allowed"),
    ],
)
def test_a_forbidden_construct_in_the_config_exits_2_naming_the_value(
    experiment: Experiment, value: str, reason: str
) -> None:
    experiment.write_script(RECORDING_SCRIPT)
    experiment.write_config([{"param": "x", "values": [1]}], fixed_params={"bad": value})
    result = experiment.run()
    assert result.returncode == 2, result.stderr
    # refused when the config is read ('fixed_params.bad') or, for what depends on the type of a
    # grid value, when the job's parameters are made ('bad')
    pattern = rf"dynamic value '(fixed_params\.)?bad' = {re.escape(repr(value))} is not allowed: "
    assert re.search(pattern + ".*" + re.escape(reason), result.stderr), result.stderr
    assert not (experiment.workdir / "pwned").exists()
    assert not (experiment.results / "jobs" / "0" / "params.json").exists()


def test_a_job_run_by_hand_with_a_settings_file_evaluates_it_as_3_0(tmp_path: Path) -> None:
    """``python job.py settings.json``: the file is the user's, its dynamic values are evaluated
    when the job reads it (3.0)."""
    script = tmp_path / "job.py"
    script.write_text(RECORDING_SCRIPT)
    settings = {
        "working_dir": str(tmp_path / "wd"),
        "fn_args": {"u": 0.1},
        "sharp_penalty": "{fn_args.u < 0.2}",
        "values": "{list(range(1,4))}",
        "literal": "{{1+1}}",
    }
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    run = subprocess.run(
        [sys.executable, str(script), "settings.json", "fn_args.v='{fn_args.u}'"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    received = json.loads((tmp_path / "wd" / "received.json").read_text())
    assert received["sharp_penalty"] is True
    assert received["values"] == [1, 2, 3]
    assert received["literal"] == "{1+1}"
    assert received["fn_args"] == {"u": 0.1, "v": "{fn_args.u}"}  # an override: data
