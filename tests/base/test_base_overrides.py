"""parse_overrides / apply_overrides: literals only, exact error messages."""

from __future__ import annotations

import copy
import re

import pytest

from cluster_utils.base.settings import (
    SettingsError,
    add_cmd_line_params,
    apply_overrides,
    evaluate_dynamic,
    parse_overrides,
)


def test_parse():
    args = ["a.b=3", "s='x'", 'p="/tmp"', "l=[1, (2, 3)]", "n=None", "f = 1e-3", "e='a=b'"]
    assert parse_overrides(args) == [
        ("a.b", 3),
        ("s", "x"),
        ("p", "/tmp"),
        ("l", [1, (2, 3)]),
        ("n", None),
        ("f", 1e-3),
        ("e", "a=b"),
    ]


def test_not_a_literal_exact_message():
    with pytest.raises(SettingsError) as error:
        parse_overrides(["x=foo"])
    assert str(error.value) == "override 'x=foo': not a Python literal; quote strings: x='\"foo\"'"


@pytest.mark.parametrize(
    "arg",
    ["x=__import__('os').system('true')", "x=open('f')", "x=1+", "x=", "x={'a': b}"],
)
def test_code_is_never_evaluated(arg):
    with pytest.raises(SettingsError, match="not a Python literal"):
        parse_overrides([arg])


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("x", "override 'x': expected <key>=<value>"),
        ("x: 1", "override 'x: 1': expected <key>=<value>"),
        ("=1", "override '=1': empty key before '='"),
        ("a..b=1", "override 'a..b=1': invalid key 'a..b'"),
        ("a.=1", "override 'a.=1': invalid key 'a.'"),
    ],
)
def test_malformed(arg, message):
    with pytest.raises(SettingsError) as error:
        parse_overrides([arg])
    assert str(error.value).startswith(message)


def test_apply_creates_missing_parents_by_default():
    settings = {"fixed_params": {"a": 1}, "x": 0}
    result = apply_overrides(settings, parse_overrides(["fixed_params.new.key=2", "x=1", "y=3"]))
    assert result is settings
    assert settings == {"fixed_params": {"a": 1, "new": {"key": 2}}, "x": 1, "y": 3}


def test_apply_without_creating_parents():
    with pytest.raises(
        SettingsError, match=re.escape("invalid settings path, 'a.b' does not exist")
    ):
        apply_overrides({"a": {}}, [("a.b.c", 1)], create_missing=False)


def test_apply_through_a_non_dict():
    with pytest.raises(SettingsError, match=re.escape("override 'a.b': 'a' is not a dict")):
        apply_overrides({"a": 5}, [("a.b", 1)])


def test_protect_braces_keeps_command_line_text_literal():
    settings = {"fixed_params": {"a": 1}}
    overrides = parse_overrides(["fixed_params.name='{a}_{{x}}'", "fixed_params.l=['{a}', 2]"])
    apply_overrides(settings, overrides, protect_braces=True)
    lenient = evaluate_dynamic(settings, strict=False)
    assert evaluate_dynamic(lenient["fixed_params"]) == {
        "a": 1,
        "name": "{a}_{{x}}",
        "l": ["{a}", 2],
    }


def test_3_0_add_cmd_line_params():
    base = {"lvl1": {"lvl2": {"lvl3": 42}}, "foo": "bar"}
    test = copy.deepcopy(base)
    add_cmd_line_params(test, ["lvl1.lvl2.lvl3=43", "foo='baz'"])
    assert test == {"lvl1": {"lvl2": {"lvl3": 43}}, "foo": "baz"}
    test = copy.deepcopy(base)
    add_cmd_line_params(test, ["bla=13", "lvl1.foo=42", "foo = 'with spaces'"])
    assert test == {"lvl1": {"lvl2": {"lvl3": 42}, "foo": 42}, "foo": "with spaces", "bla": 13}
    for bad in ["", "foo=", "=42", "foo: 42", "foo=bad_string", "lvl1.doesnt_exit.foo=42"]:
        with pytest.raises(SettingsError):
            add_cmd_line_params(copy.deepcopy(base), [bad])


def test_override_text_is_data_through_both_runner_passes(tmp_path):
    pwned = tmp_path / "pwned"
    text = f'{{__import__("os").system("touch {pwned}")}}'
    settings = {"fixed_params": {"a": 1}, "results_dir": "r"}
    apply_overrides(
        settings,
        parse_overrides([f"fixed_params.s={text!r}", f"note={text!r}"]),
        protect_braces=True,
    )
    first = evaluate_dynamic(settings, strict=False, keep_escapes=False, per_job=["fixed_params"])
    assert first["note"] == text
    assert evaluate_dynamic({**first["fixed_params"], "x": 1})["s"] == text
    assert not pwned.exists()
