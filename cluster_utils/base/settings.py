"""Load settings (JSON/YAML/TOML, ``__import__``, ``key*``, dynamic values) and apply overrides.

This is our own loader with the semantics of smart_settings as used by cluster_utils 3.0; see
:mod:`.imports`, :mod:`.dynamic_values` and :mod:`.overrides` for the details.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping

from . import constants
from .dynamic_values import evaluate_dynamic
from .imports import resolve_imports
from .nested_dicts import flatten_dict, unflatten_dict
from .overrides import apply_overrides, parse_override, parse_overrides
from .settings_error import SettingsError
from .settings_files import SUPPORTED_SUFFIXES, read_settings_file
from .templates import escape_braces

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "SUPPORTED_SUFFIXES",
    "SettingsError",
    "add_cmd_line_params",
    "apply_overrides",
    "check_reserved_params",
    "escape_braces",
    "evaluate_dynamic",
    "flatten_dict",
    "load_settings_file",
    "parse_override",
    "parse_overrides",
    "resolve_settings",
    "unflatten_dict",
]


def load_settings_file(
    path: str | os.PathLike[str],
    *,
    dynamic: bool = True,
    strict: bool = False,
    keep_escapes: bool | None = None,
) -> dict[str, Any]:
    """Read a ``.json``, ``.yaml``/``.yml`` or ``.toml`` settings file into a plain dict.

    Imports are resolved relative to the file's directory, then the current directory. With
    ``dynamic`` the dynamic values are evaluated (``strict``, ``keep_escapes``: see
    :func:`evaluate_dynamic`; the default is a lenient pass that a later strict pass completes).
    """
    settings = read_settings_file(path)
    resolve_imports(settings, source=path)
    if not dynamic:
        return settings
    return evaluate_dynamic(settings, strict=strict, keep_escapes=keep_escapes)


def resolve_settings(
    settings: Mapping[str, Any],
    *,
    dynamic: bool = True,
    strict: bool = False,
    keep_escapes: bool | None = None,
) -> dict[str, Any]:
    """Like :func:`load_settings_file` for a dict (imports relative to the current directory)."""
    resolved = resolve_imports(dict(settings), source=None)
    if not dynamic:
        return resolved
    return evaluate_dynamic(resolved, strict=strict, keep_escapes=keep_escapes)


def check_reserved_params(settings: Mapping[str, Any]) -> None:
    """Raise :class:`SettingsError` if a top-level key is reserved by cluster_utils (as 3.0)."""
    for key in settings:
        if key in constants.RESERVED_PARAMS:
            raise SettingsError(f"'{key}' is a reserved param name")


def add_cmd_line_params(base_dict: MutableMapping[str, Any], extra_flags: Iterable[str]) -> None:
    """3.0 name: apply ``key=value`` flags in place; the parent of each key must exist."""
    apply_overrides(base_dict, parse_overrides(extra_flags), create_missing=False)
