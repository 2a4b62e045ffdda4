"""The immutable, attribute-accessible parameter dict returned by ``initialize_job``."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

_IMMUTABLE_MESSAGE = "Setting object not mutable after settings are fixed!"


class ImmutableAttributeDict(dict):
    """A read-only ``dict`` whose keys are also attributes (``params.fn_args.x``).

    Nested dicts become ``ImmutableAttributeDict`` too (lists stay lists, as in 3.0). It compares
    equal to plain dicts and is JSON-serialisable; :meth:`to_dict` gives a mutable deep copy.
    """

    __slots__ = ()

    def __init__(self, mapping: Mapping[str, Any] | None = None, /) -> None:
        items = (mapping or {}).items()
        super().__init__((key, _freeze(value)) for key, value in items)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no parameter '{name}'") from None

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(_IMMUTABLE_MESSAGE)

    __setattr__ = __delattr__ = __setitem__ = __delitem__ = _immutable
    clear = pop = popitem = setdefault = update = __ior__ = _immutable

    def to_dict(self) -> dict[str, Any]:
        """A mutable deep copy made of plain dicts."""
        return to_plain(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> ImmutableAttributeDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ImmutableAttributeDict:
        return type(self)(copy.deepcopy(dict(self), memo))

    def __repr__(self) -> str:
        try:
            return json.dumps(self, indent=4, sort_keys=True, default=repr)
        except (TypeError, ValueError):
            return repr(dict(self))


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping) and not isinstance(value, ImmutableAttributeDict):
        return ImmutableAttributeDict(value)
    return value


def to_plain(value: Any) -> Any:
    """Mutable deep copy of ``value`` with every mapping turned into a plain ``dict``."""
    if isinstance(value, Mapping):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    return copy.deepcopy(value)
