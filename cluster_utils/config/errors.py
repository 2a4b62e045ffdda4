"""The error of invalid settings, importable without the schemas and jsonschema (Snakemake's
process and the local GPU check raise it; ``validation`` raises it for what the schemas find)."""

from __future__ import annotations

from collections.abc import Sequence


class ConfigError(ValueError):
    """The settings are invalid. ``problems`` holds one message per problem (the errors);
    ``warnings`` what would only have been warned about (not part of the message)."""

    def __init__(self, problems: Sequence[str], warnings: Sequence[str] = ()) -> None:
        self.problems: list[str] = list(problems)
        self.warnings: tuple[str, ...] = tuple(warnings)
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)
