"""``cem_metaoptimizer``: cross-entropy method over the parameter distributions (3.0 semantics).

Each parameter has its own distribution (:mod:`.distributions`). After every tell that brings
a successful result, each distribution is refit on the values of the elite: the best
``num_jobs_in_elite`` restart-averaged settings. New settings are sampled independently per
parameter from the current distributions.

``optimizer_settings``:

- ``num_jobs_in_elite`` (int, default 10): elite size; at least 5 (smaller values are raised
  to 5 with a warning, 3.0 did so silently).
- ``with_restarts`` (bool, default false): once the elite is full, each asked setting is, with
  probability 0.2, a re-run of a setting drawn uniformly from the best half of the elite, so
  that lucky results get averaged out.

Fixed 3.0 bugs: ``with_restarts`` is read from the current settings on resume (3.0 unpacked the
settings dict and so got a key *name*, always truthy); failed jobs are counted instead of crashing
or silently reusing the previous job's data; no global random state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .distributions import Distribution, make_distribution
from .observations import ReducedResult
from .optimizer_base import Optimizer, OptimizerConfig
from .param_values import Setting

logger = logging.getLogger("cluster_utils")

#: Smallest elite (3.0 forces at least 5 jobs in an elite).
MIN_ELITE_SIZE = 5
DEFAULT_ELITE_SIZE = 10
#: Chance that a setting asked with ``with_restarts`` (elite full) re-runs an elite setting.
RESTART_PROBABILITY = 0.2

_SETTINGS_KEYS = {"num_jobs_in_elite", "with_restarts"}


class CEMMetaoptimizer(Optimizer):
    """Cross-entropy method metaoptimizer (``optimizer_str = "cem_metaoptimizer"``)."""

    optimizer_str = "cem_metaoptimizer"
    settings_keys = frozenset(_SETTINGS_KEYS)
    allows_param_changes_on_resume = True

    def __init__(self, config: OptimizerConfig) -> None:
        super().__init__(config)
        settings = config.optimizer_settings
        elite_size = settings.get("num_jobs_in_elite", DEFAULT_ELITE_SIZE)
        if isinstance(elite_size, bool) or not isinstance(elite_size, int):
            raise TypeError(f"num_jobs_in_elite must be an integer, not {elite_size!r}.")
        if elite_size < MIN_ELITE_SIZE:
            logger.warning(
                "num_jobs_in_elite=%d raised to the minimum of %d.", elite_size, MIN_ELITE_SIZE
            )
        self.num_jobs_in_elite = max(MIN_ELITE_SIZE, elite_size)
        with_restarts = settings.get("with_restarts", False)
        if not isinstance(with_restarts, bool):
            raise TypeError(f"with_restarts must be true or false, not {with_restarts!r}.")
        self.with_restarts = with_restarts
        self.distributions: list[Distribution] = [
            make_distribution(spec) for spec in config.optimized_params
        ]
        self._rng = np.random.default_rng(self.seed)

    def elite(self) -> list[ReducedResult]:
        """The best ``num_jobs_in_elite`` restart-averaged settings."""
        return self.best(self.num_jobs_in_elite)

    def ask(self, n: int) -> list[Setting]:
        """``n`` settings; asking n at once gives the same as n single asks."""
        self._check_ask_count(n)
        return [self._ask_one() for _ in range(n)]

    def _ask_one(self) -> Setting:
        if self.with_restarts:
            elite = self.elite()
            # the random number is drawn only once the elite is full, as in 3.0
            if len(elite) >= self.num_jobs_in_elite and self._rng.random() < RESTART_PROBABILITY:
                best_half = elite[: len(elite) // 2]
                return dict(best_half[int(self._rng.integers(len(best_half)))].setting)
        return {
            distribution.param_name: distribution.sample(self._rng, 1)[0]
            for distribution in self.distributions
        }

    def tell(self, results: Sequence[tuple[Setting, float | None]]) -> None:
        checked = self._record(results)
        if any(value is not None for _, value in checked):
            self._refit()

    def _refit(self) -> None:
        elite = self.elite()
        for distribution in self.distributions:
            distribution.fit([result.setting[distribution.param_name] for result in elite])

    def _optimizer_state(self) -> dict[str, Any]:
        return {
            "rng": self._rng.bit_generator.state,
            "distributions": {d.param_name: d.to_state() for d in self.distributions},
        }

    def _restore(self, state: Mapping[str, Any], *, params_changed: bool) -> None:
        self.observations = type(self.observations).from_json(
            state["observations"], minimize=self.minimize
        )
        self._rng.bit_generator.state = state["optimizer"]["rng"]
        if params_changed:
            logger.warning(
                "optimized_params changed since the saved state: distributions start afresh "
                "and are refit on the current elite (as 3.0 did on resume)."
            )
            if self.observations.n_successful:
                self._refit()
            return
        saved = state["optimizer"]["distributions"]
        for distribution in self.distributions:
            distribution.load_state(saved[distribution.param_name])
