"""Results told to an optimizer, and their restart-averaged ranking (3.0's reduced data)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from .param_values import (
    Setting,
    setting_from_json,
    setting_key,
    setting_to_json,
    to_python_setting,
)

#: One completed job as told to an optimizer: its setting and metric value (``None``: it failed).
Result = tuple[Setting, float | None]


@dataclass(frozen=True)
class ReducedResult:
    """All runs of one setting: mean and std of the metric over its successful runs (restarts)."""

    setting: Setting
    mean: float
    #: Sample standard deviation over restarts (``None`` with a single successful run).
    std: float | None
    #: Number of successful runs (3.0's ``job_restarts`` column).
    restarts: int
    #: Number of failed runs of this setting.
    failures: int


def check_metric_value(value: Any) -> float | None:
    """The metric value as a float, or ``None`` for a failed job (``None`` or NaN)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"A metric value must be a number or None (failed job), not {value!r}.")
    number = float(value)
    return None if math.isnan(number) else number


class Observations:
    """Every result told so far, in order, with failures kept and counted."""

    def __init__(self, minimize: bool) -> None:
        self.minimize = minimize
        self._results: list[Result] = []
        # setting key -> (setting, metric values of successful runs, number of failed runs)
        self._by_setting: dict[str, tuple[Setting, list[float], list[int]]] = {}

    def add(self, results: Iterable[tuple[Any, Any]]) -> list[Result]:
        """Record results; returns them checked and converted (Python values, float or None)."""
        checked: list[Result] = []
        for entry in results:
            if not isinstance(entry, Sequence) or len(entry) != 2:
                raise TypeError(f"A result must be a (setting, value) pair, got {entry!r}.")
            setting, value = to_python_setting(entry[0]), check_metric_value(entry[1])
            checked.append((setting, value))
        for setting, value in checked:
            self._results.append((setting, value))
            _, values, failures = self._by_setting.setdefault(
                setting_key(setting), (setting, [], [0])
            )
            if value is None:
                failures[0] += 1
            else:
                values.append(value)
        return checked

    @property
    def results(self) -> list[Result]:
        """All results in the order they were told."""
        return list(self._results)

    @property
    def n_told(self) -> int:
        return len(self._results)

    @property
    def n_failed(self) -> int:
        return sum(1 for _, value in self._results if value is None)

    @property
    def n_successful(self) -> int:
        return self.n_told - self.n_failed

    @property
    def successful_values(self) -> list[float]:
        return [value for _, value in self._results if value is not None]

    def reduced(self) -> list[ReducedResult]:
        """Settings with at least one successful run, averaged over restarts, best first.

        Ties keep the order in which settings were first told.
        """
        reduced = [
            ReducedResult(
                setting=dict(setting),
                mean=statistics.fmean(values),
                std=statistics.stdev(values) if len(values) > 1 else None,
                restarts=len(values),
                failures=failures[0],
            )
            for setting, values, failures in self._by_setting.values()
            if values
        ]
        reduced.sort(key=lambda result: result.mean, reverse=not self.minimize)
        return reduced

    def best(self, k: int) -> list[ReducedResult]:
        """The ``k`` best restart-averaged settings."""
        return self.reduced()[: max(k, 0)]

    def to_json(self) -> list[list[Any]]:
        return [[setting_to_json(setting), value] for setting, value in self._results]

    @classmethod
    def from_json(cls, data: Iterable[Sequence[Any]], minimize: bool) -> Observations:
        observations = cls(minimize)
        observations.add((setting_from_json(setting), value) for setting, value in data)
        return observations
