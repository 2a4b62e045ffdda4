"""evaluate_dynamic: the 3.0 (smart_settings) dynamic string forms, strictness, ordering."""

from __future__ import annotations

import re

import pytest

from cluster_utils.base.settings import SettingsError, evaluate_dynamic


def test_3_0_forms(monkeypatch):
    monkeypatch.setenv("CU_TEST_USER", "bob")
    settings = {
        "fn_args": {"u": 0.1, "v": 3},
        "pairs": [[1, 2], [3, 4]],
        "small": "{fn_args.u < 0.2}",
        "first": "{pairs[0]}",
        "values": "{list(range(1,4))}",
        "tmp": "/is/cluster/work/{$CU_TEST_USER}/tmp",
        "lr": "{fn_args.u * 5.0}",
        "name": "run_{fn_args.v}_{fn_args.u}",
        "number": "{fn_args.v}{fn_args.v}",
    }
    result = evaluate_dynamic(settings)
    assert result["small"] is True
    assert result["first"] == [1, 2]
    assert result["values"] == [1, 2, 3]
    assert result["tmp"] == "/is/cluster/work/bob/tmp"
    assert result["lr"] == 0.5
    assert result["name"] == "run_3_0.1"
    assert result["number"] == 33
    assert settings["small"] == "{fn_args.u < 0.2}"  # the input is not changed


def test_fixed_param_referring_to_grid_value():
    params = {"pairs": [0.3, 7], "fn_args": {"u": "{pairs[0]}", "big": "{fn_args.u > 0.2}"}}
    assert evaluate_dynamic(params) == {"pairs": [0.3, 7], "fn_args": {"u": 0.3, "big": True}}


def test_dependency_order_and_lists():
    settings = {
        "c": "{b + 1}",
        "b": "{a * 2}",
        "a": 1,
        "l": ["{a}", {"x": "{c}"}],
        "m": "{l[1]['x'] + 1}",
    }
    assert evaluate_dynamic(settings) == {"c": 3, "b": 2, "a": 1, "l": [1, {"x": 3}], "m": 4}


def test_whole_field_keeps_type_and_strings_become_literals(monkeypatch):
    monkeypatch.setenv("CU_TEST_SEED", "42")
    settings = {
        "d": {"x": 1},
        "copy": "{d}",
        "seed": "{$CU_TEST_SEED}",
        "s": "abc",
        "ref": "{s}",
        "t": "{(1, 2)}",
        "text": "{s!r}",
        "fmt": "{d.x:03d}",
        "obj": "{range(3)}",
    }
    result = evaluate_dynamic(settings)
    assert result["copy"] == {"x": 1}
    assert result["seed"] == 42  # as 3.0: the formatted string is read as a literal
    assert result["ref"] == "abc"
    assert result["t"] == (1, 2)
    assert result["text"] == "abc"
    assert result["fmt"] == "001"  # not a Python literal: stays a string (as 3.0)
    assert result["obj"] == "range(0, 3)"


def test_timestamp():
    result = evaluate_dynamic({"t": "{__timestamp__}"}, timestamp="12:00:00-01Jan25")
    assert result["t"] == "12:00:00-01Jan25"
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d-\d\d\w+\d\d", evaluate_dynamic({"t": "{__timestamp__}"})["t"]
    )


def test_not_templates_are_left_alone():
    settings = {
        "json": '{"a": 1, "b": {"c": 2}}',
        "empty": "{}",
        "open": "a{b",
        "close": "a}b",
        "no_braces": "plain",
        "number": 3,
    }
    assert evaluate_dynamic(settings) == settings


def test_escaped_braces():
    assert evaluate_dynamic({"ckpt": "epoch_{{epoch}}.pt"}) == {"ckpt": "epoch_{epoch}.pt"}
    assert evaluate_dynamic({"a": 1, "s": "{a}_{{b}}"}) == {"a": 1, "s": "1_{b}"}


def test_lenient_then_strict_pass_gives_the_final_value(monkeypatch):
    monkeypatch.setenv("CU_TEST_USER", "bob")
    config = {
        "ckpt": "epoch_{{epoch}}.pt",
        "user": "{$CU_TEST_USER}_{{x}}",
        "later": "{grid_value * 2}",
        "later_dependent": "{later}",
    }
    first = evaluate_dynamic(config, strict=False)
    assert first == {
        "ckpt": "epoch_{{epoch}}.pt",
        "user": "bob_{{x}}",
        "later": "{grid_value * 2}",
        "later_dependent": "{later}",
    }
    final = evaluate_dynamic({**first, "grid_value": 4})
    assert final == {
        "ckpt": "epoch_{epoch}.pt",
        "user": "bob_{x}",
        "later": 8,
        "later_dependent": 8,
        "grid_value": 4,
    }


