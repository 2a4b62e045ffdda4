"""Load settings (JSON/YAML/TOML, ``__import__``, ``key*``, dynamic values) and apply overrides.

This is our own loader with the semantics of smart_settings as used by cluster_utils 3.0; see
:mod:`.imports`, :mod:`.dynamic_values` and :mod:`.overrides` for the details.

Where values are evaluated: the runner evaluates a config's dynamic values once, when it is loaded
(what does not depend on a job's own values) and per job, when the job's parameters are created
(templates referring to grid / optimized values). What it hands a job (``jobs/<id>/params.json``)
is final data: :func:`load_final_params` never evaluates it again. A settings file given to a job
by hand is evaluated when it is read (:func:`load_settings_file`), as 3.0 did.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, MutableMapping

from . import constants
from .dynamic_values import evaluate_dynamic
from .imports import IMPORT_KEY, resolve_imports
from .nested_dicts import flatten_dict, unflatten_dict
from .overrides import apply_overrides, parse_override, parse_overrides
from .settings_error import SettingsError
from .settings_files import SUPPORTED_SUFFIXES, read_settings_file
from .templates import escape_braces, escape_strings

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
    "load_final_params",
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


def load_final_params(path: str | os.PathLike[str], *, dynamic: bool = True) -> dict[str, Any]:
    """The parameters the runner wrote for a job: final data, returned as read, never evaluated.

    Only ``__import__`` (a config's ``fixed_params.__import_promise__``, which the job resolves as
    in 3.0) brings in settings nobody has evaluated yet: with ``dynamic`` the dynamic values of
    the imported files are evaluated here, once, against all the parameters. Relative imports are
    looked up in the current directory (the job's: where 3.0 looked), never next to ``path``.
    """
    settings = read_settings_file(path)
    if not _has_imports(settings):
        return settings
    if not dynamic:
        return resolve_imports(settings, source=path, relative_to_source=False)
    escaped = escape_strings(settings)  # the runner's values: literal
    resolved = resolve_imports(escaped, source=path, relative_to_source=False)
    return evaluate_dynamic(resolved, strict=False, keep_escapes=False)


def _has_imports(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    return IMPORT_KEY in node or any(_has_imports(value) for value in node.values())


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
