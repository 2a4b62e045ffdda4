"""Flatten nested dicts to dotted keys (CSV columns) and back."""

from __future__ import annotations

from collections.abc import Mapping

from .constants import OBJECT_SEPARATOR
from .settings_error import SettingsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def flatten_dict(nested: Mapping[str, Any], sep: str = OBJECT_SEPARATOR) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay values, empty sub-dicts vanish (as 3.0)."""
    flat: dict[str, Any] = {}
    _flatten_into(flat, nested, "", sep)
    return flat


def _flatten_into(flat: dict[str, Any], nested: Mapping[str, Any], prefix: str, sep: str) -> None:
    for key, value in nested.items():
        if not isinstance(key, str):
            raise TypeError("Only strings as keys expected")
        if isinstance(value, Mapping):
            _flatten_into(flat, value, f"{prefix}{key}{sep}", sep)
        else:
            flat[prefix + key] = value


def unflatten_dict(flat: Mapping[str, Any], sep: str = OBJECT_SEPARATOR) -> dict[str, Any]:
    """``{"a.b": 1, "a": {"c": 2}}`` -> ``{"a": {"b": 1, "c": 2}}``.

    Dotted and nested keys may be mixed at any level. A key given twice, or used both as a value
    and as the parent of another key, is a :class:`SettingsError`.
    """
    result: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(sep) if isinstance(key, str) else [key]
        if isinstance(value, Mapping):
            value = unflatten_dict(value, sep)
        node = result
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                parent = sep.join(parts[: depth + 1])
                raise SettingsError(
                    f"conflicting keys: '{parent}' is a value and a parent of '{key}'"
                )
            node = child
        _set_merged(node, parts[-1], value, key)
    return result


def _set_merged(node: dict[str, Any], leaf: str, value: Any, key: str) -> None:
    if leaf not in node:
        node[leaf] = value
    elif isinstance(node[leaf], dict) and isinstance(value, dict):
        for sub_key, sub_value in value.items():
            _set_merged(node[leaf], sub_key, sub_value, f"{key}.{sub_key}")
    else:
        raise SettingsError(f"conflicting keys: '{key}' is given twice")


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = target
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def merge_nested(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_nested(merged[key], value)
        else:
            merged[key] = value
    return merged
