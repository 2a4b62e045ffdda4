"""Settings of grid_search and hp_optimization runs: schema validation with readable errors.

>>> from cluster_utils.config import validate_settings, ConfigError
>>> validated = validate_settings(raw_settings, "grid_search")  # doctest: +SKIP
>>> validated.settings, validated.warnings  # doctest: +SKIP

Unknown keys are warnings unless validation is strict (``strict=True`` or ``strict_config: true``
in the settings); ``validate_config`` / ``check_config`` are the strict forms.

The schemas live in ``workflow/schemas/`` (``schema_file(kind)`` gives the path) so that the
Snakefile can use the same files with ``snakemake.utils.validate``.

May import base only; experiment and the commands build on it.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import ConfigError
    from .schemas import KINDS, Kind, is_template, load_schema, schema_file
    from .validation import (
        Findings,
        ValidatedSettings,
        check_config,
        check_settings,
        validate_config,
        validate_settings,
    )

#: where each name lives: loaded on first use, so that importing a light part of this package
#: (``config.errors`` for Snakemake's process) does not load jsonschema and the schemas
_HOMES = {
    "ConfigError": "errors",
    **dict.fromkeys(("KINDS", "Kind", "is_template", "load_schema", "schema_file"), "schemas"),
    **dict.fromkeys(
        (
            "Findings",
            "ValidatedSettings",
            "check_config",
            "check_settings",
            "validate_config",
            "validate_settings",
        ),
        "validation",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


__all__ = [
    "KINDS",
    "ConfigError",
    "Findings",
    "Kind",
    "ValidatedSettings",
    "check_config",
    "check_settings",
    "is_template",
    "load_schema",
    "schema_file",
    "validate_config",
    "validate_settings",
]
