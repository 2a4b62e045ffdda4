"""flatten_dict / unflatten_dict for dotted keys."""

from __future__ import annotations

import pytest

from cluster_utils.base.settings import SettingsError, flatten_dict, unflatten_dict


def test_flatten():
    nested = {"a": {"b": 1, "c": {"d": [1, 2]}}, "e": None, "empty": {}}
    assert flatten_dict(nested) == {"a.b": 1, "a.c.d": [1, 2], "e": None}
    assert list(flatten_dict({"z": 1, "a": {"y": 2, "b": 3}})) == ["z", "a.y", "a.b"]


def test_flatten_needs_string_keys():
    with pytest.raises(TypeError, match="Only strings as keys expected"):
        flatten_dict({1: 2})


def test_unflatten():
    flat = {"fn_args.u": 1, "fn_args.v": 2, "x": 3, "fn_args": {"w": 4, "deep.er": 5}}
    assert unflatten_dict(flat) == {"fn_args": {"u": 1, "v": 2, "w": 4, "deep": {"er": 5}}, "x": 3}


def test_round_trip():
    nested = {"a": {"b": 1, "c": {"d": [1, 2]}}, "e": "x"}
    assert unflatten_dict(flatten_dict(nested)) == nested


@pytest.mark.parametrize(
    ("flat", "message"),
    [
        ({"a": 1, "a.b": 2}, "'a' is a value and a parent of 'a.b'"),
        ({"a.b": 2, "a": 1}, "'a' is given twice"),
        ({"a.b": 1, "a": {"b": 2}}, "'a.b' is given twice"),
    ],
)
def test_unflatten_conflicts(flat, message):
    with pytest.raises(SettingsError, match=message):
        unflatten_dict(flat)
