"""Command-line overrides ``dotted.key=<python literal>``, parsed with ``ast.literal_eval`` only.

An override is data: its text reaches the job as given, braces included, and is never evaluated
(neither as code nor as a dynamic value).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from .constants import OBJECT_SEPARATOR
from .settings_error import SettingsError
from .templates import escape_strings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def parse_override(arg: str) -> tuple[str, Any]:
    """``"a.b=3"`` -> ``("a.b", 3)``; spaces around ``=`` are allowed (as 3.0)."""
    import ast  # lazily: most jobs have no overrides

    key, eq, text = arg.partition("=")
    key, text = key.strip(), text.strip()
    if not eq:
        raise SettingsError(
            f"override '{arg}': expected <key>=<value> with a Python literal value,"
            f" e.g. results_dir='\"/tmp\"'"
        )
    if not key:
        raise SettingsError(f"override '{arg}': empty key before '='")
    if any(not part.strip() for part in key.split(OBJECT_SEPARATOR)):
        raise SettingsError(f"override '{arg}': invalid key '{key}'")
    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise SettingsError(
            f"override '{arg}': not a Python literal; quote strings: {key}='\"{text}\"'"
        ) from None
    return key, value


def parse_overrides(args: Iterable[str]) -> list[tuple[str, Any]]:
    """Parse every ``key=value`` argument (see :func:`parse_override`)."""
    return [parse_override(arg) for arg in args]


def apply_overrides(
    settings: MutableMapping[str, Any],
    overrides: Iterable[tuple[str, Any]],
    *,
    create_missing: bool = True,
    protect_braces: bool = False,
) -> MutableMapping[str, Any]:
    """Set each dotted key of ``overrides`` in ``settings`` (in place; returns ``settings``).

    With ``create_missing`` (the runner's config overrides) missing parent dicts are created, so
    that e.g. ``fixed_params.new.key=1`` works on a config without ``fixed_params.new``. Without it
    (job scripts, as 3.0) every parent must exist. A parent that exists but is not a dict is an
    error either way.

    ``protect_braces`` doubles the braces in string values, so that a later (strict)
    :func:`~.dynamic_values.evaluate_dynamic` pass gives back the literal text: command-line text
    is never evaluated. Use it when the overrides are applied before the dynamic values are
    evaluated.
    """
    for key, value in overrides:
        *parents, leaf = key.split(OBJECT_SEPARATOR)
        node = settings
        for depth, part in enumerate(parents):
            path = OBJECT_SEPARATOR.join(parents[: depth + 1])
            if part not in node:
                if not create_missing:
                    raise SettingsError(
                        f"override '{key}': invalid settings path, '{path}' does not exist"
                    )
                node[part] = {}
            node = node[part]
            if not isinstance(node, MutableMapping):
                raise SettingsError(f"override '{key}': '{path}' is not a dict")
        node[leaf] = escape_strings(value) if protect_braces else value
    return settings
