"""cluster_main, exit_for_resume, announce_*, deprecated aliases, the `cluster` alias package."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import cluster_utils
from cluster_utils import client
from cluster_utils.base import constants, job_protocol
from tests.helpers import REPO_ROOT

API = [
    "announce_early_results",
    "announce_fraction_finished",
    "cluster_main",
    "exit_for_resume",
    "finalize_job",
    "initialize_job",
    "read_params_from_cmdline",
    "save_metrics_params",
]


def _run(code: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    environ = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    for name in (job_protocol.ENV_RUNNER, job_protocol.ENV_JOB_ID):
        if env is None or name not in env:
            environ.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_public_surface():
    assert sorted(cluster_utils.__all__) == API
    assert sorted(client.__all__) == API
    for name in API:
        assert getattr(cluster_utils, name) is getattr(client, name)
    assert cluster_utils.__version__ == "4.0.0.dev0"


@pytest.mark.parametrize("form", ["bare", "with_kwargs"])
def test_cluster_main(form, tmp_path, monkeypatch, capsys):
    working_dir = tmp_path / "wd"
    argv = ["job", "--parameter-dict", repr({"working_dir": str(working_dir), "id": 5, "x": 2})]
    received = {}

    def main(working_dir, id, x):
        received.update(working_dir=working_dir, id=id, x=x)
        return {"result": x * 2}

    if form == "bare":
        monkeypatch.setattr(sys, "argv", argv)
        wrapped = client.cluster_main(main)
    else:
        wrapped = client.cluster_main(cmd_line=argv, verbose=False)(main)
    assert wrapped.__name__ == "main"
    metrics = wrapped()
    assert received == {"working_dir": str(working_dir), "id": 5, "x": 2}
    assert metrics["result"] == 4 and "time_elapsed" in metrics
    assert (working_dir / constants.CLUSTER_METRIC_FILE).read_text().startswith("result,")
    assert (working_dir / constants.JSON_SETTINGS_FILE).is_file()
    printed = capsys.readouterr().out
    assert ('"x": 2' in printed) == (form == "bare")


def test_cluster_main_needs_metrics(tmp_path):
    argv = ["job", "--parameter-dict", repr({"working_dir": str(tmp_path)})]

    @client.cluster_main(cmd_line=argv, verbose=False)
    def main(**kwargs):
        return None

    with pytest.raises(TypeError, match="must return a dict of metrics"):
        main()


def test_exit_for_resume_in_process(tmp_path, capsys):
    working_dir = tmp_path / "wd"
    argv = ["job", "--parameter-dict", repr({"working_dir": str(working_dir)})]
    client.initialize_job(argv, verbose=False)
    with pytest.raises(SystemExit) as exit_info:
        client.exit_for_resume()
    assert exit_info.value.code == constants.RETURN_CODE_FOR_RESUME == 3
    assert job_protocol.read_resume_request(working_dir)["time"] > 0
    err = capsys.readouterr().err
    assert "exit_for_resume()" in err and "code 3" in err and "restart" in err
    assert len(err.strip().splitlines()) == 1


def test_exit_for_resume_under_runner_is_quiet(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(job_protocol.ENV_RUNNER, "1")
    client.initialize_job(
        ["job", "--parameter-dict", repr({"working_dir": str(tmp_path)})], verbose=False
    )
    with pytest.raises(SystemExit):
        client.exit_for_resume()
    assert capsys.readouterr().err == ""
    assert job_protocol.clear_resume_request(tmp_path)


def test_exit_for_resume_subprocess(tmp_path):
    code = """
        from cluster_utils import initialize_job, exit_for_resume
        initialize_job(verbose=False)
        exit_for_resume()
        print("not reached")
    """
    params = repr({"working_dir": str(tmp_path / "wd")})
    result = _run(code, "--parameter-dict", params, cwd=tmp_path)
    assert result.returncode == 3
    assert "not reached" not in result.stdout
    assert "exiting with code 3" in result.stderr
    assert (tmp_path / "wd" / ".cluster_utils" / "resume_request.json").is_file()

    result = _run(code, "--parameter-dict", "{}", env={"CLUSTER_UTILS_RUNNER": "1"}, cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr == ""


def test_announce(tmp_path):
    client.initialize_job(
        ["job", "--parameter-dict", repr({"working_dir": str(tmp_path)})], verbose=False
    )

    class Scalar:
        def item(self):
            return 0.25

    client.announce_early_results({"loss": Scalar(), "step": 3})
    client.announce_early_results({"loss": 0.125, "step": 4})
    client.announce_fraction_finished(Scalar())
    early = job_protocol.read_early_results(tmp_path)
    assert early["metrics"] == {"loss": 0.125, "step": 4}
    assert job_protocol.read_progress(tmp_path)["fraction_finished"] == 0.25


def test_announce_without_working_dir_does_nothing(tmp_path):
    client.announce_early_results({"loss": 1.0})
    client.announce_fraction_finished(0.5)
    client.initialize_job(["job", "--parameter-dict", "{}"], verbose=False)
    client.announce_early_results({"loss": 1.0})
    client.announce_fraction_finished(0.5)
    assert list(tmp_path.iterdir()) == []


def test_read_params_from_cmdline_deprecated():
    with pytest.warns(FutureWarning, match="`read_params_from_cmdline` is deprecated"):
        params = client.read_params_from_cmdline(["job", "--parameter-dict", "{'a': 1}"])
    assert params == {"a": 1}
    with (
        pytest.warns(FutureWarning),
        pytest.raises(
            RuntimeError,
            match=re.escape("The option `make_immutable=False` is not supported anymore."),
        ),
    ):
        client.read_params_from_cmdline(["job", "--parameter-dict", "{}"], make_immutable=False)
    with (
        pytest.warns(FutureWarning),
        pytest.raises(
            RuntimeError,
            match=re.escape(
                "The option `save_params=False` is not supported anymore."
                " Parameters will always be saved."
            ),
        ),
    ):
        client.read_params_from_cmdline(["job", "--parameter-dict", "{}"], save_params=False)


def test_import_cluster_warns(monkeypatch):
    for name in [name for name in sys.modules if name == "cluster" or name.startswith("cluster.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.warns(FutureWarning, match="renamed to 'cluster_utils'"):
        cluster = importlib.import_module("cluster")
    for name in API:
        assert getattr(cluster, name) is getattr(cluster_utils, name)
    with pytest.warns(FutureWarning, match="cluster_utils.grid_search"):
        importlib.import_module("cluster.grid_search")
    with pytest.warns(FutureWarning, match="cluster_utils.hp_optimization"):
        importlib.import_module("cluster.hp_optimization")


def test_import_cluster_warns_in_fresh_process():
    result = _run(
        "import warnings; warnings.simplefilter('error', FutureWarning)\n"
        "try:\n    import cluster\nexcept FutureWarning as w:\n    print('warned', w)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("warned The 'cluster' package has been renamed")


def test_client_import_is_light():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import cluster_utils"],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "cluster_utils" in imported
    assert not imported & {"pandas", "numpy", "snakemake", "yaml", "torch", "scipy"}


def test_params_are_json_serialisable_and_picklable(tmp_path):
    import copy
    import pickle

    params = client.initialize_job(
        ["job", "--parameter-dict", "{'a': {'b': [1, 2]}, 'c': 'x'}"], verbose=False
    )
    assert json.loads(json.dumps(params)) == params
    assert pickle.loads(pickle.dumps(params)) == params
    assert copy.deepcopy(params) == params
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert params.to_dict() == {"a": {"b": [1, 2]}, "c": "x"}


@pytest.mark.parametrize("module", ["grid_search", "hp_optimization"])
def test_deprecated_cluster_entry_points_forward(module):
    environ = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", f"cluster.{module}", "--help"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"FutureWarning: `python -m cluster.{module}` is deprecated" in result.stderr
    assert "usage:" in result.stdout
