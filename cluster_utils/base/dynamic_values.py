"""Dynamic values: settings strings with ``{...}`` fields evaluated against the settings.

As in smart_settings (3.0): a string such as ``"{fn_args.u < 0.2}"``, ``"{pairs[0]}"``,
``"{list(range(1, 4))}"`` or ``"/tmp/{$USER}/x"`` is formatted like an f-string whose names are
the top-level settings (nested dicts with attribute access), ``$VAR`` environment variables and
``__timestamp__``; the result is then turned into a Python literal where possible, else kept as a
string. A field that is the whole string keeps the value's type. Values referring to other
dynamic values are evaluated after them. ``{{`` and ``}}`` give literal braces.

Unlike 3.0 the expressions are restricted (:mod:`.expressions`: no imports, no dunders, no
attributes except of the settings, calls only to a few pure functions); anything else is a
:class:`SettingsError` naming the value, whether the pass is strict or not. Never pass
command-line text through here as settings: escape it first (:func:`.templates.escape_strings`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Collection, Iterator, Mapping

from .expressions import (
    ENV_MAPPING_NAME,
    TIMESTAMP_NAME,
    AttributeNamespace,
    ForbiddenExpression,
    evaluate_expression,
)
from .settings_error import SettingsError
from .templates import Field, Template, escape_braces, has_fields, parse_template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Path = tuple[str | int, ...]


def evaluate_dynamic(
    settings: Mapping[str, Any],
    *,
    strict: bool = True,
    keep_escapes: bool | None = None,
    per_job: Collection[str] = (),
    timestamp: str | None = None,
) -> dict[str, Any]:
    """A copy of ``settings`` with every dynamic string evaluated.

    ``strict=True``: a value that cannot be evaluated (unknown name, missing environment
    variable, error, circular reference) raises :class:`SettingsError` naming its key. A value
    using a forbidden construct raises it in either mode.
    ``strict=False``: such values (and the values depending on them) are left unchanged, so that
    they can be evaluated later against more settings (e.g. a fixed param referring to a grid
    value). ``keep_escapes`` (default: ``not strict``) keeps literal braces escaped as ``{{``/``}}``
    in string results, so that a later pass over the result gives the same final value; pass
    ``False`` for a lenient final pass. ``per_job`` names top-level keys that a later pass
    evaluates again (a config's ``fixed_params``): they keep escapes whatever ``keep_escapes``
    says. ``timestamp`` is ``__timestamp__`` (default: now).
    """
    if keep_escapes is None:
        keep_escapes = not strict
    keep = frozenset(per_job)

    def keeps(path: Path) -> bool:
        return keep_escapes or path[0] in keep

    root = _plain_copy(settings)
    templates = {
        path: (text, parts)
        for path, text, parts in _find_templates(root, ())
        if not keeps(path) or has_fields(parts)
    }
    if not templates:
        return root
    if timestamp is None:
        from datetime import datetime

        timestamp = datetime.now().strftime("%H:%M:%S-%d%h%y")
    context = _Context(root, set(templates), timestamp)
    _evaluate_all(context, templates, strict, keeps)
    if templates and strict:
        names = ", ".join(f"'{display_path(path)}'" for path in templates)
        raise SettingsError(f"cannot evaluate {names}: circular references between dynamic values")
    return root


def _evaluate_all(
    context: _Context,
    templates: dict[Path, tuple[str, Template]],
    strict: bool,
    keeps: Callable[[Path], bool],
) -> None:
    """Evaluate ``templates`` into ``context.root``, each after the values it refers to; what is
    left in ``templates`` refers to itself (circular references)."""
    progress = True
    while templates and progress:
        progress = False
        for path, (text, parts) in list(templates.items()):
            try:
                value = context.evaluate(parts, keeps(path))
            except _Pending:
                continue
            except ForbiddenExpression as error:
                raise SettingsError(_forbidden_message(path, text, error)) from None
            except Exception as error:
                if strict:
                    raise SettingsError(_failure_message(path, text, error)) from None
                context.unresolved.add(path)
            else:
                _set_at(context.root, path, value)
            context.pending.discard(path)
            del templates[path]
            progress = True


def _plain_copy(value: Any) -> Any:
    """Deep copy with every mapping (e.g. an immutable params dict) as a plain ``dict``."""
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_copy(item) for item in value]
    return copy.deepcopy(value)


def display_path(path: Path) -> str:
    """``("pairs", 0, "x")`` -> ``"pairs[0].x"``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _failure_message(path: Path, text: str, error: Exception) -> str:
    unresolvable = isinstance(error, _Unresolvable)
    reason = str(error) if unresolvable else f"{type(error).__name__}: {error}"
    if isinstance(error, NameError | KeyError | AttributeError):
        reason += " (write {{ and }} for literal braces)"
    return f"cannot evaluate dynamic value '{display_path(path)}' = {text!r}: {reason}"


def _forbidden_message(path: Path, text: str, error: ForbiddenExpression) -> str:
    return f"dynamic value '{display_path(path)}' = {text!r} is not allowed: {error}"


def _find_templates(node: Any, path: Path) -> Iterator[tuple[Path, str, Template]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _find_templates(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _find_templates(value, (*path, index))
    elif isinstance(node, str):
        try:
            parts = parse_template(node)
        except ForbiddenExpression as error:
            raise SettingsError(_forbidden_message(path, node, error)) from None
        if parts is not None:
            yield path, node, parts


def _set_at(root: dict[str, Any], path: Path, value: Any) -> None:
    node: Any = root
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


class _Pending(Exception):
    """Raised on access to a value that is itself still to be evaluated."""


class _Unresolvable(Exception):
    """Raised on access to something that cannot be evaluated (now or ever)."""


class _Context:
    def __init__(self, root: dict[str, Any], pending: set[Path], timestamp: str) -> None:
        self.root = root
        self.pending = pending
        self.unresolved: set[Path] = set()
        self.timestamp = timestamp
        self.environment = _Environment()

    def check(self, path: Path, *, subtree: bool) -> None:
        if path in self.pending:
            raise _Pending
        if path in self.unresolved:
            raise _Unresolvable(f"'{display_path(path)}' could not be evaluated")
        if subtree:
            size = len(path)
            if any(other[:size] == path for other in self.pending):
                raise _Pending
            if any(other[:size] == path for other in self.unresolved):
                raise _Unresolvable(f"'{display_path(path)}' contains an unevaluated value")

    def child(self, node: Any, path: Path) -> Any:
        """The namespace object for ``node`` at ``path`` (raises if it is not evaluated yet)."""
        self.check(path, subtree=not isinstance(node, dict))
        if isinstance(node, dict):
            return _View(self, node, path)
        return node

    def lookup(self, name: str) -> Any:
        """The value of a name in an expression (raises ``NameError`` if there is none)."""
        if name == TIMESTAMP_NAME:
            return self.timestamp
        if name == ENV_MAPPING_NAME:
            return self.environment
        if name in self.root:
            return self.child(self.root[name], (name,))
        raise NameError(f"name '{name}' is not defined", name=name)

    def evaluate(self, parts: Template, keep_escapes: bool) -> Any:
        if not has_fields(parts):
            return "".join(part for part in parts if isinstance(part, str))
        field = parts[0]
        if len(parts) == 1 and isinstance(field, Field) and not field.conversion and not field.spec:
            value = _settle(evaluate_expression(field.tree, self.lookup))
            return escape_braces(value) if keep_escapes and isinstance(value, str) else value
        pieces = [part if isinstance(part, str) else self._format(part) for part in parts]
        value = _literal_or_string("".join(pieces))
        if keep_escapes and isinstance(value, str):
            return "".join(escape_braces(piece) for piece in pieces)
        return value

    def _format(self, field: Field) -> str:
        value = evaluate_expression(field.tree, self.lookup)
        if field.conversion == "r":
            value = repr(value)
        elif field.conversion == "s":
            value = str(value)
        elif field.conversion == "a":
            value = ascii(value)
        spec = "".join(part if isinstance(part, str) else self._format(part) for part in field.spec)
        return format(value, spec)


class _Environment:
    def __getitem__(self, name: str) -> str:
        try:
            return os.environ[name]
        except KeyError:
            raise _Unresolvable(f"environment variable ${name} is not set") from None


class _View(AttributeNamespace, Mapping):
    """Read-only view of a nested settings dict with attribute access to its keys."""

    __slots__ = ("_context", "_node", "_path")

    def __init__(self, context: _Context, node: dict[str, Any], path: Path) -> None:
        self._context = context
        self._node = node
        self._path = path

    def __getitem__(self, key: Any) -> Any:
        return self._context.child(self._node[key], (*self._path, key))

    def attribute(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"'{display_path(self._path)}' has no key '{name}'") from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def plain(self) -> dict[str, Any]:
        self._context.check(self._path, subtree=True)
        return copy.deepcopy(self._node)

    def __repr__(self) -> str:
        return repr(self.plain())

    def __format__(self, spec: str) -> str:
        return format(repr(self), spec)


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _settle(value: Any) -> Any:
    if isinstance(value, str):
        return _literal_or_string(value)
    if isinstance(value, _View):
        return value.plain()
    if _is_plain(value):
        return value
    return _literal_or_string(str(value))


def _literal_or_string(text: str) -> Any:
    """``text`` as a Python literal (numbers, bools, None, lists, ...) if it is one, else itself."""
    import ast

    try:
        value = ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text
    return value if _is_plain(value) else text
