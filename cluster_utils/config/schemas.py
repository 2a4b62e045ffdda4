"""Loading the settings schemas (``workflow/schemas/*.schema.yaml``) and walking through them.

The schemas are JSON Schema draft 2020-12 written in YAML. ``grid_search.schema.yaml`` and
``hp_optimization.schema.yaml`` include ``common.schema.yaml`` with relative ``$ref`` s; they are
resolved against the files' own ``file://`` URIs, the same way ``snakemake.utils.validate`` does,
so one set of files serves both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import urlparse
from urllib.request import url2pathname

import yaml
from jsonschema import Draft202012Validator, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cluster_utils.base.workflow_files import schema_path

if TYPE_CHECKING:
    from referencing._core import Resolver

Kind = Literal["grid_search", "hp_optimization"]
KINDS: tuple[Kind, ...] = get_args(Kind)

COMMON_SCHEMA_FILE = "common.schema.yaml"


def schema_file(kind: Kind) -> Path:
    """Path of the schema file of ``kind`` (usable with ``snakemake.utils.validate``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of settings {kind!r}; expected one of {KINDS}")
    return schema_path(f"{kind}.schema.yaml")


#: A dynamic value that is evaluated later: any string holding a ``{...}`` expression.
#: Must match ``$defs/template/pattern`` of common.schema.yaml (a test checks this).
TEMPLATE_PATTERN = r"\{.+\}"
_TEMPLATE_RE = re.compile(TEMPLATE_PATTERN)
TEMPLATE_DEF = "/$defs/template"


def is_template(value: object) -> bool:
    """Whether ``value`` is a dynamic template string such as ``"{list(range(1, 4))}"``."""
    return isinstance(value, str) and _TEMPLATE_RE.search(value) is not None


def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        # libyaml's parser where PyYAML has it: the schemas load ~10x faster (every command)
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _retrieve(uri: str) -> Resource:
    contents = _load_yaml(Path(url2pathname(urlparse(uri).path)))
    return Resource.from_contents(contents, default_specification=DRAFT202012)


@dataclass(frozen=True)
class LoadedSchema:
    """The root schema of one kind of settings, with what is needed to follow its ``$ref`` s."""

    kind: Kind
    uri: str
    contents: dict[str, Any]
    registry: Registry

    def resolver(self) -> Resolver:
        return self.registry.resolver(base_uri=self.uri)

    def validator(self) -> Draft202012Validator:
        return _Validator(self.contents, registry=self.registry)


def _is_array(checker: object, instance: object) -> bool:
    return isinstance(instance, list | tuple)


#: Draft 2020-12, but tuples count as arrays: command-line overrides are parsed as Python
#: literals, so ``bounds=(1, 2)`` arrives as a tuple.
_Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("array", _is_array),
)


@cache
def load_schema(kind: Kind) -> LoadedSchema:
    """Load (once) the schema of ``kind`` together with the files it refers to."""
    path = schema_file(kind).resolve()
    uri = path.as_uri()
    contents = dict(_load_yaml(path))
    contents["$id"] = uri
    common = schema_path(COMMON_SCHEMA_FILE).resolve()
    registry: Registry = Registry(retrieve=_retrieve).with_resources(
        [
            (uri, Resource.from_contents(contents, default_specification=DRAFT202012)),
            (common.as_uri(), _retrieve(common.as_uri())),
        ]
    )
    return LoadedSchema(kind=kind, uri=uri, contents=contents, registry=registry)


# ---------------------------------------------------------------------------------------------
# Walking


def deref(schema: Any, resolver: Resolver) -> tuple[Any, Resolver]:
    """Follow ``$ref`` while the schema is a bare reference (siblings are only annotations)."""
    while isinstance(schema, dict) and "$ref" in schema and not has_assertions(schema):
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = resolved.contents, resolved.resolver
    return schema, resolver


