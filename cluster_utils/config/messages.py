"""Turning jsonschema's validation errors into one readable line per problem.

Every message names the key path (``hyperparam_list[2].values``), what was expected (phrased from
the schema) and what was found. ``anyOf`` failures, which jsonschema reports as a cascade of
errors from every branch, are reduced to the branch that matches the type of the value found
(or to one combined "expected A or B" line); the dynamic-template branch is never mentioned.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonschema import ValidationError

from .schemas import LoadedSchema, deref, is_template_schema, key_paths, known_keys, locate

if TYPE_CHECKING:
    from referencing._core import Resolver

PathElement = str | int
Path = tuple[PathElement, ...]

#: List the valid keys after an unknown key (without a close match) up to this many keys.
MAX_KEYS_LISTED = 8


@dataclass(frozen=True)
class Problem:
    """One problem in the settings: where it is and what is wrong.

    ``unknown_key`` marks a key that no schema declares (a warning unless validation is strict).
    """

    path: Path
    message: str
    unknown_key: bool = False


def format_path(path: Sequence[PathElement]) -> str:
    """``("hyperparam_list", 2, "values")`` -> ``hyperparam_list[2].values``."""
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        else:
            text += f".{element}" if text else str(element)
    return text


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def show_value(value: object, limit: int = 60) -> str:
    """A short rendering of a found value: ``'five'``, ``3``, ``true``, ``[1, 2]``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    if len(text) <= limit:
        return text
    closing = text[-1] if text[-1] in ")]}'\"" else ""
    return f"{text[: limit - 4]} ...{closing}"


def found(value: object) -> str:
    if value is None:
        return "null"
    return f"{show_value(value)} ({type_name(value)})"


# ---------------------------------------------------------------------------------------------
# Describing what a schema expects


_SINGULAR = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
    "array": "a list",
    "object": "a dict",
}
_PLURAL = {
    "string": "strings",
    "integer": "integers",
    "number": "numbers",
    "boolean": "booleans",
    "null": "nulls",
    "array": "lists",
    "object": "dicts",
}


def join_or(parts: Iterable[str]) -> str:
    unique = list(dict.fromkeys(part for part in parts if part))
    if not unique:
        return "a valid value"
    if len(unique) == 1:
        return unique[0]
    return ", ".join(unique[:-1]) + " or " + unique[-1]


def _types(schema: dict[str, Any]) -> list[str]:
    types = schema.get("type", [])
    return [types] if isinstance(types, str) else list(types)


def _range(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}"
    if schema.get("exclusiveMinimum") is not None:
        return f" > {schema['exclusiveMinimum']}"
    if high is not None:
        return f" <= {high}"
    return ""


def describe(schema: Any, resolver: Resolver, *, plural: bool = False) -> str:
    """What ``schema`` expects, e.g. ``an integer >= 1`` (or ``integers >= 1`` if plural)."""
    schema, resolver = deref(schema, resolver)
    if schema is True or not isinstance(schema, dict):
        return "values" if plural else "any value"
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return join_or(
            describe(branch, resolver, plural=plural)
            for branch in branches
            if not is_template_schema(branch, resolver)
        )
    if "$ref" in schema and "type" not in schema and "enum" not in schema:
        resolved = resolver.lookup(schema["$ref"])
        return describe(resolved.contents, resolved.resolver, plural=plural)
    if "enum" in schema:
        return "one of " + ", ".join(show_value(v) for v in schema["enum"])
    if "const" in schema:
        return show_value(schema["const"])
    types = _types(schema)
    if not types:
        return "values" if plural else "any value"
    if set(types) == {"boolean", "null"}:
        return "true, false or null"
    if types == ["boolean"]:
        return "booleans" if plural else "true or false"
    return join_or(_describe_type(t, schema, resolver, plural=plural) for t in types)


def _describe_type(name: str, schema: dict[str, Any], resolver: Resolver, *, plural: bool) -> str:
    base = _PLURAL[name] if plural else _SINGULAR[name]
    if name in ("integer", "number"):
        return base + _range(schema)
    if name == "string" and schema.get("minLength") == 1:
        return "non-empty strings" if plural else "a non-empty string"
    if name == "array":
        low, high = schema.get("minItems"), schema.get("maxItems")
        if low is not None and low == high:
            size = f"{low} "
        elif low == 1 and high is None:
            size = "non-empty "
        else:
            size = ""
        items = schema.get("items")
        of = f" of {describe(items, resolver, plural=True)}" if items is not None else ""
        if plural:
            return f"{size}lists{of}"
        if size == "":
            return f"a list{of}"
        if size == "non-empty ":
            return f"a non-empty list{of}"
        return f"a list of {size}{describe(items, resolver, plural=True) if items else 'values'}"
    return base


