"""``nevergrad``: the optimizers of the nevergrad library (optional extra ``nevergrad``).

``optimizer_settings``: ``opt_alg``, one of 3.0's ``twopointsde`` (TwoPointsDE), ``oneplusone``
(OnePlusOne), ``cma`` (CMA), ``tbpsa`` (TBPSA), ``pso`` (PSO), ``randomsearch`` (RandomSearch).
Case does not matter. Those measured worse than uniform random search on an objective of
benchmarks/optimizer_quality.py (:data:`NOT_RECOMMENDED`) still run, for 3.0's configs, with a
warning that names the measurement.

``NGOpt`` (nevergrad's algorithm selection, offered by an earlier version of this project, not by
3.0) is refused with :data:`WITHDRAWN_ALGORITHMS`'s reason: it chooses by the parametrization, and
neither choice works here. With a ``Discrete`` or an integer parameter it picks a (1+1) mutation
search for discrete spaces (DiscreteLenglerOnePlusOne, DoubleFastGADiscreteOnePlusOne; on 3.0's
fn_to_optimize: median best 6.6, uniform random search 1.7, 3 seeds); with floats only it picks
MetaModel, whose surrogate model raises ``TypeError: only 0-dimensional arrays can be converted
to Python scalars`` under numpy 2 (nevergrad 1.0.12). ``Choice`` instead of ``TransitionChoice``
and integers as floats make it pick a CMA/PSO/DE portfolio that is still no better than random
search on fn_to_optimize (1.59 against 1.71, 4 seeds) and worse than with ``TransitionChoice`` on
the 10-D mixed objective.

Parameters map to nevergrad as in 3.0: ``TruncatedNormal`` -> ``Scalar(lower, upper)``,
``TruncatedLogNormal`` -> ``Log(lower, upper)``, the *Int* variants add integer casting,
``Discrete`` -> ``TransitionChoice(options)``; smart_rounding does not apply. The nevergrad
optimizer gets ``budget = number_of_samples`` and ``num_workers = n_jobs_per_iteration``
(3.0 gave neither).

Maximisation tells nevergrad the negated metric. A failed job (``None``) is told a penalty loss:
the worst loss seen so far plus the spread of the losses (at least 1), or ``1e20`` before any
success, so nevergrad learns to avoid it and nothing is silently dropped.

State: nevergrad optimizers cannot be dumped to JSON, so the state holds the seed and the
history of asks and tells; :meth:`NevergradOptimizer.from_state` rebuilds the optimizer and
replays the history, which reproduces it exactly (checked against the recorded asks).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .distributions import Discrete, Distribution, make_distribution
from .optimizer_base import Optimizer, OptimizerConfig, OptimizerStateMismatch
from .param_values import (
    Setting,
    setting_from_json,
    setting_key,
    setting_to_json,
    to_python_setting,
)

if TYPE_CHECKING:
    import nevergrad

logger = logging.getLogger("cluster_utils")

#: ``opt_alg`` (lower case) -> name of the nevergrad optimizer class.
NEVERGRAD_ALGORITHMS: dict[str, str] = {
    "twopointsde": "TwoPointsDE",
    "oneplusone": "OnePlusOne",
    "cma": "CMA",
    "tbpsa": "TBPSA",
    "pso": "PSO",
    "randomsearch": "RandomSearch",
}
#: ``opt_alg`` (lower case) no longer offered -> why (the config error says it)
WITHDRAWN_ALGORITHMS: dict[str, str] = {
    "ngopt": (
        "opt_alg NGOpt is not offered: measured worse than uniform random search on 3.0's "
        "fn_to_optimize (it picks a discrete-space search when a parameter is Discrete or an "
        "integer), and with float parameters only its MetaModel crashes under numpy 2 "
        "(benchmarks/optimizer_quality.py); use optimizer_str optuna (sampler tpe) instead"
    )
}
#: ``opt_alg`` (lower case) -> the objectives of benchmarks/optimizer_quality.py on which it was
#: measured worse than uniform random search (it runs, with a warning)
NOT_RECOMMENDED: dict[str, str] = {
    "twopointsde": "the 10-D mixed objective (batches of 5: 1.03 against 0.99)",
    "pso": "fn_to_optimize, Hartmann-6, Branin and the 10-D mixed objective",
    "randomsearch": "the 10-D mixed objective (it is a random search itself)",
}
#: Loss told for a failed job before any job succeeded (nevergrad clips losses at 5e20).
FAILURE_LOSS_WITHOUT_REFERENCE = 1e20


class MissingNevergradError(ImportError):
    """``optimizer_str: nevergrad`` without the nevergrad package (the ``nevergrad`` extra)."""


def import_nevergrad() -> Any:
    """Import nevergrad, or raise :class:`MissingNevergradError` naming the extra."""
    try:
        import nevergrad
    except ImportError as error:
        raise MissingNevergradError(
            "optimizer_str nevergrad needs the nevergrad package, which is not installed: "
            "pip install 'cluster_utils[nevergrad]'"
        ) from error
    return nevergrad


def _parametrization_for(distribution: Distribution, ng: Any) -> Any:
    if isinstance(distribution, Discrete):
        return ng.p.TransitionChoice(list(distribution.options))
    lower, upper = float(distribution.lower), float(distribution.upper)  # type: ignore[attr-defined]
    param = (
        ng.p.Log(lower=lower, upper=upper)
        if distribution.is_log  # type: ignore[attr-defined]
        else ng.p.Scalar(lower=lower, upper=upper)
    )
    return param.set_integer_casting() if distribution.is_integer else param  # type: ignore[attr-defined]


class NevergradOptimizer(Optimizer):
    """nevergrad optimizers (``optimizer_str = "nevergrad"``)."""

    optimizer_str = "nevergrad"
    settings_keys = frozenset({"opt_alg"})

    def __init__(self, config: OptimizerConfig) -> None:
        super().__init__(config)
        ng = import_nevergrad()
        settings = dict(config.optimizer_settings)
        opt_alg = settings.get("opt_alg")
        if isinstance(opt_alg, str) and opt_alg.lower() in WITHDRAWN_ALGORITHMS:
            raise ValueError(WITHDRAWN_ALGORITHMS[opt_alg.lower()] + ".")
        if not isinstance(opt_alg, str) or opt_alg.lower() not in NEVERGRAD_ALGORITHMS:
            raise ValueError(
                f"optimizer_settings.opt_alg must be one of {sorted(NEVERGRAD_ALGORITHMS)}, "
                f"not {opt_alg!r}."
            )
        self.opt_alg = opt_alg.lower()
        if self.opt_alg in NOT_RECOMMENDED:
            logger.warning(
                "nevergrad opt_alg %s was measured worse than uniform random search on %s "
                "(benchmarks/optimizer_quality.py); it runs for 3.0 configs, but optimizer_str "
                "optuna finds better settings.",
                opt_alg,
                NOT_RECOMMENDED[self.opt_alg],
            )
        self.distributions = [make_distribution(spec) for spec in config.optimized_params]
        self._bounds = {
            d.param_name: (d.lower, d.upper)  # type: ignore[attr-defined]
            for d in self.distributions
            if not isinstance(d, Discrete)
        }
        parametrization = ng.p.Dict(
            **{d.param_name: _parametrization_for(d, ng) for d in self.distributions}
        )
        # nevergrad draws from the parametrization's RandomState only
        nevergrad_seed = int(np.random.SeedSequence(self.seed).generate_state(1)[0])
        parametrization.random_state = np.random.RandomState(nevergrad_seed)
        self._optimizer: nevergrad.optimizers.base.Optimizer = getattr(
            ng.optimizers, NEVERGRAD_ALGORITHMS[self.opt_alg]
        )(
            parametrization=parametrization,
            budget=config.number_of_samples,
            num_workers=max(1, config.n_jobs_per_iteration),
        )
        self._pending: dict[str, deque[Any]] = {}  # setting key -> asked, untold candidates
        self._history: list[dict[str, Any]] = []

    def ask(self, n: int) -> list[Setting]:
        self._check_ask_count(n)
        settings = []
        for _ in range(n):
            candidate = self._optimizer.ask()
            setting = self._setting_of(candidate.value)
            self._pending.setdefault(setting_key(setting), deque()).append(candidate)
            settings.append(setting)
        if settings:
            self._history.append({"ask": [setting_to_json(s) for s in settings]})
        return settings

    def _setting_of(self, value: Mapping[str, Any]) -> Setting:
        setting = to_python_setting(value)
        for name, (lower, upper) in self._bounds.items():  # guard against float round-off
            setting[name] = type(setting[name])(min(max(setting[name], lower), upper))  # type: ignore[type-var, call-overload]
        return setting

    def tell(self, results: Sequence[tuple[Setting, float | None]]) -> None:
        previous_losses = [self._loss(value) for value in self.observations.successful_values]
        checked = self._record(results)
        for setting, value in checked:
            if value is None:
                loss = self._failure_loss(previous_losses)
            else:
                loss = self._loss(value)
                previous_losses.append(loss)
            self._optimizer.tell(self._candidate_for(setting), loss)
        if checked:
            self._history.append(
                {"tell": [[setting_to_json(setting), value] for setting, value in checked]}
            )

    def _loss(self, value: float) -> float:
        return value if self.minimize else -value

    @staticmethod
    def _failure_loss(losses: Sequence[float]) -> float:
        if not losses:
            return FAILURE_LOSS_WITHOUT_REFERENCE
        worst, best = max(losses), min(losses)
        return worst + max(1.0, worst - best)

    def _candidate_for(self, setting: Setting) -> Any:
        pending = self._pending.get(setting_key(setting))
        if pending:
            candidate = pending.popleft()
            if not pending:
                del self._pending[setting_key(setting)]
            return candidate
        # a setting nevergrad did not ask for (e.g. asked before a crash and not replayed)
        return self._optimizer.parametrization.spawn_child(new_value=dict(setting))

    def recommendation(self) -> Setting:
        """nevergrad's recommended setting (may differ from the best observed one)."""
        return self._setting_of(self._optimizer.provide_recommendation().value)

    def _optimizer_state(self) -> dict[str, Any]:
        return {
            "opt_alg": self.opt_alg,
            "budget": self.config.number_of_samples,
            "num_workers": max(1, self.config.n_jobs_per_iteration),
            "nevergrad_version": import_nevergrad().__version__,
            "history": list(self._history),
        }

    def _restore(self, state: Mapping[str, Any], *, params_changed: bool) -> None:
        saved = state["optimizer"]
        current = {
            "opt_alg": self.opt_alg,
            "budget": self.config.number_of_samples,
            "num_workers": max(1, self.config.n_jobs_per_iteration),
        }
        for key, value in current.items():
            if saved[key] != value:
                raise OptimizerStateMismatch(
                    f"Cannot continue the saved nevergrad optimization: its {key} was "
                    f"{saved[key]!r}, the config now gives {value!r}."
                )
        if saved["nevergrad_version"] != import_nevergrad().__version__:
            logger.warning(
                "The optimizer state was written with nevergrad %s, this is %s: the replay may "
                "differ.",
                saved["nevergrad_version"],
                import_nevergrad().__version__,
            )
        replay_differs = False
        for event in saved["history"]:
            if "ask" in event:
                recorded = [setting_from_json(s) for s in event["ask"]]
                replayed = self.ask(len(recorded))
                replay_differs |= [setting_key(s) for s in replayed] != [
                    setting_key(s) for s in recorded
                ]
            else:
                self.tell([(setting_from_json(s), value) for s, value in event["tell"]])
        if replay_differs:
            logger.warning(
                "Replaying the nevergrad history asked different settings than recorded; "
                "the resumed optimization continues, but not identically."
            )
