"""A small reader of ClassAd requirement expressions, for naming what a job asks for.

Splits a ``Requirements`` expression into its top-level ``&&`` clauses (parentheses and quoted
strings respected) and finds the attributes a clause refers to. It is no full ClassAd parser: the
HTCondor bindings evaluate the clauses (:mod:`._unmatched`); this only cuts them apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_ATTRIBUTE = re.compile(r"(?i)\b(TARGET\.|MY\.)?([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def requirement_clauses(expr: str) -> list[str]:
    """The top-level ``&&`` clauses of a ClassAd expression, each without enclosing parentheses
    (``(A && B) && C`` -> ``[A, B, C]``)."""
    text = expr.strip()
    while text.startswith("(") and _closing_paren(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    parts, depth, start = [], 0, 0
    for i, char in _unquoted_chars(text):
        if i < start:  # the second "&" of a split
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith("&&", i):
            parts.append(text[start:i])
            start = i + 2
    parts.append(text[start:])
    if len(parts) == 1:
        return [text] if text else []
    return [clause for part in parts for clause in requirement_clauses(part)]


def attribute_references(clause: str) -> list[tuple[str, str]]:
    """``(prefix, name)`` of every attribute the clause refers to, in order, without repeats;
    prefix is ``TARGET.``, ``MY.`` (as written) or ``""``. Strings and function names are not
    attributes."""
    return list(dict.fromkeys(_ATTRIBUTE.findall(_STRING.sub('""', clause))))


def _closing_paren(text: str, open_at: int) -> int:
    depth = 0
    for i, char in _unquoted_chars(text, open_at):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _unquoted_chars(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """``(index, char)`` of every character outside double-quoted ClassAd strings."""
    quoted, i = False, start
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1  # an escaped character inside a string
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        else:
            yield i, char
        i += 1
