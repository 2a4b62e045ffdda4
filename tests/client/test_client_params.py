"""The immutable attribute dict returned by initialize_job."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from cluster_utils.client.params import ImmutableAttributeDict, to_plain


@pytest.fixture()
def params() -> ImmutableAttributeDict:
    return ImmutableAttributeDict({"fn_args": {"x": 1, "inner": {"y": 2}}, "lr": 0.1, "l": [1]})


def test_access(params):
    assert params.fn_args.x == 1
    assert params["fn_args"]["inner"]["y"] == 2
    assert params.fn_args.inner.y == 2
    assert params.get("lr") == 0.1
    assert params.get("missing", 5) == 5
    assert "lr" in params and "missing" not in params
    assert list(params) == ["fn_args", "lr", "l"]
    assert dict(**params)["lr"] == 0.1
    assert isinstance(params, dict)
    assert isinstance(params.fn_args, ImmutableAttributeDict)
    assert not hasattr(params, "missing")
    with pytest.raises(AttributeError, match="no parameter 'missing'"):
        _ = params.missing
    with pytest.raises(KeyError):
        _ = params["missing"]


def test_equality(params):
    assert params == {"fn_args": {"x": 1, "inner": {"y": 2}}, "lr": 0.1, "l": [1]}
    assert params.fn_args == {"x": 1, "inner": {"y": 2}}
    assert params != {"lr": 0.1}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: setattr(p, "lr", 1),
        lambda p: p.__setitem__("lr", 1),
        lambda p: setattr(p.fn_args, "x", 2),
        lambda p: p.fn_args.__setitem__("x", 2),
        lambda p: delattr(p, "lr"),
        lambda p: p.__delitem__("lr"),
        lambda p: p.update(lr=2),
        lambda p: p.pop("lr"),
        lambda p: p.popitem(),
        lambda p: p.setdefault("new", 1),
        lambda p: p.clear(),
    ],
)
def test_immutable(params, mutate):
    with pytest.raises(TypeError, match="not mutable"):
        mutate(params)
    assert params.lr == 0.1 and params.fn_args.x == 1


def test_ior_is_immutable(params):
    with pytest.raises(TypeError):
        params |= {"lr": 2}


def test_copies_and_serialisation(params):
    assert json.loads(json.dumps(params)) == params
    assert json.loads(repr(params)) == params
    restored = pickle.loads(pickle.dumps(params))
    assert restored == params and isinstance(restored.fn_args, ImmutableAttributeDict)
    deep = copy.deepcopy(params)
    assert deep == params and deep.l is not params.l
    plain = params.to_dict()
    assert type(plain) is dict and type(plain["fn_args"]) is dict
    plain["fn_args"]["x"] = 5
    assert params.fn_args.x == 1
    assert to_plain(params) == params