# ---------------------------------------------------------------------------------------------
# Errors -> problems


class ProblemCollector:
    """Collects the problems of one validation run against ``schema``."""

    def __init__(self, schema: LoadedSchema) -> None:
        self.schema = schema
        self.problems: list[Problem] = []
        self._all_key_paths: list[str] | None = None

    # -- public ---------------------------------------------------------------------------------

    def add(self, path: Sequence[PathElement], message: str, *, unknown_key: bool = False) -> None:
        problem = Problem(tuple(path), message, unknown_key)
        if problem not in self.problems:
            self.problems.append(problem)

    def add_error(self, error: ValidationError) -> None:
        """Add the problem(s) that one jsonschema error stands for."""
        path: Path = tuple(error.absolute_path)
        keyword = error.validator
        schema, resolver = locate(list(error.absolute_schema_path)[:-1], self.schema, error.schema)
        if keyword in ("additionalProperties", "unevaluatedProperties"):
            self._unknown_keys(path, error.instance, schema, resolver)
        elif keyword == "required":
            self._missing_keys(path, error, schema)
        elif keyword in ("anyOf", "oneOf"):
            self._any_of(path, error, schema, resolver)
        else:
            self.add(
                path,
                f"{self._where(path)}expected {describe(schema, resolver)}, "
                f"found {found(error.instance)}",
            )

    # -- kinds of errors ------------------------------------------------------------------------

    @staticmethod
    def _where(path: Sequence[PathElement]) -> str:
        return f"{format_path(path)}: " if path else ""

    def _unknown_keys(self, path: Path, instance: Any, schema: Any, resolver: Resolver) -> None:
        if not isinstance(instance, dict):
            return
        allowed = known_keys(schema, resolver)
        for key in instance:
            if key not in allowed:
                message = self.unknown_key_message(path, str(key), allowed)
                self.add((*path, key), message, unknown_key=True)

    def unknown_key_message(self, path: Path, key: str, allowed: Sequence[str]) -> str:
        full = format_path((*path, key))
        message = f"unknown key '{full}'"
        by_lower = {name.lower(): name for name in allowed}
        close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
        if close:
            return f"{message} — did you mean '{by_lower[close[0]]}'?"
        elsewhere = [
            candidate
            for candidate in self._key_paths()
            if candidate.rsplit(".", 1)[-1] == key and candidate != full
        ]
        if elsewhere:
            return f"{message} — did you mean '{elsewhere[0]}'?"
        if path and 0 < len(allowed) <= MAX_KEYS_LISTED:
            return f"{message} (valid keys: {', '.join(sorted(allowed))})"
        return message

    def _key_paths(self) -> list[str]:
        if self._all_key_paths is None:
            self._all_key_paths = key_paths(self.schema.contents, self.schema.resolver())
        return self._all_key_paths

    def _missing_keys(self, path: Path, error: ValidationError, schema: Any) -> None:
        if not isinstance(error.instance, dict):
            return
        hint = ""
        schema_path = list(error.absolute_schema_path)
        in_branch = len(schema_path) >= 2 and schema_path[-2] in ("then", "else")
        if in_branch and isinstance(schema, dict) and schema.get("description"):
            hint = f" ({schema['description']})"
        for key in error.validator_value:
            if key not in error.instance:
                full = format_path((*path, key))
                self.add((*path, key), f"missing required key '{full}'{hint}")

    def _any_of(self, path: Path, error: ValidationError, schema: Any, resolver: Resolver) -> None:
        branches = schema[error.validator]
        candidates = [
            index
            for index, branch in enumerate(branches)
            if not is_template_schema(branch, resolver)
            and _accepts_type(branch, resolver, error.instance)
        ]
        if len(candidates) == 1:
            (index,) = candidates
            sub_errors = [e for e in error.context or [] if e.relative_schema_path[0] == index]
            if sub_errors:
                for sub_error in sub_errors:
                    self.add_error(sub_error)
                return
        self.add(
            path,
            f"{self._where(path)}expected {describe(schema, resolver)}, "
            f"found {found(error.instance)}",
        )


def _accepts_type(schema: Any, resolver: Resolver, value: object) -> bool:
    """Whether ``schema`` accepts values of the JSON type of ``value`` (ignoring other rules)."""
    schema, resolver = deref(schema, resolver)
    if not isinstance(schema, dict):
        return bool(schema)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return any(_accepts_type(branch, resolver, value) for branch in branches)
    if "enum" in schema:
        return any(type_name(option) == type_name(value) for option in schema["enum"])
    types = _types(schema)
    if not types:
        return True
    name = type_name(value)
    json_name = {"list": "array", "dict": "object"}.get(name, name)
    return json_name in types or (json_name == "integer" and "number" in types)
