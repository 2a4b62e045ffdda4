"""load_settings_file: formats, parse errors, __import__ and key* (smart_settings semantics)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cluster_utils.base.settings import (
    SettingsError,
    check_reserved_params,
    load_final_params,
    load_settings_file,
    resolve_settings,
)

CONFIG = {"name": "x", "fixed_params": {"a": 1, "b": [1, 2]}, "flag": True, "none": None}


def _json(path: Path, content: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))
    return path


def test_json(tmp_path):
    assert load_settings_file(_json(tmp_path / "c.json", CONFIG)) == CONFIG


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YAML"])
def test_yaml(tmp_path, suffix):
    path = tmp_path / f"c{suffix}"
    path.write_text("name: x\nfixed_params:\n  a: 1\n  b: [1, 2]\nflag: true\nnone: null\n")
    assert load_settings_file(path) == CONFIG


def test_empty_yaml_is_empty_dict(tmp_path):
    (tmp_path / "c.yaml").write_text("")
    assert load_settings_file(tmp_path / "c.yaml") == {}


def test_toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('name = "x"\nflag = true\n[fixed_params]\na = 1\nb = [1, 2]\n')
    assert load_settings_file(path) == {k: v for k, v in CONFIG.items() if k != "none"}


def test_unknown_extension(tmp_path):
    path = tmp_path / "c.ini"
    path.write_text("[a]")
    with pytest.raises(SettingsError, match=r"unsupported.*'\.ini'.*\.json, \.yaml, \.yml, \.toml"):
        load_settings_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings_file(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("c.json", '{\n  "a": 1,\n  "b": \n}\n', 4),
        ("c.yaml", "a: 1\nb: [1, 2\nc: 3\n", 3),
        ("c.toml", 'a = 1\nb = "x\n', 2),
    ],
)
def test_parse_errors_name_file_and_line(tmp_path, name, text, line):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SettingsError) as error:
        load_settings_file(path)
    assert str(error.value).startswith(f"{path}:{line}: invalid ")
    assert f"(line {line}, column " in str(error.value)


def test_duplicate_json_key(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"a": 1, "a": 2}')
    with pytest.raises(SettingsError, match="duplicate key 'a'"):
        load_settings_file(path)


def test_top_level_must_be_mapping(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("[1, 2]")
    with pytest.raises(SettingsError, match="top level must be a mapping"):
        load_settings_file(path)


def test_import_relative_to_importing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _json(tmp_path / "configs" / "base" / "defaults.json", {"a": 1, "b": {"c": 2, "d": 3}})
    _json(tmp_path / "configs" / "mid.json", {"__import__": "base/defaults.json", "b": {"c": 20}})
    main = _json(tmp_path / "configs" / "main.json", {"__import__": ["mid.json"], "e": 5})
    assert load_settings_file(main) == {"a": 1, "b": {"c": 20, "d": 3}, "e": 5}


def test_import_falls_back_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _json(tmp_path / "shared" / "defaults.json", {"a": 1})
    main = _json(tmp_path / "configs" / "main.json", {"__import__": "shared/defaults.json"})
    assert load_settings_file(main) == {"a": 1}


def test_import_next_to_file_wins_over_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _json(tmp_path / "defaults.json", {"a": "cwd"})
    _json(tmp_path / "configs" / "defaults.json", {"a": "next to file"})
    main = _json(tmp_path / "configs" / "main.json", {"__import__": "defaults.json"})
    assert load_settings_file(main) == {"a": "next to file"}


def test_import_of_other_formats_and_nested_level(tmp_path):
    (tmp_path / "opt.yaml").write_text("lr: 0.001\nmomentum: 0.9\n")
    (tmp_path / "more.toml").write_text("epochs = 3\n")
    main = _json(
        tmp_path / "main.json",
        {
            "train": {"optimizer": {"__import__": "opt.yaml", "lr": 0.1}},
            "__import__": ["more.toml"],
        },
    )
    assert load_settings_file(main) == {
        "train": {"optimizer": {"lr": 0.1, "momentum": 0.9}},
        "epochs": 3,
    }


def test_later_import_wins_importing_dict_wins_most(tmp_path):
    _json(tmp_path / "one.json", {"a": 1, "b": 1, "c": 1})
    _json(tmp_path / "two.json", {"b": 2, "c": 2})
    main = _json(tmp_path / "main.json", {"__import__": ["one.json", "two.json"], "c": 3})
    assert load_settings_file(main) == {"a": 1, "b": 2, "c": 3}


def test_same_file_imported_twice_is_not_a_cycle(tmp_path):
    _json(tmp_path / "opt.json", {"lr": 1})
    main = _json(
        tmp_path / "main.json",
        {"x": {"__import__": "opt.json"}, "y": {"__import__": "opt.json", "lr": 2}},
    )
    assert load_settings_file(main) == {"x": {"lr": 1}, "y": {"lr": 2}}


def test_import_cycle(tmp_path):
    _json(tmp_path / "a.json", {"__import__": "b.json"})
    _json(tmp_path / "b.json", {"inner": {"__import__": "a.json"}})
    with pytest.raises(SettingsError) as error:
        load_settings_file(tmp_path / "a.json")
    message = str(error.value)
    assert message.startswith("import cycle in settings files: ")
    assert re.search(r"a\.json -> .*b\.json -> .*a\.json$", message)


def test_self_import_cycle(tmp_path):
    _json(tmp_path / "a.json", {"__import__": "a.json"})
    with pytest.raises(SettingsError, match="import cycle"):
        load_settings_file(tmp_path / "a.json")


def test_missing_import(tmp_path):
    main = _json(tmp_path / "main.json", {"__import__": "nope.json"})
    with pytest.raises(SettingsError, match=r"imported settings file 'nope\.json' not found"):
        load_settings_file(main)


def test_bad_import_value(tmp_path):
    main = _json(tmp_path / "main.json", {"__import__": 3})
    with pytest.raises(SettingsError, match="must be a file name or a list of file names"):
        load_settings_file(main)


def test_key_star_appends_to_imported_list(tmp_path):
    _json(tmp_path / "defaults.json", {"name": "M", "optimize_over": ["a", "b"]})
    _json(tmp_path / "extend.json", {"__import__": ["defaults.json"], "optimize_over*": ["c"]})
    _json(tmp_path / "twice.json", {"__import__": ["extend.json"], "optimize_over*": ["d"]})
    assert load_settings_file(tmp_path / "extend.json") == {
        "name": "M",
        "optimize_over": ["a", "b", "c"],
    }
    assert load_settings_file(tmp_path / "twice.json")["optimize_over"] == ["a", "b", "c", "d"]


def test_key_star_nested_and_without_import(tmp_path):
    _json(tmp_path / "defaults.json", {"grid": {"values": [1]}})
    main = _json(
        tmp_path / "main.json",
        {"__import__": "defaults.json", "grid": {"values*": [2]}, "own*": [3]},
    )
    assert load_settings_file(main) == {"grid": {"values": [1, 2]}, "own": [3]}


def test_list_without_star_is_not_merged(tmp_path):
    _json(tmp_path / "defaults.json", {"l": [1, 2]})
    main = _json(tmp_path / "main.json", {"__import__": "defaults.json", "l": [3]})
    assert load_settings_file(main) == {"l": [3]}


def test_dynamic_values_after_imports(tmp_path):
    _json(tmp_path / "defaults.json", {"optimizer": {"lr": 0.5}})
    main = _json(
        tmp_path / "main.json",
        {"__import__": "defaults.json", "second": {"lr": "{optimizer.lr * 2}"}, "g": "{grid_x}"},
    )
    assert load_settings_file(main) == {
        "optimizer": {"lr": 0.5},
        "second": {"lr": 1.0},
        "g": "{grid_x}",  # not resolvable yet: left for the per-job pass
    }
    assert load_settings_file(main, dynamic=False)["second"]["lr"] == "{optimizer.lr * 2}"
    with pytest.raises(SettingsError, match="'g'"):
        load_settings_file(main, strict=True)


def test_resolve_settings_dict_imports_relative_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _json(tmp_path / "defaults.json", {"a": 1})
    assert resolve_settings({"__import__": "defaults.json", "b": "{a + 1}"}) == {"a": 1, "b": 2}


def test_reserved_params():
    check_reserved_params({"id": 1, "working_dir": "x"})
    for key in ("_id", "_iteration", "job_restarts"):
        with pytest.raises(SettingsError, match=re.escape(f"'{key}' is a reserved param name")):
            check_reserved_params({key: 1})


def test_final_params_are_not_evaluated(tmp_path):
    """What the runner hands a job is final: literal braces and override text stay as they are."""
    params = {
        "x": 1,
        "lit": "{1+1}",
        "code": '{__import__("os").system("touch pwned")}',
        "nested": {"l": ["{x}", "a}b"]},
    }
    path = _json(tmp_path / "jobs" / "3" / "params.json", params)
    assert load_final_params(path) == params
    assert load_final_params(path, dynamic=False) == params
    assert not (tmp_path / "pwned").exists()


def test_final_params_evaluate_only_what_they_import(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _json(
        tmp_path / "imported.json",
        {"iterations": 20, "double": "{x * 2}", "lit": "{{y}}", "own": "{1+1}"},
    )
    params = {"__import__": "imported.json", "x": 3, "own": "{1+1}", "text": "{x}"}
    path = _json(tmp_path / "jobs" / "0" / "params.json", params)
    assert load_final_params(path) == {
        "iterations": 20,
        "double": 6,
        "lit": "{y}",
        "x": 3,
        "own": "{1+1}",  # the runner's value wins and stays literal
        "text": "{x}",
    }
    assert load_final_params(path, dynamic=False)["double"] == "{x * 2}"


@pytest.mark.parametrize("name", ["params.json", "state.json", "base_params.json"])
def test_final_params_import_from_where_the_job_runs(tmp_path, monkeypatch, name):
    """3.0 resolved a promised file in the job's directory (the code checkout), never next to the
    job's parameter file, whose neighbours are the job's own files (issue 19)."""
    checkout = tmp_path / "checkout"
    _json(checkout / name, {"iterations": 20, "optimizer": "Adam"})
    job_dir = tmp_path / "results" / "exp" / "jobs" / "0"
    _json(job_dir / "state.json", {"status": "running", "iterations": -1})
    path = _json(job_dir / "params.json", {"__import__": name, "optimizer": "SGD", "id": 0})
    monkeypatch.chdir(checkout)
    for dynamic in (True, False):
        assert load_final_params(path, dynamic=dynamic) == {
            "iterations": 20,
            "optimizer": "SGD",
            "id": 0,
        }


def test_final_params_import_not_found_names_the_job_directory(tmp_path, monkeypatch):
    job_dir = tmp_path / "jobs" / "0"
    _json(job_dir / "base.json", {"a": 1})  # next to the parameter file: not looked at
    path = _json(job_dir / "params.json", {"__import__": "base.json"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as error:
        load_final_params(path)
    assert "imported settings file 'base.json' not found" in str(error.value)
    assert f"'{tmp_path / 'base.json'}'" in str(error.value)
    assert str(job_dir / "base.json") not in str(error.value)


def test_a_file_importing_its_own_name_gets_the_one_in_the_current_directory(tmp_path, monkeypatch):
    """A job's params.json run by hand (``python main.py jobs/0/params.json``) from the checkout."""
    _json(tmp_path / "params.json", {"iterations": 20})
    path = _json(tmp_path / "jobs" / "0" / "params.json", {"__import__": "params.json", "x": 1})
    monkeypatch.chdir(tmp_path)
    assert load_settings_file(path) == {"iterations": 20, "x": 1}
