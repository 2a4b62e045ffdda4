"""``gridsearch`` as an hp_optimization optimizer: every combination of the given values.

What 3.0 did: its ``GridSearchOptimizer`` read ``param`` and ``values`` of each entry, i.e. the
``grid_search`` form ``{"param": "fn_args.w", "values": [1, 2]}`` (``param`` may be a list of names
whose ``values`` are tuples, zipped), and ran the Cartesian product once per restart. Selected
through hp_optimization it crashed on every ``optimized_params`` entry with a distribution
(``AttributeError``: distributions have no ``values``), and it required ``optimizer_settings``
to contain ``restarts``.

Here ``optimized_params`` entries may be either the ``{param, values}`` form or ``Discrete``
distributions (their ``options`` are the values); numerical distributions have no finite grid
and are rejected with an error. Order as 3.0: ``itertools.product`` over the entries in config
order (the last entry varies fastest), the whole grid once per restart.

``optimizer_settings`` (all optional): ``restarts`` (int >= 1, default 1: how often the grid is
run), ``samples`` (int: run only that many distinct settings drawn at random, seeded, *without*
replacement — 3.0 drew with replacement; the same draw is repeated for every restart).

Settings are enumerated lazily, so huge grids cost nothing until asked. ``ask`` returns fewer
settings than requested once the grid is used up (:attr:`GridOptimizer.exhausted`). ``tell``
only records results (for :meth:`best`); it does not change what is asked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .distributions import DISTRIBUTIONS
from .optimizer_base import Optimizer, OptimizerConfig, OptimizerStateMismatch
from .param_values import ParamValue, Setting, check_param_name, to_python_value

_SETTINGS_KEYS = {"restarts", "samples"}
_ENTRY_KEYS = {"param", "values", "distribution", "options", "bounds", "smart_rounding"}


class GridAxis:
    """One entry of the grid: one parameter (or zipped parameters) and its values."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise ValueError(
                f"gridsearch entry {entry.get('param')!r}: unknown keys {sorted(unknown)}; valid "
                f"are {sorted(_ENTRY_KEYS)}."
            )
        param = entry["param"]
        distribution = entry.get("distribution")
        if distribution is not None:
            if distribution not in DISTRIBUTIONS:
                raise ValueError(
                    f"gridsearch entry {param!r}: unknown distribution {distribution!r}."
                )
            if distribution != "Discrete":
                raise ValueError(
                    f"gridsearch entry {param!r}: a {distribution} has no finite set of values; "
                    "use 'values' (or a Discrete distribution with 'options')."
                )
            values = entry.get("options", entry.get("values"))
        else:
            values = entry.get("values")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"gridsearch entry {param!r} needs a non-empty list of values.")
        self.zipped = isinstance(param, list | tuple)
        names = param if self.zipped else [param]
        self.names: tuple[str, ...] = tuple(check_param_name(name) for name in names)
        self.values: list[ParamValue] = [to_python_value(value) for value in values]
        if self.zipped:
            for value in self.values:
                if not isinstance(value, tuple) or len(value) != len(self.names):
                    raise ValueError(
                        f"gridsearch entry {list(self.names)}: every value must be a list of "
                        f"{len(self.names)} items, got {value!r}."
                    )

    def assign(self, index: int, setting: Setting) -> None:
        value = self.values[index]
        if self.zipped:
            setting.update(zip(self.names, value, strict=True))  # type: ignore[arg-type]
        else:
            setting[self.names[0]] = value


class GridOptimizer(Optimizer):
    """Grid enumeration (``optimizer_str = "gridsearch"``)."""

    optimizer_str = "gridsearch"
    settings_keys = frozenset(_SETTINGS_KEYS)

    def __init__(self, config: OptimizerConfig) -> None:
        super().__init__(config)
        settings = config.optimizer_settings
        restarts = settings.get("restarts", 1)
        if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 1:
            raise ValueError(f"gridsearch restarts must be an integer >= 1, not {restarts!r}.")
        self.restarts: int = restarts
        self.axes = [GridAxis(entry) for entry in config.optimized_params]
        self.grid_size = math.prod(len(axis.values) for axis in self.axes)
        samples = settings.get("samples")
        self._sampled_positions: list[int] | None = None
        if samples is not None:
            if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
                raise ValueError(f"gridsearch samples must be an integer >= 1, not {samples!r}.")
            rng = np.random.default_rng(self.seed)
            drawn = rng.choice(self.grid_size, size=min(samples, self.grid_size), replace=False)
            self._sampled_positions = [int(position) for position in drawn]
        self._next = 0

    @property
    def settings_per_restart(self) -> int:
        if self._sampled_positions is not None:
            return len(self._sampled_positions)
        return self.grid_size

    @property
    def total_settings(self) -> int:
        """Number of settings asked in all (grid or samples, times restarts)."""
        return self.settings_per_restart * self.restarts

    @property
    def exhausted(self) -> bool:
        return self._next >= self.total_settings

    def setting_at(self, position: int) -> Setting:
        """The setting at ``position`` of one pass through the grid (product order)."""
        if self._sampled_positions is not None:
            position = self._sampled_positions[position]
        indices = []
        for axis in reversed(self.axes):
            position, index = divmod(position, len(axis.values))
            indices.append(index)
        setting: Setting = {}
        for axis, index in zip(self.axes, reversed(indices), strict=True):
            axis.assign(index, setting)
        return setting

    def ask(self, n: int) -> list[Setting]:
        self._check_ask_count(n)
        stop = min(self._next + n, self.total_settings)
        settings = [self.setting_at(i % self.settings_per_restart) for i in range(self._next, stop)]
        self._next = stop
        return settings

    def tell(self, results: Sequence[tuple[Setting, float | None]]) -> None:
        self._record(results)

    def _optimizer_state(self) -> dict[str, Any]:
        return {"next": self._next}

    def _restore(self, state: Mapping[str, Any], *, params_changed: bool) -> None:
        saved_samples = state["optimizer_settings"].get("samples")
        if saved_samples != self.config.optimizer_settings.get("samples"):
            raise OptimizerStateMismatch(
                f"Cannot continue the saved gridsearch: its samples was {saved_samples!r}, the "
                f"config now gives {self.config.optimizer_settings.get('samples')!r}."
            )
        self.observations = type(self.observations).from_json(
            state["observations"], minimize=self.minimize
        )
        self._next = int(state["optimizer"]["next"])
