"""3.0's ``optimized_params`` distributions as Optuna distributions (for :mod:`.optuna_optimizer`).

``TruncatedNormal`` -> ``FloatDistribution(lower, upper)``, ``TruncatedLogNormal`` -> the same with
``log=True``, ``IntNormal`` / ``IntLogNormal`` -> ``IntDistribution`` (``log=True`` for the latter),
``Discrete`` -> ``CategoricalDistribution`` over the options themselves when they are distinct
scalars, else over their indices (:class:`Choices`).
"""

from __future__ import annotations

from typing import Any

from .distributions import Discrete, Distribution
from .param_values import ParamValue


class Choices:
    """A ``Discrete`` parameter as an Optuna categorical: option values or option indices."""

    def __init__(self, distribution: Discrete) -> None:
        self.options = list(distribution.options)
        scalars = all(
            value is None or isinstance(value, bool | int | float | str) for value in self.options
        )
        # Optuna finds a choice with ==, so 1, 1.0 and True would be one choice for it
        distinct = all(
            sum(1 for other in self.options if other == value) == 1 for value in self.options
        )
        self.by_value = scalars and distinct
        self.choices: list[Any] = (
            list(self.options) if self.by_value else list(range(len(self.options)))
        )

    def option(self, choice: Any) -> ParamValue:
        return choice if self.by_value else self.options[int(choice)]

    def choice(self, value: ParamValue) -> Any:
        if self.by_value:
            return value
        for index, option in enumerate(self.options):
            if type(option) is type(value) and option == value:
                return index
        raise ValueError(f"{value!r} is not one of the options {self.options!r}.")


def optuna_distribution(distribution: Distribution, choices: Choices | None, optuna: Any) -> Any:
    """The Optuna distribution of one parameter (``choices``: its :class:`Choices` if Discrete)."""
    if isinstance(distribution, Discrete):
        assert choices is not None
        return optuna.distributions.CategoricalDistribution(choices.choices)
    lower, upper = distribution.lower, distribution.upper  # type: ignore[attr-defined]
    log = bool(distribution.is_log)  # type: ignore[attr-defined]
    if distribution.is_integer:  # type: ignore[attr-defined]
        return optuna.distributions.IntDistribution(int(lower), int(upper), log=log)
    return optuna.distributions.FloatDistribution(float(lower), float(upper), log=log)
