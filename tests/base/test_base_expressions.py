"""The restricted evaluator of dynamic values: what 3.0's configs use works, the rest is refused."""

from __future__ import annotations

import re

import pytest

from cluster_utils.base.expressions import FUNCTIONS
from cluster_utils.base.settings import SettingsError, evaluate_dynamic


def test_allowed_constructs():
    settings = {
        "fn_args": {"u": 0.1, "y": 6, "items": 3},
        "xs": [3, 1, 2],
        "arith": "{(fn_args.y + 2) * 3 - 1 / 2 // 1 % 5 ** 2}",
        "compare": "{0 < fn_args.u <= 0.1 != 2}",
        "logic": "{not (fn_args.u > 1 or fn_args.y == 6) and True}",
        "cond": "{'big' if fn_args.y > 3 else 'small'}",
        "containers": "{[1, (2, 3), {'k': None}]}",
        "subscript": "{xs[1:][::-1][0]}",
        "functions": "{[abs(-2), min(xs), max(xs), round(2.567, 1), len(xs), sum(xs)]}",
        "conversions": "{[int('4'), float(1), str(2), bool(0), list((1,)), tuple([2])]}",
        "sorted": "{sorted(xs, reverse=True)}",
        "comprehension": "{[x * y for x in xs if x > 1 for y in range(2)]}",
        "dict_comprehension": "{ {k: v for k, v in zip('ab', xs)} }",
        "generator": "{sum(x * x for x in xs)}",
        "unpacking": "{[a + b for a, (b, _) in enumerate([(1, 0), (2, 0)])]}",
        "key_named_like_a_method": "{fn_args.items * 2}",
        "membership": "{'u' in fn_args and 4 not in xs}",
    }
    result = evaluate_dynamic(settings)
    assert result["arith"] == (6 + 2) * 3 - 1 / 2 // 1 % 5**2
    assert result["compare"] is True
    assert result["logic"] is False
    assert result["cond"] == "big"
    assert result["containers"] == [1, (2, 3), {"k": None}]
    assert result["subscript"] == 2
    assert result["functions"] == [2, 1, 3, 2.6, 3, 6]
    assert result["conversions"] == [4, 1.0, "2", False, [1], (2,)]
    assert result["sorted"] == [3, 2, 1]
    assert result["comprehension"] == [0, 3, 0, 2]
    assert result["dict_comprehension"] == {"a": 3, "b": 1}
    assert result["generator"] == 14
    assert result["unpacking"] == [1, 3]
    assert result["key_named_like_a_method"] == 6
    assert result["membership"] is True


def test_3_0_example_values():
    """The dynamic values of 3.0's examples/basic configs (tests/config/data/upstream)."""
    params = {
        "fn_args": {"u": 0.1, "y": 6, "sharp_penalty": "{fn_args.u < 0.2}", "x": "{fn_args.y/3}"},
        "pairs": [0.3, 7],
        "first": "{pairs[0]}",
        "values": "{list(range(1,4))}",
    }
    result = evaluate_dynamic(params)
    assert result["fn_args"] == {"u": 0.1, "y": 6, "sharp_penalty": True, "x": 2.0}
    assert result["first"] == 0.3
    assert result["values"] == [1, 2, 3]


def test_settings_shadow_function_names_but_calls_use_the_function():
    assert evaluate_dynamic({"max": 3, "a": "{max}", "b": "{max([1, max])}"}) == {
        "max": 3,
        "a": 3,
        "b": 3,
    }


FORBIDDEN = [
    ('{__import__("os").system("touch pwned")}', "calling '__import__('os').system'"),
    ('{__import__("os")}', "calling '__import__' is not allowed"),
    ("{__builtins__}", "the name '__builtins__' is not allowed"),
    ("{fn_args.__class__}", "the attribute '.__class__' is not allowed"),
    ("{fn_args.u.real}", "attributes can only be read from the settings, not from float"),
    ("{'a'.upper}", "attributes can only be read from the settings, not from str"),
    ("{str.join}", "attributes can only be read from the settings, not from type"),
    ("{'a'.upper()}", "calling ''a'.upper' is not allowed"),
    ("{open('x')}", "calling 'open' is not allowed"),
    ("{eval('1')}", "calling 'eval' is not allowed"),
    ("{getattr(fn_args, 'u')}", "calling 'getattr' is not allowed"),
    ("{unknown(1)}", "calling 'unknown' is not allowed"),
    ("{(lambda: 1)}", "lambda is not allowed"),
    ("{(lambda: 1)()}", "calling 'lambda: 1' is not allowed"),
    ("{(y := 1)}", "assignment (:=) is not allowed"),
    ("{[*fn_args]}", "* unpacking is not allowed"),
    ("{dict(**fn_args)}", "** unpacking is not allowed"),
    ("{ {**fn_args} }", "** unpacking is not allowed"),
    ("{f'{1}'}", "f-string is not allowed"),
    ("{list(range(10**9))}", "range of 1000000000 numbers (at most 1000000)"),
    ("{'x' * 10**9}", "a sequence of more than 1000000 items"),
    ("{2 ** 10 ** 8}", "2 ** 100000000 is too large"),
    ("{1 << 10 ** 8}", "<< 100000000 is too large"),
    ("{[a for a in range(10**6) for b in range(10**6)]}", "more than 1000000 evaluation steps"),
]


@pytest.mark.parametrize(("text", "reason"), FORBIDDEN)
@pytest.mark.parametrize("strict", [True, False])
def test_forbidden_constructs_name_the_value(text, reason, strict):
    settings = {"fn_args": {"u": 0.5}, "fixed_params": {"bad": text}}
    with pytest.raises(SettingsError) as error:
        evaluate_dynamic(settings, strict=strict)
    message = str(error.value)
    assert message.startswith(f"dynamic value 'fixed_params.bad' = {text!r} is not allowed: ")
    assert reason in message


def test_attributes_of_the_settings_are_their_keys_only():
    settings = {"fn_args": {"u": 0.5}, "a": "{fn_args._View__node}", "b": "{fn_args.keys}"}
    with pytest.raises(SettingsError, match=re.escape("'fn_args' has no key '_View__node'")):
        evaluate_dynamic(settings)
    assert evaluate_dynamic(settings, strict=False) == settings


def test_forbidden_in_a_format_spec_and_in_a_branch_never_taken():
    for text in ["{1:{__import__('os')}}", "{1 if True else open('x')}"]:
        with pytest.raises(SettingsError, match=re.escape(f"'a' = {text!r} is not allowed")):
            evaluate_dynamic({"a": text}, strict=False)


def test_only_pure_functions():
    assert set(FUNCTIONS) <= {
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "int", "len",
        "list", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum",
        "tuple", "zip",
    }  # fmt: skip


def test_escaped_text_is_never_checked_or_evaluated():
    text = '{{__import__("os").system("touch pwned")}}'
    assert evaluate_dynamic({"a": text}) == {"a": '{__import__("os").system("touch pwned")}'}