def test_lenient_final_pass_as_on_the_job_side():
    result = evaluate_dynamic(
        {"ckpt": "epoch_{epoch}.pt", "lit": "{{x}}", "a": 1, "b": "{a}"},
        strict=False,
        keep_escapes=False,
    )
    assert result == {"ckpt": "epoch_{epoch}.pt", "lit": "{x}", "a": 1, "b": 1}


def test_strict_errors_name_the_key(monkeypatch):
    monkeypatch.delenv("CU_TEST_UNSET", raising=False)
    cases = [
        ({"ckpt": "epoch_{epoch}.pt"}, "'ckpt'", "name 'epoch' is not defined"),
        ({"a": {"b": {"c": "{a.x}"}}}, "'a.b.c'", "'a' has no key 'x'"),
        ({"l": [0, "{1/0}"]}, "'l[1]'", "ZeroDivisionError"),
        ({"p": "/x/{$CU_TEST_UNSET}"}, "'p'", "environment variable $CU_TEST_UNSET is not set"),
    ]
    for settings, key, reason in cases:
        with pytest.raises(SettingsError) as error:
            evaluate_dynamic(settings)
        message = str(error.value)
        assert message.startswith(f"cannot evaluate dynamic value {key} = ")
        assert reason in message
        assert evaluate_dynamic(settings, strict=False) == settings


def test_circular_references():
    settings = {"a": "{b}", "b": "{a}", "c": "{c}", "ok": "{1 + 1}"}
    with pytest.raises(SettingsError, match="circular references") as error:
        evaluate_dynamic(settings)
    assert "'a', 'b', 'c'" in str(error.value)
    assert evaluate_dynamic(settings, strict=False) == {**settings, "ok": 2}


def test_dependents_of_unresolvable_values_are_left_as_is():
    settings = {"a": "{missing}", "b": "{a}!", "d": {"x": "{missing}"}, "e": "{d}"}
    assert evaluate_dynamic(settings, strict=False) == settings


def test_comprehension_over_settings():
    settings = {"factor": 2, "xs": [1, 2], "ys": "{[x * factor for x in xs]}"}
    assert evaluate_dynamic(settings)["ys"] == [2, 4]


def test_quotes_and_backslashes_in_templates():
    settings = {"d": {"k": "v"}, "a": "{d['k']}", "b": '{d["k"]}', "c": "C:\\temp\\{d.k}"}
    assert evaluate_dynamic(settings) == {**settings, "a": "v", "b": "v", "c": "C:\\temp\\v"}


def test_accepts_immutable_params():
    from cluster_utils.client.params import ImmutableAttributeDict

    params = ImmutableAttributeDict({"a": {"b": 2, "c": "{a.b * 2}"}})
    assert evaluate_dynamic(params) == {"a": {"b": 2, "c": 4}}


def test_config_pass_final_outside_per_job_keys():
    """The runner's config pass: top-level settings are final (literal braces unescaped),
    ``per_job`` keys keep their escapes and templates for the per-job pass."""
    config = {
        "results_dir": "out_{{x}}",
        "note": "{'{' + 'a' + '}'}",
        "fixed_params": {"lit": "{{1+1}}", "made": "{'{' + 'a' + '}'}", "job": "{x * 2}"},
        "hyperparam_list": [{"param": "x", "values": "{list(range(1, 3))}"}],
    }
    first = evaluate_dynamic(config, strict=False, keep_escapes=False, per_job=["fixed_params"])
    assert first["results_dir"] == "out_{x}"
    assert first["note"] == "{a}"
    assert first["fixed_params"] == {"lit": "{{1+1}}", "made": "{{a}}", "job": "{x * 2}"}
    assert first["hyperparam_list"][0]["values"] == [1, 2]
    job = evaluate_dynamic({**first["fixed_params"], "x": 1})
    assert job == {"lit": "{1+1}", "made": "{a}", "job": 2, "x": 1}


def test_every_value_is_evaluated_once():
    """A result that looks like a template is data: no later pass evaluates it again."""
    config = {"a": 1, "made": "{'{a' + '}'}", "per_job": {"made": "{'{a' + '}'}"}}
    first = evaluate_dynamic(config, strict=False, keep_escapes=False, per_job=["per_job"])
    assert first["made"] == "{a}"
    assert evaluate_dynamic({**first["per_job"], "a": 1}) == {"made": "{a}", "a": 1}
