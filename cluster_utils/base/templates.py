"""Split a dynamic settings string into literal text and f-string style ``{expression}`` fields.

Follows f-string rules: ``{{`` and ``}}`` are literal braces, a field is
``{expression[!conversion][:format_spec]}``, the format spec may contain nested fields.
``$NAME`` inside a field refers to the environment variable ``NAME`` (smart_settings). Strings
that do not parse, or whose fields are only string constants (a JSON object such as
``'{"a": 1}'``), are not templates. A field whose expression parses but uses something outside
the whitelist of :mod:`.expressions` raises :class:`~.expressions.ForbiddenExpression`.
"""

from __future__ import annotations

import ast
import re

from .expressions import ENV_MAPPING_NAME, ForbiddenExpression, check_expression

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "ENV_MAPPING_NAME",
    "Field",
    "ForbiddenExpression",
    "Template",
    "escape_braces",
    "escape_strings",
    "has_fields",
    "parse_template",
]

_ENV_REFERENCE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class Field:
    """One ``{...}`` field: the (checked) expression, its conversion and its format spec."""

    __slots__ = ("conversion", "source", "spec", "tree")

    def __init__(
        self,
        source: str,
        tree: ast.Expression,
        conversion: str | None = None,
        spec: tuple[str | Field, ...] = (),
    ) -> None:
        self.source = source
        self.tree = tree
        self.conversion = conversion
        self.spec = spec

    def __repr__(self) -> str:
        return f"Field({self.source!r}, conversion={self.conversion!r}, spec={self.spec!r})"


Template = tuple[str | Field, ...]


class _NotATemplate(Exception):
    pass


def parse_template(text: str) -> Template | None:
    """The parts of ``text`` (literal parts unescaped), or ``None`` if it has no braces or is not
    valid f-string syntax. A template without fields has only ``{{``/``}}`` escapes.

    Raises :class:`ForbiddenExpression` for a field outside the whitelist (``{__import__(...)}``).
    """
    if "{" not in text and "}" not in text:
        return None
    try:
        parts, end = _parse_parts(text, 0, in_spec=False)
    except _NotATemplate:
        return None
    return parts if end == len(text) else None


def has_fields(parts: Template) -> bool:
    """Whether ``parts`` has at least one ``{...}`` field."""
    return any(isinstance(part, Field) for part in parts)


def escape_braces(text: str) -> str:
    """Double the braces of ``text`` so that evaluating it as a template gives ``text`` back."""
    return text.replace("{", "{{").replace("}", "}}")


def escape_strings(value: Any) -> Any:
    """``value`` with the braces of every string in it (not of dict keys) doubled: data that a
    later evaluation pass gives back unchanged."""
    if isinstance(value, str):
        return escape_braces(value)
    if isinstance(value, list | tuple):
        return type(value)(escape_strings(item) for item in value)
    if isinstance(value, dict):
        return {key: escape_strings(item) for key, item in value.items()}
    return value


def _parse_parts(text: str, pos: int, *, in_spec: bool) -> tuple[Template, int]:
    parts: list[str | Field] = []
    literal: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "{" and not in_spec and text.startswith("{{", pos):
            literal.append("{")
            pos += 2
        elif char == "{":
            if literal:
                parts.append("".join(literal))
                literal = []
            field, pos = _parse_field(text, pos + 1)
            parts.append(field)
        elif char == "}" and in_spec:
            break
        elif char == "}":
            if not text.startswith("}}", pos):
                raise _NotATemplate
            literal.append("}")
            pos += 2
        else:
            literal.append(char)
            pos += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts), pos


def _parse_field(text: str, start: int) -> tuple[Field, int]:
    depth = 0
    pos = start
    while pos < len(text):
        char = text[pos]
        if char in "'\"":
            pos = _skip_string(text, pos)
            continue
        if char in "([{":
            depth += 1
        elif char in ")]" or (char == "}" and depth > 0):
            depth -= 1
        elif depth == 0 and (char in ":}" or (char == "!" and not text.startswith("!=", pos))):
            return _finish_field(text, start, pos)
        pos += 1
    raise _NotATemplate


def _finish_field(text: str, start: int, pos: int) -> tuple[Field, int]:
    source = text[start:pos]
    conversion = None
    if text[pos] == "!":
        conversion = text[pos + 1 : pos + 2]
        if conversion not in ("r", "s", "a"):
            raise _NotATemplate
        pos += 2
    spec: Template = ()
    if pos < len(text) and text[pos] == ":":
        spec, pos = _parse_parts(text, pos + 1, in_spec=True)
    if pos >= len(text) or text[pos] != "}":
        raise _NotATemplate
    return Field(source, _compile(source), conversion, spec), pos + 1


def _skip_string(text: str, pos: int) -> int:
    quote = text[pos] * 3 if text.startswith(text[pos] * 3, pos) else text[pos]
    pos += len(quote)
    while pos < len(text):
        if text[pos] == "\\":
            pos += 2
        elif text.startswith(quote, pos):
            return pos + len(quote)
        else:
            pos += 1
    raise _NotATemplate


def _compile(source: str) -> ast.Expression:
    if not source.strip():
        raise _NotATemplate
    expression = _ENV_REFERENCE.sub(rf'{ENV_MAPPING_NAME}["\1"]', source)
    try:
        tree = ast.parse(f"({expression}\n)", "<dynamic setting>", "eval")
    except (SyntaxError, ValueError):
        raise _NotATemplate from None
    except (RecursionError, MemoryError):
        raise ForbiddenExpression("the expression is nested too deeply") from None
    if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str):
        raise _NotATemplate  # e.g. a JSON object in a string: '{"a": 1}'
    check_expression(tree)
    return tree
