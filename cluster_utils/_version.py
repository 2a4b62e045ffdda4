"""The package version (kept in sync with pyproject.toml)."""

__version__ = "4.0.0.dev0"
