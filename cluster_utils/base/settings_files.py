"""Parse one JSON, YAML or TOML settings file into a dict (no imports, no dynamic values)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .settings_error import SettingsError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SUPPORTED_SUFFIXES = (".json", ".yaml", ".yml", ".toml")


def read_settings_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The raw content of a settings file, chosen by its extension; errors name file and line."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SettingsError(
            f"{path}: unsupported settings file type '{suffix or '(none)'}';"
            f" supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{path}: settings file does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot read settings file: {error}") from None
    if suffix == ".json":
        data = _parse_json(text, path)
    elif suffix == ".toml":
        data = _parse_toml(text, path)
    else:
        data = _parse_yaml(text, path)
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: the top level must be a mapping, found {type(data).__name__}")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(Exception):
    pass


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as error:
        raise SettingsError(
            f"{path}:{error.lineno}: invalid JSON (line {error.lineno}, column {error.colno}):"
            f" {error.msg}"
        ) from None
    except _DuplicateKey as error:
        raise SettingsError(f"{path}: duplicate key '{error.args[0]}'") from None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _parse_toml(text: str, path: Path) -> Any:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        if match is None:
            raise SettingsError(f"{path}: invalid TOML: {message}") from None
        line, column = match.groups()
        message = message[: match.start()]
        raise SettingsError(
            f"{path}:{line}: invalid TOML (line {line}, column {column}): {message}"
        ) from None


def _parse_yaml(text: str, path: Path) -> Any:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(filter(None, [error.context, error.problem]))
        if mark is None:
            raise SettingsError(f"{path}: invalid YAML: {problem}") from None
        line, column = mark.line + 1, mark.column + 1
        raise SettingsError(
            f"{path}:{line}: invalid YAML (line {line}, column {column}): {problem}"
        ) from None
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: invalid YAML: {error}") from None
    return {} if data is None else data
