"""The restricted expressions of dynamic settings values (``"{fn_args.u < 0.2}"``).

An expression is parsed with :mod:`ast`, checked against a whitelist (:func:`check_expression`)
and evaluated by walking the tree (:func:`evaluate_expression`); nothing is passed to ``eval``.

Allowed: literals (numbers, strings, ``None``, lists, tuples, dicts, sets), arithmetic,
comparisons, ``and``/``or``/``not``, ``x if c else y``, subscripts and slices, comprehensions,
names (the settings, ``__timestamp__``, ``$VAR`` environment variables), attribute access on the
settings only (``fn_args.u``), and calls to the functions of :data:`FUNCTIONS`. Anything else
(imports, lambdas, ``__dunder__`` names or attributes, attributes of other objects, other calls,
``:=``) raises :class:`ForbiddenExpression`. Results are bounded (:data:`MAX_SIZE`,
:data:`MAX_STEPS`), so that a value cannot make the loader run for ever.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator
from typing import Any

#: the mapping that ``$VAR`` references read (``$HOME`` -> ``__env__["HOME"]``)
ENV_MAPPING_NAME = "__env__"
TIMESTAMP_NAME = "__timestamp__"
INTERNAL_NAMES = frozenset({ENV_MAPPING_NAME, TIMESTAMP_NAME})
#: largest range, repeated sequence or shift an expression may build
MAX_SIZE = 1_000_000
#: most evaluation steps (tree nodes, comprehension rounds) of one expression
MAX_STEPS = 1_000_000


class ForbiddenExpression(Exception):
    """An expression (or an operation in it) that a dynamic value may never use."""


def _range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_SIZE:
        raise ForbiddenExpression(f"range of {len(result)} numbers (at most {MAX_SIZE})")
    return result


#: the only functions an expression may call: pure, on data only
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "float": float,
    "int": int,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "range": _range,
    "reversed": reversed,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
}

_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.expr_context,
    ast.boolop,
    ast.unaryop,
    ast.cmpop,
)
_NAMES_OF_NODES = {
    ast.Lambda: "lambda",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "f-string",
    ast.Starred: "* unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.MatMult: "@",
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def check_expression(tree: ast.Expression) -> None:
    """Raise :class:`ForbiddenExpression` if ``tree`` uses anything outside the whitelist."""
    for node in ast.walk(tree):
        reason = _forbidden(node)
        if reason:
            raise ForbiddenExpression(reason)


def _forbidden(node: ast.AST) -> str | None:
    if isinstance(node, ast.operator):
        return None if type(node) in _BINARY else "the operator @"
    if not isinstance(node, _NODES):
        name = _NAMES_OF_NODES.get(type(node), type(node).__name__)
        return f"{name} is not allowed"
    if isinstance(node, ast.Name) and node.id.startswith("__") and node.id not in INTERNAL_NAMES:
        return f"the name '{node.id}' is not allowed"
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("__"):
            return f"the attribute '.{node.attr}' is not allowed"
        if isinstance(node.ctx, ast.Store):
            return "assigning to an attribute is not allowed"
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        return "assigning to an item is not allowed"
    if isinstance(node, ast.Call):
        return _forbidden_call(node)
    if isinstance(node, ast.Dict) and None in node.keys:
        return "** unpacking is not allowed"
    if isinstance(node, ast.comprehension) and node.is_async:
        return "async comprehensions are not allowed"
    return None


def _forbidden_call(node: ast.Call) -> str | None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        allowed = ", ".join(FUNCTIONS)
        return f"calling '{ast.unparse(node.func)}' is not allowed (only {allowed})"
    if any(keyword.arg is None for keyword in node.keywords):
        return "** unpacking is not allowed"
    return None


class AttributeNamespace:
    """Base of the objects whose keys an expression may read as attributes: the settings."""

    __slots__ = ()

    def attribute(self, name: str) -> Any:
        raise NotImplementedError


def evaluate_expression(tree: ast.Expression, lookup: Callable[[str], Any]) -> Any:
    """The value of a checked ``tree``; ``lookup(name)`` gives a name's value or raises
    ``NameError``. Names it does not know may still be functions of :data:`FUNCTIONS`."""
    return _Evaluator(lookup).evaluate(tree.body, {})


Scope = dict[str, Any]


class _Evaluator:
    def __init__(self, lookup: Callable[[str], Any]) -> None:
        self.lookup = lookup
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ForbiddenExpression(f"more than {MAX_STEPS} evaluation steps")

    def evaluate(self, node: ast.expr, scope: Scope) -> Any:
        self.step()
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:  # not reached for checked trees
            raise ForbiddenExpression(f"{type(node).__name__} is not allowed")
        return method(node, scope)

    def _Constant(self, node: ast.Constant, scope: Scope) -> Any:
        return node.value

    def _Name(self, node: ast.Name, scope: Scope) -> Any:
        if node.id in scope:
            return scope[node.id]
        try:
            return self.lookup(node.id)
        except NameError:
            if node.id in FUNCTIONS:
                return FUNCTIONS[node.id]
            raise

    def _Attribute(self, node: ast.Attribute, scope: Scope) -> Any:
        value = self.evaluate(node.value, scope)
        if not isinstance(value, AttributeNamespace):
            raise ForbiddenExpression(
                f"'{ast.unparse(node)}': attributes can only be read from the settings,"
                f" not from {type(value).__name__} values"
            )
        return value.attribute(node.attr)

    def _Subscript(self, node: ast.Subscript, scope: Scope) -> Any:
        return self.evaluate(node.value, scope)[self.evaluate(node.slice, scope)]

    def _Slice(self, node: ast.Slice, scope: Scope) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.evaluate(part, scope) for part in parts))

    def _Tuple(self, node: ast.Tuple, scope: Scope) -> tuple[Any, ...]:
        return tuple(self.evaluate(item, scope) for item in node.elts)

    def _List(self, node: ast.List, scope: Scope) -> list[Any]:
        return [self.evaluate(item, scope) for item in node.elts]

    def _Set(self, node: ast.Set, scope: Scope) -> set[Any]:
        return {self.evaluate(item, scope) for item in node.elts}

    def _Dict(self, node: ast.Dict, scope: Scope) -> dict[Any, Any]:
        return {
            self.evaluate(key, scope): self.evaluate(value, scope)  # type: ignore[arg-type]
            for key, value in zip(node.keys, node.values, strict=True)
        }

    def _BinOp(self, node: ast.BinOp, scope: Scope) -> Any:
        left = self.evaluate(node.left, scope)
        right = self.evaluate(node.right, scope)
        _check_size(node.op, left, right)
        return _BINARY[type(node.op)](left, right)

    def _UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Any:
        return _UNARY[type(node.op)](self.evaluate(node.operand, scope))

    def _BoolOp(self, node: ast.BoolOp, scope: Scope) -> Any:
        value: Any = None
        for item in node.values:
            value = self.evaluate(item, scope)
            if bool(value) is isinstance(node.op, ast.Or):
                return value
        return value

    def _Compare(self, node: ast.Compare, scope: Scope) -> bool:
        left = self.evaluate(node.left, scope)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.evaluate(comparator, scope)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp, scope: Scope) -> Any:
        branch = node.body if self.evaluate(node.test, scope) else node.orelse
        return self.evaluate(branch, scope)

    def _Call(self, node: ast.Call, scope: Scope) -> Any:
        assert isinstance(node.func, ast.Name)  # check_expression: a name of FUNCTIONS
        function = FUNCTIONS[node.func.id]
        args = [self.evaluate(arg, scope) for arg in node.args]
        kwargs = {kw.arg: self.evaluate(kw.value, scope) for kw in node.keywords if kw.arg}
        return function(*args, **kwargs)

    def _ListComp(self, node: ast.ListComp, scope: Scope) -> list[Any]:
        return [self.evaluate(node.elt, inner) for inner in self.rounds(node.generators, scope)]

    def _GeneratorExp(self, node: ast.GeneratorExp, scope: Scope) -> list[Any]:
        return [self.evaluate(node.elt, inner) for inner in self.rounds(node.generators, scope)]

    def _SetComp(self, node: ast.SetComp, scope: Scope) -> set[Any]:
        return {self.evaluate(node.elt, inner) for inner in self.rounds(node.generators, scope)}

    def _DictComp(self, node: ast.DictComp, scope: Scope) -> dict[Any, Any]:
        return {
            self.evaluate(node.key, inner): self.evaluate(node.value, inner)
            for inner in self.rounds(node.generators, scope)
        }

    def rounds(self, generators: list[ast.comprehension], scope: Scope) -> Iterator[Scope]:
        """The scopes of a comprehension's rounds (its loop variables bound)."""
        if not generators:
            yield scope
            return
        first, rest = generators[0], generators[1:]
        for item in self.evaluate(first.iter, scope):
            self.step()
            inner = dict(scope)
            _bind(first.target, item, inner)
            if all(self.evaluate(condition, inner) for condition in first.ifs):
                yield from self.rounds(rest, inner)


def _bind(target: ast.expr, value: Any, scope: Scope) -> None:
    if isinstance(target, ast.Name):
        scope[target.id] = value
        return
    if not isinstance(target, ast.Tuple | ast.List):
        raise ForbiddenExpression(f"the loop target '{ast.unparse(target)}' is not allowed")
    values = list(value)
    if len(values) != len(target.elts):
        raise ValueError(f"cannot unpack {len(values)} values into '{ast.unparse(target)}'")
    for part, item in zip(target.elts, values, strict=True):
        _bind(part, item, scope)


def _check_size(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse results that would take very long or very much memory to build."""
    if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right > 10_000:
            raise ForbiddenExpression(f"{left} ** {right} is too large")
    elif isinstance(op, ast.LShift) and isinstance(right, int) and right > 10_000:
        raise ForbiddenExpression(f"<< {right} is too large")
    elif isinstance(op, ast.Mult):
        for sequence, count in ((left, right), (right, left)):
            sized = isinstance(sequence, str | list | tuple) and isinstance(count, int)
            if sized and len(sequence) * count > MAX_SIZE:
                raise ForbiddenExpression(f"a sequence of more than {MAX_SIZE} items")
