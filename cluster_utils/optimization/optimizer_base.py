"""The one interface of hp_optimization's optimizers.

A driver (which runs the jobs) uses an optimizer like this::

    optimizer = make_optimizer(optimizer_str, optimized_params, optimizer_settings,
                               metric_to_optimize="result", minimize=True, seed=0)
    settings = optimizer.ask(5)                 # five new settings to run
    ...                                         # run them
    optimizer.tell([(settings[0], 1.3), (settings[1], None), ...])   # None: the job failed
    json.dump(optimizer.to_state(), f)          # after every tell
    ...                                         # driver killed, started again:
    optimizer = restore_optimizer(json.load(f), optimizer_str, optimized_params, ...)

``ask(n) -> list[Setting]``
    ``n`` new settings, each a flat dict ``{"fn_args.x": 3.1, ...}`` with the dotted parameter
    names of the config; values are Python ``bool``, ``int``, ``float``, ``str`` (or tuples of
    these for tuple-valued grid/Discrete options), never numpy scalars. A setting may repeat an
    earlier one (CEM ``with_restarts``). Fewer than ``n`` settings (possibly none) are returned
    only when the search space is exhausted (:attr:`Optimizer.exhausted`, gridsearch).
``tell(results: Sequence[tuple[Setting, float | None]]) -> None``
    Completed settings with their metric value, in any order and any grouping; ``None`` (or NaN)
    means the job failed. Failures are recorded and counted (:attr:`Optimizer.n_failed`): CEM
    keeps them out of the elite, nevergrad is told a penalty worse than every loss seen.
``to_state() -> dict``
    JSON-serialisable (no pickle). ``Optimizer.from_state(state, config)`` (or
    :func:`~cluster_utils.optimization.restore_optimizer`) returns an optimizer whose future
    asks are identical to those of the uninterrupted one, given the same later tells (``optuna``:
    identical for every resume from the same state, see :mod:`.optuna_optimizer`). The
    optimizer settings of the current config are authoritative on resume (3.0 misread
    ``with_restarts`` from a resumed pickle); resuming with a different metric, direction,
    optimizer or set of parameters is an error.
``best(k) -> list[ReducedResult]`` and ``reduced()``
    Restart-aware ranking: runs of identical settings are averaged (3.0's ``reduced_data``),
    best first, honouring ``minimize``.

Every optimizer is seeded: the same seed and the same sequence of asks and tells give the same
settings (randomness from a ``numpy.random.Generator`` owned by the optimizer, never global state).
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Self

import numpy as np

from .observations import Observations, ReducedResult, Result
from .param_values import Setting

logger = logging.getLogger("cluster_utils")

#: Version of the layout of :meth:`Optimizer.to_state`.
STATE_FORMAT_VERSION = 1


class OptimizerStateMismatch(ValueError):
    """A saved optimizer state does not belong to the current configuration."""


@dataclass(frozen=True)
class OptimizerConfig:
    """Everything an optimizer is built from (the hp_optimization config, plus the seed)."""

    optimizer_str: str
    #: ``optimized_params`` entries of the config, as read (lists of dicts).
    optimized_params: Sequence[Mapping[str, Any]]
    optimizer_settings: Mapping[str, Any]
    metric_to_optimize: str
    minimize: bool
    #: ``None``: a random seed is drawn (and recorded in the state).
    seed: int | None = None
    #: ``optimization_setting.number_of_samples`` (the budget; used by nevergrad).
    number_of_samples: int | None = None
    #: ``optimization_setting.n_jobs_per_iteration`` (parallel workers; used by nevergrad).
    n_jobs_per_iteration: int = 1
    #: directory for files an optimizer keeps between runs (optuna's journal); ``None``: none
    storage_dir: str | None = None
    optimized_param_names: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if not isinstance(self.minimize, bool):
            raise TypeError(f"minimize must be true or false, not {self.minimize!r}.")
        if not isinstance(self.metric_to_optimize, str) or not self.metric_to_optimize:
            raise TypeError("metric_to_optimize must be a non-empty string.")
        seed_is_int = isinstance(self.seed, int) and not isinstance(self.seed, bool)
        if self.seed is not None and not seed_is_int:
            raise TypeError(f"seed must be an int or None, not {self.seed!r}.")
        if not isinstance(self.optimizer_settings, Mapping):
            raise TypeError("optimizer_settings must be a mapping.")
        if isinstance(self.optimized_params, str | bytes) or not isinstance(
            self.optimized_params, Sequence
        ):
            raise TypeError("optimized_params must be a list of parameter entries.")
        names: list[str] = []
        for entry in self.optimized_params:
            if not isinstance(entry, Mapping) or "param" not in entry:
                raise ValueError(f"optimized_params entry {entry!r} lacks 'param'.")
            param = entry["param"]
            names.extend(param if isinstance(param, list | tuple) else [param])
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"optimized_params names parameters more than once: {duplicates}.")
        object.__setattr__(self, "optimized_param_names", tuple(names))
        if self.seed is None:
            object.__setattr__(self, "seed", int(np.random.SeedSequence().entropy % 2**63))


def _as_json(data: Any) -> Any:
    """Normalise config data as JSON would (tuples -> lists) so it compares with a saved state."""
    return json.loads(json.dumps(data))


class Optimizer(ABC):
    """Base of all optimizers; see the module docstring for the contract."""

    #: The ``optimizer_str`` that selects this optimizer in the config.
    optimizer_str: ClassVar[str]
    #: Whether changing ``optimized_params`` (bounds, options) on resume is allowed (with a
    #: warning); otherwise it is an error.
    allows_param_changes_on_resume: ClassVar[bool] = False
    #: The ``optimizer_settings`` keys this optimizer understands; others are an error.
    settings_keys: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: OptimizerConfig) -> None:
        if config.optimizer_str != self.optimizer_str:
            raise ValueError(
                f"{type(self).__name__} is optimizer {self.optimizer_str!r}, "
                f"not {config.optimizer_str!r}."
            )
        unknown = set(config.optimizer_settings) - self.settings_keys
        if unknown:
            raise ValueError(
                f"Unknown optimizer_settings {sorted(unknown)} for {self.optimizer_str}; valid "
                f"are {sorted(self.settings_keys)}."
            )
        self.config = config
        self.seed: int = config.seed  # type: ignore[assignment]  # set by OptimizerConfig
        self.metric_to_optimize = config.metric_to_optimize
        self.minimize = config.minimize
        self.observations = Observations(minimize=config.minimize)

    # -- the interface -------------------------------------------------------------------------

    @abstractmethod
    def ask(self, n: int) -> list[Setting]:
        """``n`` new settings (fewer only if :attr:`exhausted`)."""

    @abstractmethod
    def tell(self, results: Sequence[tuple[Setting, float | None]]) -> None:
        """Completed settings and their metric value (``None``: failed)."""

    def to_state(self) -> dict[str, Any]:
        """JSON-serialisable state; see :meth:`from_state`."""
        return {
            "format_version": STATE_FORMAT_VERSION,
            "optimizer_str": self.optimizer_str,
            "metric_to_optimize": self.metric_to_optimize,
            "minimize": self.minimize,
            "seed": self.seed,
            "optimized_param_names": list(self.config.optimized_param_names),
            "optimized_params": _as_json(list(self.config.optimized_params)),
            "optimizer_settings": _as_json(dict(self.config.optimizer_settings)),
            "observations": self.observations.to_json(),
            "optimizer": self._optimizer_state(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], config: OptimizerConfig) -> Self:
        """Resume from :meth:`to_state` output under the current ``config``.

        The seed recorded in the state is used (a different ``config.seed`` is ignored with a
        warning), so that the resumed optimizer continues exactly like the uninterrupted one.
        """
        cls._check_state_matches(state, config)
        if config.seed != state["seed"]:
            logger.warning(
                "Resuming optimizer with the seed of the saved state (%s), not %s.",
                state["seed"],
                config.seed,
            )
        optimizer = cls(replace(config, seed=int(state["seed"])))
        params_changed = state["optimized_params"] != _as_json(list(config.optimized_params))
        optimizer._restore(state, params_changed=params_changed)
        return optimizer

    # -- helpers shared by all optimizers -----------------------------------------------------

    @property
    def exhausted(self) -> bool:
        """True when :meth:`ask` can return no further settings."""
        return False

    @property
    def n_told(self) -> int:
        return self.observations.n_told

    @property
    def n_failed(self) -> int:
        return self.observations.n_failed

    @property
    def n_successful(self) -> int:
        return self.observations.n_successful

    def reduced(self) -> list[ReducedResult]:
        """All settings with a successful run, restart-averaged, best first."""
        return self.observations.reduced()

    def best(self, k: int = 1) -> list[ReducedResult]:
        """The ``k`` best restart-averaged settings."""
        return self.observations.best(k)

    def _record(self, results: Sequence[tuple[Setting, float | None]]) -> list[Result]:
        """Check and store told results; returns them converted."""
        if isinstance(results, Mapping) or not isinstance(results, Sequence):
            raise TypeError("tell() expects a list of (setting, value) pairs.")
        expected_names = set(self.config.optimized_param_names)
        for entry in results:
            setting = entry[0] if isinstance(entry, Sequence) and len(entry) == 2 else None
            if isinstance(setting, Mapping) and set(setting) != expected_names:
                raise ValueError(
                    f"Told setting {dict(setting)!r} does not have exactly the optimized "
                    f"parameters {sorted(expected_names)}."
                )
        return self.observations.add(results)  # checks types; adds nothing if one is bad

    @staticmethod
    def _check_ask_count(n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"ask() needs a non-negative number of settings, not {n!r}.")

    @abstractmethod
    def _optimizer_state(self) -> dict[str, Any]:
        """The optimizer-specific part of :meth:`to_state`."""

    @abstractmethod
    def _restore(self, state: Mapping[str, Any], *, params_changed: bool) -> None:
        """Restore a freshly built optimizer (seeded from the state) to ``state``."""

    @classmethod
    def _check_state_matches(cls, state: Mapping[str, Any], config: OptimizerConfig) -> None:
        if state.get("format_version") != STATE_FORMAT_VERSION:
            raise OptimizerStateMismatch(
                f"Unsupported optimizer state format {state.get('format_version')!r}."
            )
        checks = {
            "optimizer_str": (state["optimizer_str"], config.optimizer_str),
            "metric_to_optimize": (state["metric_to_optimize"], config.metric_to_optimize),
            "minimize": (state["minimize"], config.minimize),
            "optimized parameter names": (
                list(state["optimized_param_names"]),
                list(config.optimized_param_names),
            ),
        }
        for what, (saved, current) in checks.items():
            if saved != current:
                raise OptimizerStateMismatch(
                    f"Cannot continue the saved optimization: its {what} is {saved!r}, the "
                    f"config now has {current!r}."
                )
        if (
            state["optimized_params"] != _as_json(list(config.optimized_params))
            and not cls.allows_param_changes_on_resume
        ):
            raise OptimizerStateMismatch(
                f"Cannot continue the saved {state['optimizer_str']} optimization with changed "
                "optimized_params (bounds or options); restore the old ones or start afresh."
            )
