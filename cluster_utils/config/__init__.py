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

from .schemas import KINDS, Kind, is_template, load_schema, schema_file
from .validation import (
    ConfigError,
    Findings,
    ValidatedSettings,
    check_config,
    check_settings,
    validate_config,
    validate_settings,
)

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