_ANNOTATIONS = {"$ref", "description", "default", "title", "$comment", "examples"}
#: our own annotations (``x-backends``: common.schema.yaml's header) start with this
CUSTOM_ANNOTATION_PREFIX = "x-"


def has_assertions(schema: dict[str, Any]) -> bool:
    return any(
        key not in _ANNOTATIONS and not key.startswith(CUSTOM_ANNOTATION_PREFIX) for key in schema
    )


def is_template_schema(schema: Any, resolver: Resolver) -> bool:
    """Whether ``schema`` is (a reference to) ``$defs/template``."""
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return schema["$ref"].endswith(TEMPLATE_DEF)
    return False


def locate(path: Sequence[Any], root: LoadedSchema, target: Any) -> tuple[Any, Resolver]:
    """The subschema ``target`` at ``path`` (an ``absolute_schema_path``) and its resolver.

    jsonschema leaves ``$ref`` (and ``if``) out of schema paths, so a step that the current schema
    cannot take is tried again after following its ``$ref``; ``target`` (the error's schema)
    decides between the candidates.
    """
    found = _locate(root.contents, root.resolver(), list(path), target)
    if found is None:
        return target, root.resolver()
    return found


def _locate(
    schema: Any, resolver: Resolver, path: list[Any], target: Any
) -> tuple[Any, Resolver] | None:
    if not path:
        if schema is target or schema == target:
            return schema, resolver
        if isinstance(schema, dict) and "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            return _locate(resolved.contents, resolved.resolver, path, target)
        return None
    element, rest = path[0], path[1:]
    if isinstance(schema, dict) and isinstance(element, str) and element in schema:
        found = _locate(schema[element], resolver, rest, target)
        if found is not None:
            return found
    if isinstance(schema, list) and isinstance(element, int) and element < len(schema):
        found = _locate(schema[element], resolver, rest, target)
        if found is not None:
            return found
    if isinstance(schema, dict) and "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        return _locate(resolved.contents, resolved.resolver, path, target)
    return None


def property_schemas(
    schema: Any, resolver: Resolver, *, instance: Any = None
) -> Iterator[tuple[str, Any, Resolver]]:
    """Every ``(key, subschema, resolver)`` declared for an object by ``schema``.

    Follows ``$ref``, ``allOf`` and ``anyOf``/``oneOf`` branches, and ``then``/``else`` of
    ``if`` (both of them, or only the one that applies when ``instance`` is given).
    """
    if not isinstance(schema, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        yield key, sub, resolver
    if "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        yield from property_schemas(resolved.contents, resolved.resolver, instance=instance)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, []):
            yield from property_schemas(sub, resolver, instance=instance)
    if "if" in schema:
        branches = ["then", "else"]
        if instance is not None:
            holds = Draft202012Validator(schema["if"]).is_valid(instance)
            branches = ["then" if holds else "else"]
        for branch in branches:
            if branch in schema:
                yield from property_schemas(schema[branch], resolver, instance=instance)


def known_keys(schema: Any, resolver: Resolver) -> list[str]:
    """The keys an object may have under ``schema``, in declaration order."""
    return list(dict.fromkeys(key for key, _, _ in property_schemas(schema, resolver)))


def key_paths(schema: Any, resolver: Resolver, prefix: str = "") -> list[str]:
    """Dotted paths of all keys of nested objects (not inside lists), e.g. ``git_params.url``."""
    paths: list[str] = []
    for key, sub, sub_resolver in property_schemas(schema, resolver):
        path = f"{prefix}{key}"
        paths.append(path)
        target, target_resolver = deref(sub, sub_resolver)
        if _declares_object(target, target_resolver):
            paths.extend(key_paths(sub, sub_resolver, prefix=f"{path}."))
    return list(dict.fromkeys(paths))


def _declares_object(schema: Any, resolver: Resolver) -> bool:
    if not isinstance(schema, dict):
        return False
    types = schema.get("type")
    return types == "object" or (isinstance(types, list) and "object" in types)
