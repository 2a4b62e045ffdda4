"""Filling in the ``default`` values declared in the settings schemas.

jsonschema only validates; this walks the schema next to the settings and adds every missing key
that has a ``default`` (a default given next to a ``$ref`` wins over one in the referenced schema),
then descends into the values, so nested defaults (``git_params.remove_local_copy``,
``optimized_params[*].smart_rounding``) are filled too. ``if``/``then``/``else`` is followed
according to the settings (e.g. the optimizer_settings defaults of the chosen optimizer_str).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator

from .schemas import LoadedSchema

if TYPE_CHECKING:
    from referencing._core import Resolver

NO_DEFAULT = object()


def fill_defaults(settings: dict[str, Any], schema: LoadedSchema) -> dict[str, Any]:
    """A deep copy of ``settings`` (assumed valid) with all schema defaults filled in."""
    result = copy.deepcopy(settings)
    _fill(result, schema.contents, schema.resolver())
    return result


def default_of(schema: Any, resolver: Resolver) -> Any:
    while isinstance(schema, dict):
        if "default" in schema:
            return schema["default"]
        if "$ref" not in schema:
            break
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = resolved.contents, resolved.resolver
    return NO_DEFAULT


def _fill(instance: Any, schema: Any, resolver: Resolver) -> None:
    if not isinstance(schema, dict):
        return
    # own properties first: their defaults take precedence over those of included schemas, and
    # they must be in place before if/then decides on them (e.g. optimizer_str)
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in instance:
                default = default_of(sub, resolver)
                if default is not NO_DEFAULT:
                    instance[key] = copy.deepcopy(default)
            if key in instance:
                _fill(instance[key], sub, resolver)
    if isinstance(instance, list) and "items" in schema:
        for item in instance:
            _fill(item, schema["items"], resolver)
    if "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        _fill(instance, resolved.contents, resolved.resolver)
    for sub in schema.get("allOf", []):
        _fill(instance, sub, resolver)
    if "if" in schema:
        holds = Draft202012Validator(schema["if"]).is_valid(instance)
        branch = schema.get("then" if holds else "else")
        if branch is not None:
            _fill(instance, branch, resolver)
