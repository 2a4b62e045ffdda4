"""Every config key of grid_search / hp_optimization, read from the schemas that validate configs.

This is what ``cluster-utils options`` shows: each key by its dotted path (items of a list as
``hyperparam_list[].param``), what its value may be, its default, the first sentence of its
description, the backends that honour it (the ``x-backends`` annotation, see the header of
common.schema.yaml) and, for keys of a conditional branch (``if``/``then``), when they apply
(``optimizer_str = nevergrad``). Nothing here lists keys: a key added to a schema appears.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .defaults import NO_DEFAULT, default_of
from .messages import describe, show_value
from .schemas import Kind, deref, has_assertions, load_schema

if TYPE_CHECKING:
    from referencing._core import Resolver

#: every backend name a schema's ``x-backends`` may list
BACKENDS: tuple[str, ...] = ("local", "slurm", "htcondor", "pbs")
BACKENDS_ANNOTATION = "x-backends"
REQUIRED = "required"


@dataclass(frozen=True)
class ConfigKey:
    """One key of the settings, as the schemas declare it."""

    path: str
    #: what the value may be, e.g. "an integer >= 1" ("" if the schema does not restrict it)
    type: str
    #: the default value as text, "required", or "" (neither)
    default: str
    #: the first sentence of the key's description
    meaning: str
    #: the backends that honour the key; ``None``: every backend
    backends: tuple[str, ...] | None = None
    #: when the key applies ("optimizer_str = nevergrad"); empty: always
    conditions: tuple[str, ...] = ()
    #: the kinds of settings that have the key
    kinds: tuple[Kind, ...] = ()
    #: each kind's default where the kinds' defaults differ (``default`` is then "")
    default_by_kind: tuple[tuple[Kind, str], ...] = ()

    def ignored_by(self, backend: str) -> bool:
        return self.backends is not None and backend not in self.backends


def config_keys(kinds: Sequence[Kind]) -> list[ConfigKey]:
    """The keys of each of ``kinds`` in schema order; a key of several kinds appears once (with
    each kind's default where they differ)."""
    merged: dict[str, ConfigKey] = {}
    defaults: dict[str, dict[Kind, str]] = {}
    for kind in kinds:
        for key in _keys_of(kind):
            defaults.setdefault(key.path, {})[kind] = key.default
            known = merged.get(key.path)
            merged[key.path] = key if known is None else replace(known, kinds=(*known.kinds, kind))
    return [
        key
        if len(set(defaults[path].values())) == 1
        else replace(key, default="", default_by_kind=tuple(defaults[path].items()))
        for path, key in merged.items()
    ]


@dataclass
class _Entry:
    """What the declarations of one key path say; a later unconditional declaration (a kind's own
    ``properties``) wins over one included with ``$ref``, a conditional one only fills gaps."""

    type: str = ""
    default: str = ""
    description: str = ""
    backends: tuple[str, ...] | None = None
    conditions: list[str] = field(default_factory=list)
    unconditional: bool = False

    def add(self, declared: _Entry, condition: str) -> None:
        if condition:
            if not self.unconditional and condition not in self.conditions:
                self.conditions.append(condition)
        else:
            self.unconditional = True
            self.conditions.clear()
        for name in ("type", "default", "description", "backends"):
            value = getattr(declared, name)
            if value and (not condition or not getattr(self, name)):
                setattr(self, name, value)


def _keys_of(kind: Kind) -> list[ConfigKey]:
    schema = load_schema(kind)
    entries: dict[str, _Entry] = {}
    _object_keys(schema.contents, schema.resolver(), "", "", entries)
    order = {path: index for index, path in enumerate(entries)}
    ranked = sorted(entries, key=lambda path: [order[p] for p in _lineage(path, order)])
    entries = {path: entries[path] for path in ranked}
    return [
        ConfigKey(
            path=path,
            type=entry.type,
            default=entry.default,
            meaning=first_sentence(entry.description),
            backends=entry.backends,
            conditions=tuple(entry.conditions),
            kinds=(kind,),
        )
        for path, entry in entries.items()
    ]


def _object_keys(
    schema: Any,
    resolver: Resolver,
    prefix: str,
    condition: str,
    entries: dict[str, _Entry],
    *,
    branch: bool = False,
) -> None:
    """Record the keys ``schema`` declares for an object (through ``$ref``, ``allOf``/``anyOf``/
    ``oneOf`` and ``if``/``then``/``else``), and those of their own objects and lists.

    ``branch``: ``schema`` is a ``then``/``else``, whose ``required`` holds only in its case."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        _object_keys(resolved.contents, resolved.resolver, prefix, condition, entries)
    required = set() if branch else set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        declared = _declaration(sub, resolver, required=key in required)
        entries.setdefault(path, _Entry()).add(declared, condition)
        _object_keys(sub, resolver, f"{path}.", condition, entries)
        items, items_resolver = _list_items(sub, resolver)
        if items is not None:
            _object_keys(items, items_resolver, f"{path}[].", condition, entries)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, []):
            _object_keys(branch, resolver, prefix, condition, entries)
    if "if" in schema:
        holds = condition_text(schema["if"])
        for name, text in (("then", holds), ("else", f"not ({holds})")):
            if name in schema:
                both = f"{condition} and {text}" if condition else text
                _object_keys(schema[name], resolver, prefix, both, entries, branch=True)


def _declaration(sub: Any, resolver: Resolver, *, required: bool) -> _Entry:
    target, _ = deref(sub, resolver)
    entry = _Entry()
    if not isinstance(sub, dict):
        return entry
    entry.description = sub.get("description") or (
        target.get("description", "") if isinstance(target, dict) else ""
    )
    if isinstance(target, dict) and has_assertions(target):
        entry.type = _without_article(describe(sub, resolver))
    default = default_of(sub, resolver)
    entry.default = REQUIRED if required else "" if default is NO_DEFAULT else show_default(default)
    entry.backends = backends_of(sub, resolver)
    return entry


def backends_of(sub: Any, resolver: Resolver) -> tuple[str, ...] | None:
    """The ``x-backends`` of a key: on the key itself, else on the definition it refers to."""
    target, _ = deref(sub, resolver)
    for schema in (sub, target):
        if isinstance(schema, dict) and BACKENDS_ANNOTATION in schema:
            return tuple(schema[BACKENDS_ANNOTATION])
    return None


def _lineage(path: str, known: dict[str, int]) -> list[str]:
    """``path`` and the declared keys it is nested in, outermost first: children follow their
    parent even when a conditional branch declared them later."""
    cuts = [match.start() for match in re.finditer(r"\[\]\.|\.", path)]
    return [path[:cut] for cut in cuts if path[:cut] in known] + [path]


def _list_items(sub: Any, resolver: Resolver) -> tuple[Any, Resolver]:
    target, target_resolver = deref(sub, resolver)
    if isinstance(target, dict) and target.get("type") == "array" and "items" in target:
        return target["items"], target_resolver
    return None, resolver


def condition_text(schema: Any) -> str:
    """``if`` schemas as people write them: ``optimizer_str = nevergrad``, ``x in a, b``."""
    parts = []
    if isinstance(schema, dict):
        for key, sub in schema.get("properties", {}).items():
            if isinstance(sub, dict) and "const" in sub:
                parts.append(f"{key} = {show_default(sub['const'])}")
            elif isinstance(sub, dict) and "enum" in sub:
                parts.append(f"{key} in {', '.join(show_default(v) for v in sub['enum'])}")
    return " and ".join(parts) or "its condition holds"


def show_default(value: Any) -> str:
    """A default as a config writes it: ``never``, ``100``, ``true``, ``null``, ``{}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | bool) or value is None:
        return json.dumps(value)
    return show_value(value)


def _without_article(text: str) -> str:
    return re.sub(r"(^|, |or )(a|an) ", r"\1", text)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def first_sentence(description: str) -> str:
    text = " ".join(description.split())
    return _SENTENCE_END.split(text, maxsplit=1)[0]
