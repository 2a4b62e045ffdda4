"""``optuna``: the samplers of the Optuna library (optional extra ``optuna``).

``optimizer_settings``:

- ``sampler`` (default ``tpe``): ``tpe`` (multivariate TPE with constant liar, so that settings
  asked while others still run spread out), ``cmaes`` (CMA-ES; a ``Discrete`` parameter is
  sampled at random), ``gp`` (Gaussian process; needs the ``torch`` package), ``random``
  (uniform), ``qmc`` (scrambled Sobol sequence).
- ``n_startup_trials`` (int, ``tpe``/``cmaes``/``gp`` only): settings sampled at random before
  the model is used (Optuna's defaults when not given).

Parameters map to Optuna distributions: ``TruncatedNormal`` -> float in ``bounds``,
``TruncatedLogNormal`` -> float in ``bounds`` on a log scale, ``IntNormal`` -> int,
``IntLogNormal`` -> int on a log scale, ``Discrete`` -> categorical over ``options`` (the option
values themselves when they are distinct scalars, else their indices); smart_rounding does not
apply. Maximisation creates a maximising study. A failed job (``None``) is told as a failed
trial: no made-up loss.

Each setting is one Optuna trial. One sampler serves the whole study, seeded from the optimizer
seed (:func:`sampler_seed`), and trials are asked and told in the caller's order: an
uninterrupted run asks exactly the settings that Optuna used directly asks with the same sampler,
seed and ask/tell order (tests/optimization/test_optuna_matches_raw_optuna.py pins this), so the
wrapper cannot lose quality against the library. A resumed study gets a new sampler seeded from
the optimizer seed and the number of trials at the restart point: resuming from the same saved
state asks the same settings every time, but not those the uninterrupted run would have asked
(``qmc`` keeps its seed and continues its one sequence).

Storage: with ``OptimizerConfig.storage_dir`` (the experiment's internal directory when the hpo
driver runs it) the study lives in Optuna's journal file :data:`JOURNAL_FILE_NAME` there; that
file has one writer, this optimizer in the driver process, and can be opened with Optuna's own
tools (``optuna.load_study(study_name="cluster_utils", storage=JournalStorage(...))``). Without
it the study is kept in memory (benchmarks, tests) and cannot be resumed.

State: :meth:`to_state` holds the number of trials the caller knows about and the asked, untold
ones. On resume the study is loaded from the journal; trials asked after the last saved state
(never handed to a job) are marked failed, and a result told again for a trial the journal
already has finished is recorded but not told to Optuna twice.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import warnings
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .distributions import Discrete, make_distribution
from .optimizer_base import Optimizer, OptimizerConfig, OptimizerStateMismatch
from .optuna_space import Choices, optuna_distribution
from .param_values import Setting, setting_from_json, setting_key, setting_to_json

logger = logging.getLogger("cluster_utils")

#: ``optimizer_settings.sampler`` values.
OPTUNA_SAMPLERS: tuple[str, ...] = ("tpe", "cmaes", "gp", "random", "qmc")
#: the sampler used when ``optimizer_settings.sampler`` is not given (the best one measured by
#: benchmarks/optimizer_quality.py)
DEFAULT_SAMPLER = "tpe"
#: samplers that take ``n_startup_trials``
SAMPLERS_WITH_STARTUP_TRIALS = frozenset({"tpe", "cmaes", "gp"})
#: sampler -> the package it needs besides optuna (cmaes comes with the optuna extra)
SAMPLER_PACKAGES = {"cmaes": "cmaes", "gp": "torch"}
#: samplers benchmarks/optimizer_quality.py could not measure fully -> what is known (a warning)
UNMEASURED_SAMPLERS = {
    "gp": (
        "not measured by benchmarks/optimizer_quality.py (a 200-sample run takes minutes on two "
        "cores); in one 60-sample run on 3.0's fn_to_optimize it was no better than uniform "
        "random search; sampler tpe is the one recommended"
    )
}
#: the study's journal file in ``OptimizerConfig.storage_dir``
JOURNAL_FILE_NAME = "optuna_journal.log"
STUDY_NAME = "cluster_utils"


def sampler_seed(optimizer_seed: int, resume_point: int | None = None) -> int:
    """The seed of the study's sampler: from the optimizer seed alone for a new study, and from
    the seed and the number of trials so far for a study resumed at ``resume_point``."""
    entropy = [optimizer_seed] if resume_point is None else [optimizer_seed, resume_point]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


class MissingOptunaError(ImportError):
    """``optimizer_str: optuna`` without the optuna package (the ``optuna`` extra)."""


def import_optuna() -> Any:
    """Import optuna (quietened), or raise :class:`MissingOptunaError` naming the extra."""
    try:
        import optuna
    except ImportError as error:
        raise MissingOptunaError(
            "optimizer_str optuna needs the optuna package, which is not installed: "
            "pip install 'cluster_utils[optuna]'"
        ) from error
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class OptunaOptimizer(Optimizer):
    """Optuna samplers (``optimizer_str = "optuna"``)."""

    optimizer_str = "optuna"
    settings_keys = frozenset({"sampler", "n_startup_trials"})

    def __init__(self, config: OptimizerConfig) -> None:
        super().__init__(config)
        self._optuna = import_optuna()
        settings = dict(config.optimizer_settings)
        sampler = settings.get("sampler", DEFAULT_SAMPLER)
        if not isinstance(sampler, str) or sampler.lower() not in OPTUNA_SAMPLERS:
            raise ValueError(
                f"optimizer_settings.sampler must be one of {list(OPTUNA_SAMPLERS)}, "
                f"not {sampler!r}."
            )
        self.sampler_name = sampler.lower()
        self.n_startup_trials = self._check_startup_trials(settings.get("n_startup_trials"))
        needed_package = SAMPLER_PACKAGES.get(self.sampler_name)
        if needed_package is not None and importlib.util.find_spec(needed_package) is None:
            raise ValueError(
                f"optimizer_settings.sampler {self.sampler_name} needs the {needed_package} "
                f"package, which is not installed (pip install {needed_package}); or choose "
                "another sampler."
            )
        if self.sampler_name in UNMEASURED_SAMPLERS:
            logger.warning(
                "Optuna sampler %s: %s.", self.sampler_name, UNMEASURED_SAMPLERS[self.sampler_name]
            )
        self.distributions = [make_distribution(spec) for spec in config.optimized_params]
        self._choices = {
            d.param_name: Choices(d) for d in self.distributions if isinstance(d, Discrete)
        }
        self._optuna_distributions = {
            d.param_name: optuna_distribution(d, self._choices.get(d.param_name), self._optuna)
            for d in self.distributions
        }
        self.journal_path = (
            Path(config.storage_dir) / JOURNAL_FILE_NAME if config.storage_dir else None
        )
        self._study: Any = None  # created at the first ask or tell, or loaded by _restore
        self._sampler: Any = None  # one for the study: see :meth:`_study_sampler`
        # setting key -> asked, untold (trial number, setting)
        self._pending: dict[str, deque[tuple[int, Setting]]] = {}
        self._n_trials = 0

    def _check_startup_trials(self, value: Any) -> int | None:
        if value is None:
            return None
        if self.sampler_name not in SAMPLERS_WITH_STARTUP_TRIALS:
            raise ValueError(
                f"optimizer_settings.n_startup_trials does not apply to sampler "
                f"{self.sampler_name!r} (only to {sorted(SAMPLERS_WITH_STARTUP_TRIALS)})."
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(
                f"optimizer_settings.n_startup_trials must be a non-negative integer, not "
                f"{value!r}."
            )
        return value

    # -- the sampler ------------------------------------------------------------------------------

    def _study_sampler(self) -> Any:
        """The one sampler of this study (made for a new study on first use; :meth:`_restore`
        makes the one of a resumed study)."""
        if self._sampler is None:
            self._sampler = self._make_sampler(sampler_seed(self.seed))
        return self._sampler

    def _make_sampler(self, seed: int) -> Any:
        """A sampler of ``sampler_name`` with the settings and ``seed``."""
        samplers = self._optuna.samplers
        startup = (
            {} if self.n_startup_trials is None else {"n_startup_trials": self.n_startup_trials}
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", self._optuna.exceptions.ExperimentalWarning)
            if self.sampler_name == "tpe":
                return samplers.TPESampler(
                    seed=seed, multivariate=True, constant_liar=True, **startup
                )
            if self.sampler_name == "cmaes":
                return samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False, **startup)
            if self.sampler_name == "gp":
                return samplers.GPSampler(seed=seed, warn_independent_sampling=False, **startup)
            if self.sampler_name == "qmc":
                return samplers.QMCSampler(
                    scramble=True,
                    seed=seed,
                    warn_asynchronous_seeding=False,
                    warn_independent_sampling=False,
                )
            return samplers.RandomSampler(seed=seed)

    # -- the study --------------------------------------------------------------------------------

    def _journal_storage(self) -> Any:
        storages = self._optuna.storages
        assert self.journal_path is not None
        return storages.JournalStorage(storages.journal.JournalFileBackend(str(self.journal_path)))

    def _new_study(self) -> Any:
        if self.journal_path is None:
            storage = None
        else:
            if self.journal_path.exists():
                stale = self.journal_path.with_name(self.journal_path.name + ".stale")
                logger.warning(
                    "Starting a new optimization: the Optuna journal %s of an earlier start "
                    "without saved state is moved to %s.",
                    self.journal_path,
                    stale.name,
                )
                self.journal_path.replace(stale)
            self.journal_path.parent.mkdir(parents=True, exist_ok=True)
            storage = self._journal_storage()
        return self._optuna.create_study(
            study_name=STUDY_NAME,
            storage=storage,
            direction="minimize" if self.minimize else "maximize",
            sampler=self._study_sampler(),
        )

    @property
    def study(self) -> Any:
        """The Optuna study (created on first use)."""
        if self._study is None:
            self._study = self._new_study()
        return self._study

    # -- the interface ----------------------------------------------------------------------------

    def ask(self, n: int) -> list[Setting]:
        self._check_ask_count(n)
        study = self.study
        settings = []
        for _ in range(n):
            trial = study.ask(fixed_distributions=self._optuna_distributions)
            self._n_trials = trial.number + 1
            setting = self._setting_of(trial.params)
            self._pending.setdefault(setting_key(setting), deque()).append((trial.number, setting))
            settings.append(setting)
        return settings

    def _setting_of(self, params: Mapping[str, Any]) -> Setting:
        setting: Setting = {}
        for distribution in self.distributions:
            name = distribution.param_name
            value = params[name]
            if name in self._choices:
                setting[name] = self._choices[name].option(value)
            elif distribution.is_integer:  # type: ignore[attr-defined]
                setting[name] = int(value)
            else:
                lower, upper = distribution.lower, distribution.upper  # type: ignore[attr-defined]
                setting[name] = float(min(max(float(value), lower), upper))
        return setting

    def tell(self, results: Sequence[tuple[Setting, float | None]]) -> None:
        checked = self._record(results)
        study = self.study
        trials = study.get_trials(deepcopy=False)
        for setting, value in checked:
            failed = value is None or math.isnan(value)
            number = self._take_pending(setting)
            if number is None:  # a setting this study did not ask for: add it as finished
                self._add_finished_trial(setting, None if failed else value)
            elif not trials[number].state.is_finished():  # else told before an interruption
                if failed:
                    study.tell(number, state=self._optuna.trial.TrialState.FAIL)
                else:
                    study.tell(number, float(value))  # type: ignore[arg-type]

    def _take_pending(self, setting: Setting) -> int | None:
        key = setting_key(setting)
        pending = self._pending.get(key)
        if not pending:
            return None
        number, _ = pending.popleft()
        if not pending:
            del self._pending[key]
        return number

    def _add_finished_trial(self, setting: Setting, value: float | None) -> None:
        optuna = self._optuna
        params = {
            name: self._choices[name].choice(item) if name in self._choices else item
            for name, item in setting.items()
        }
        trial = optuna.trial.create_trial(
            params=params,
            distributions=self._optuna_distributions,
            value=value,
            state=optuna.trial.TrialState.FAIL
            if value is None
            else optuna.trial.TrialState.COMPLETE,
        )
        self.study.add_trial(trial)
        self._n_trials += 1

    # -- state ------------------------------------------------------------------------------------

    def _optimizer_state(self) -> dict[str, Any]:
        pending = [
            [number, setting_to_json(setting)]
            for entries in self._pending.values()
            for number, setting in entries
        ]
        return {
            "sampler": self.sampler_name,
            "study_name": STUDY_NAME,
            "journal": None if self.journal_path is None else JOURNAL_FILE_NAME,
            "n_trials": self._n_trials,
            "pending": sorted(pending, key=lambda entry: entry[0]),
        }

    def _restore(self, state: Mapping[str, Any], *, params_changed: bool) -> None:
        saved = state["optimizer"]
        if self.journal_path is None or saved.get("journal") is None:
            raise OptimizerStateMismatch(
                "An optuna optimization can only be continued from its journal file "
                f"({JOURNAL_FILE_NAME} in the experiment's internal directory)."
            )
        if not self.journal_path.exists():
            raise OptimizerStateMismatch(
                f"Cannot continue the saved optuna optimization: its journal {self.journal_path} "
                "is missing; choose another optimization_procedure_name or results_dir to start "
                "afresh."
            )
        if saved["sampler"] != self.sampler_name:
            logger.warning(
                "Continuing the Optuna study with sampler %s (it was started with %s).",
                self.sampler_name,
                saved["sampler"],
            )
        if params_changed:
            raise OptimizerStateMismatch(
                "Cannot continue the saved optuna optimization with changed optimized_params."
            )
        self.observations = type(self.observations).from_json(
            state["observations"], minimize=self.minimize
        )
        # qmc draws point i of one scrambled sequence kept in the study: same seed, same sequence
        resume_point = None if self.sampler_name == "qmc" else int(saved["n_trials"])
        self._sampler = self._make_sampler(sampler_seed(self.seed, resume_point))
        study = self._optuna.load_study(
            study_name=saved["study_name"],
            storage=self._journal_storage(),
            sampler=self._study_sampler(),
        )
        self._n_trials = int(saved["n_trials"])
        for number, setting_json in saved["pending"]:
            setting = setting_from_json(setting_json)
            self._pending.setdefault(setting_key(setting), deque()).append((int(number), setting))
        orphans = [
            trial.number
            for trial in study.get_trials(deepcopy=False)
            if trial.number >= self._n_trials and not trial.state.is_finished()
        ]
        for number in orphans:  # asked after the last saved state: no job ever ran them
            study.tell(number, state=self._optuna.trial.TrialState.FAIL)
        if orphans:
            logger.warning(
                "Optuna trials %s were asked just before the interruption and never run; they "
                "are marked failed in the study.",
                orphans,
            )
        self._n_trials = max(self._n_trials, len(study.get_trials(deepcopy=False)))
        self._study = study
