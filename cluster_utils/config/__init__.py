"""Settings of grid_search and hp_optimization runs: schema validation with readable errors.

>>> from cluster_utils.config import validate_config, ConfigError
>>> settings = validate_config(raw_settings, "grid_search")  # doctest: +SKIP

The schemas live in ``workflow/schemas/`` (``schema_file(kind)`` gives the path) so that the
Snakefile can use the same files with ``snakemake.utils.validate``.
"""

from .schemas import KINDS, Kind, is_template, load_schema, schema_file
from .validation import ConfigError, check_config, validate_config

__all__ = [
    "KINDS",
    "ConfigError",
    "Kind",
    "check_config",
    "is_template",
    "load_schema",
    "schema_file",
    "validate_config",
]
