"""initialize_job (and its deprecated alias) behave as in cluster_utils 3.0."""

from __future__ import annotations

import argparse
import json
import re
import warnings
from pathlib import Path

import pytest

from cluster_utils import client
from cluster_utils.base import constants
from cluster_utils.base.settings import SettingsError
from cluster_utils.client import submission_state


def _alias(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return client.read_params_from_cmdline(*args, **kwargs)


@pytest.fixture(params=[client.initialize_job, _alias], ids=["initialize_job", "alias"])
def initialize_job(request):
    return request.param


@pytest.fixture()
def argparse_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def error(self, message):
        raise RuntimeError(message)

    monkeypatch.setattr(argparse.ArgumentParser, "error", error)


def _write_json(path: Path, content: dict) -> Path:
    path.write_text(json.dumps(content))
    return path


def test_dict(initialize_job):
    params = initialize_job(["job", "--parameter-dict", "{'foo': 'bar', 'one': {'two': 13}}"])
    assert params == {"foo": "bar", "one": {"two": 13}}
    assert params.one.two == 13
    assert params["one"]["two"] == 13


def test_dict_and_overrides(initialize_job):
    argv = [
        "job",
        "--parameter-dict",
        "{'foo': 'bar', 'one': {'two': 13}}",
        "foo='blub'",
        "three=3",
    ]
    params = initialize_job(argv)
    assert params == {"foo": "blub", "one": {"two": 13}, "three": 3}


def test_dict_tuples_become_lists_as_3_0(initialize_job):
    params = initialize_job(["job", "--parameter-dict", "{'t': (1, 2)}"], verbose=False)
    assert params.t == [1, 2]


def test_json_file_and_overrides(initialize_job, tmp_path):
    config = _write_json(tmp_path / "config.json", {"foo": "bar", "one": {"two": 13}})
    params = initialize_job(["job", str(config), "foo='blub'", "three=3", "one.two=14"])
    assert params == {"foo": "blub", "one": {"two": 14}, "three": 3}


def test_yaml_file(initialize_job, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("foo: bar\none:\n  two: 13\nflag: true\n")
    assert initialize_job(["job", str(config)]) == {"foo": "bar", "one": {"two": 13}, "flag": True}


def test_toml_file(initialize_job, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('foo = "bar"\n[one]\ntwo = 13\n')
    assert initialize_job(["job", str(config)]) == {"foo": "bar", "one": {"two": 13}}


def test_dynamic_values_and_env(initialize_job, tmp_path, monkeypatch):
    monkeypatch.setenv("CU_TEST_USER", "alice")
    config = _write_json(
        tmp_path / "config.json",
        {
            "fn_args": {"u": 0.1},
            "small": "{fn_args.u < 0.2}",
            "tmp": "/is/cluster/work/{$CU_TEST_USER}/tmp",
            "ckpt": "epoch_{epoch}.pt",
            "literal": "epoch_{{epoch}}.pt",
        },
    )
    params = initialize_job(["job", str(config)], verbose=False)
    assert params.small is True
    assert params.tmp == "/is/cluster/work/alice/tmp"
    assert params.ckpt == "epoch_{epoch}.pt"  # unresolvable: left as is (3.0)
    assert params.literal == "epoch_{epoch}.pt"
    params = initialize_job(["job", str(config)], verbose=False, dynamic=False)
    assert params.small == "{fn_args.u < 0.2}"


def test_overrides_are_never_evaluated(initialize_job, tmp_path):
    argv = ["job", "--parameter-dict", "{'a': 1}", "b='{__import__(\"os\").getcwd()}'"]
    assert initialize_job(argv, verbose=False).b == '{__import__("os").getcwd()}'


def test_import_relative_to_the_file(initialize_job, tmp_path):
    sub = tmp_path / "configs"
    sub.mkdir()
    _write_json(sub / "defaults.json", {"a": 1, "b": 2})
    config = _write_json(sub / "config.json", {"__import__": "defaults.json", "b": 3})
    assert initialize_job(["job", str(config)], verbose=False) == {"a": 1, "b": 3}


def test_errors(initialize_job, argparse_raises):
    with pytest.raises(
        FileNotFoundError, match=re.escape("'{'foo': 13}' does not exist or is not a file.")
    ):
        initialize_job(["job", "{'foo': 13}"])

    argv = ["job", "--job-id=42", "--cluster-utils-server=invalid_format", "--parameter-dict", "{}"]
    with pytest.raises(RuntimeError, match="--cluster-utils-server"):
        initialize_job(argv)

    argv = ["job", "--job-id=42", "--cluster-utils-server=host:port", "--parameter-dict", "{}"]
    with pytest.raises(RuntimeError, match="invalid server_info value: 'host:port'"):
        initialize_job(argv)

    argv = ["job", "--cluster-utils-server=127.0.0.1:12345", "--parameter-dict", "{'foo': 13}"]
    with pytest.raises(
        RuntimeError, match=re.escape("--job-id is required when --cluster-utils-server is set.")
    ):
        initialize_job(argv)

    with pytest.raises(
        ValueError,
        match=re.escape(
            "'parameter_file_or_dict' must be a dictionary (`--parameter-dict` is set)."
        ),
    ):
        initialize_job(["job", "--parameter-dict", "'notadictionary'"])


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        client.initialize_job(["job", "--cluster-utils-server=1.2.3.4:5", "--parameter-dict", "{}"])
    assert exit_info.value.code == 2
    assert "--job-id is required when --cluster-utils-server is set." in capsys.readouterr().err


def test_override_errors(initialize_job):
    base = ["job", "--parameter-dict", "{'lvl1': {'lvl2': 1}}"]
    with pytest.raises(SettingsError, match=re.escape("override 'x=foo': not a Python literal")):
        initialize_job([*base, "x=foo"])
    with pytest.raises(SettingsError, match=re.escape("'lvl1.missing' does not exist")):
        initialize_job([*base, "lvl1.missing.x=1"])
    with pytest.raises(SettingsError, match="expected <key>=<value>"):
        initialize_job([*base, "x:1"])


def test_reserved_params(initialize_job):
    with pytest.raises(SettingsError, match=re.escape("'_id' is a reserved param name")):
        initialize_job(["job", "--parameter-dict", "{'_id': 1}"])


def test_server_and_job_id_are_accepted_and_ignored(initialize_job):
    argv = ["job", "--job-id=7", "--cluster-utils-server=127.0.0.1:1", "--parameter-dict", "{}"]
    assert initialize_job(argv, verbose=False) == {}
    assert submission_state.job_id == 7
    initialize_job(["job", "--job-id", "abc", "--parameter-dict", "{}"], verbose=False)
    assert submission_state.job_id == "abc"


def test_job_id_from_runner_environment(monkeypatch):
    monkeypatch.setenv("CLUSTER_UTILS_JOB_ID", "12")
    client.initialize_job(["job", "--parameter-dict", "{}"], verbose=False)
    assert submission_state.job_id == 12


def test_default_cmd_line_is_sys_argv(monkeypatch):
    monkeypatch.setattr("sys.argv", ["job", "--parameter-dict", "{'x': 1}"])
    assert client.initialize_job(verbose=False) == {"x": 1}


def test_verbose_prints_params(initialize_job, capsys):
    initialize_job(["job", "--parameter-dict", "{'b': 1, 'a': {'c': 2}}"])
    assert json.loads(capsys.readouterr().out) == {"a": {"c": 2}, "b": 1}
    initialize_job(["job", "--parameter-dict", "{'b': 1}"], verbose=False)
    assert capsys.readouterr().out == ""


def test_working_dir_and_settings_json(initialize_job, tmp_path):
    working_dir = tmp_path / "work" / "dir"
    config = {
        "test_resume": False,
        "max_sleep_time": 13,
        "fn_args.w": 1,
        "fn_args.x": 3.0,
        "working_dir": str(working_dir),
        "id": 4,
    }
    params = initialize_job(["job", str(_write_json(tmp_path / "c.json", config))], verbose=False)
    assert params.max_sleep_time == 13
    settings_file = working_dir / constants.JSON_SETTINGS_FILE
    assert json.loads(settings_file.read_text()) == config
    assert settings_file.read_text() == json.dumps(config, sort_keys=True, indent=4)
    assert submission_state.working_dir == str(working_dir)


def test_start_time_recorded(monkeypatch):
    monkeypatch.setattr("time.time", lambda: 1234.5)
    client.initialize_job(["job", "--parameter-dict", "{}"], verbose=False)
    assert submission_state.start_time == 1234.5
