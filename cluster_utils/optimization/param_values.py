"""Values of optimized parameters and flat settings: Python types, canonical keys, JSON."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, TypeAlias

from cluster_utils.base import constants

#: A value an optimized parameter can take: what 3.0 allowed (``constants.PARAM_TYPES``).
ParamValue: TypeAlias = bool | int | float | str | tuple[Any, ...]
#: One setting: flat dict from dotted parameter name (``"fn_args.x"``) to its value.
Setting: TypeAlias = dict[str, ParamValue]

_VALID_PARAM_NAME = re.compile(r"[A-Za-z0-9_.:-]+")


def check_param_name(name: object) -> str:
    """Return ``name`` if it is a valid dotted parameter name (3.0 rules), else raise."""
    if not isinstance(name, str):
        raise TypeError(f"Parameter name {name!r} is not valid: a string is expected.")
    if name in (*constants.RESERVED_PARAMS, constants.WORKING_DIR):
        raise ValueError(f"Parameter name {name!r} is reserved and cannot be optimized.")
    if name.endswith(constants.STD_ENDING):
        raise ValueError(
            f"Parameter name {name!r} is not valid: it ends with {constants.STD_ENDING!r}."
        )
    if not _VALID_PARAM_NAME.fullmatch(name):
        raise ValueError(
            f"Parameter name {name!r} is not valid: only letters, digits and '_.:-' are allowed."
        )
    if name.startswith(".") or name.endswith("."):
        raise ValueError(f"Parameter name {name!r} must not start or end with '.'.")
    return name


def to_python_value(value: Any) -> ParamValue:
    """Convert numpy scalars to Python ones and lists to tuples (recursively).

    Raises ``TypeError`` for anything that is not a bool, int, float, str or tuple thereof.
    """
    if isinstance(value, bool | str):
        return value
    if type(value).__name__ == "bool_":  # numpy.bool_, without importing numpy here
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, list | tuple):
        return tuple(to_python_value(item) for item in value)
    raise TypeError(
        f"Parameter values must be bool, int, float, str or tuples of these, "
        f"not {type(value).__name__} ({value!r})."
    )


def to_python_setting(setting: Mapping[str, Any]) -> Setting:
    """A copy of ``setting`` with every value converted by :func:`to_python_value`."""
    if not isinstance(setting, Mapping):
        raise TypeError(f"A setting must be a mapping of parameter names, not {setting!r}.")
    return {str(name): to_python_value(value) for name, value in setting.items()}


def _json_compatible(value: ParamValue) -> Any:
    if isinstance(value, tuple):
        return [_json_compatible(item) for item in value]
    return value


def setting_to_json(setting: Setting) -> dict[str, Any]:
    """Setting as a JSON-compatible dict (tuples become lists)."""
    return {name: _json_compatible(value) for name, value in setting.items()}


def setting_from_json(data: Mapping[str, Any]) -> Setting:
    """Inverse of :func:`setting_to_json` (lists become tuples again)."""
    return to_python_setting(data)


def setting_key(setting: Setting) -> str:
    """Canonical string identifying a setting: equal settings (restarts) get equal keys.

    Parameter order does not matter; a bool never equals an int (``True`` vs ``1``).
    """
    return json.dumps(
        {name: _typed(value) for name, value in setting.items()},
        sort_keys=True,
        separators=(",", ":"),
    )


def _typed(value: ParamValue) -> Any:
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, tuple):
        return ["tuple", [_typed(item) for item in value]]
    if isinstance(value, float) and not math.isfinite(value):
        return ["float", repr(value)]
    if isinstance(value, int | float):
        return ["number", value]
    return ["str", value]
