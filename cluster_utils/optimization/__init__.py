"""Optimizers and distributions of hp_optimization: a pure library layer without job I/O.

Use :func:`make_optimizer` to start and :func:`restore_optimizer` to resume; the interface
(``ask``, ``tell``, ``to_state``, ``best``) is documented in :mod:`.optimizer_base`.

May import base only (pure library: no job files, no Snakemake).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .cem_metaoptimizer import CEMMetaoptimizer
from .distributions import (
    Discrete,
    Distribution,
    IntLogNormal,
    IntNormal,
    TruncatedLogNormal,
    TruncatedNormal,
    make_distribution,
    smart_round,
)
from .grid_optimizer import GridOptimizer
from .nevergrad_optimizer import NEVERGRAD_ALGORITHMS, NevergradOptimizer
from .observations import ReducedResult, Result
from .optimizer_base import Optimizer, OptimizerConfig, OptimizerStateMismatch
from .optuna_optimizer import OPTUNA_SAMPLERS, OptunaOptimizer
from .param_values import ParamValue, Setting

#: ``optimizer_str`` of the config -> optimizer class.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.optimizer_str: cls
    for cls in (CEMMetaoptimizer, NevergradOptimizer, GridOptimizer, OptunaOptimizer)
}

__all__ = [
    "NEVERGRAD_ALGORITHMS",
    "OPTIMIZERS",
    "OPTUNA_SAMPLERS",
    "CEMMetaoptimizer",
    "Discrete",
    "Distribution",
    "GridOptimizer",
    "IntLogNormal",
    "IntNormal",
    "NevergradOptimizer",
    "Optimizer",
    "OptimizerConfig",
    "OptimizerStateMismatch",
    "OptunaOptimizer",
    "ParamValue",
    "ReducedResult",
    "Result",
    "Setting",
    "TruncatedLogNormal",
    "TruncatedNormal",
    "make_distribution",
    "make_optimizer",
    "restore_optimizer",
    "smart_round",
]


def _optimizer_class(optimizer_str: str) -> type[Optimizer]:
    if optimizer_str not in OPTIMIZERS:
        raise ValueError(
            f"optimizer_str must be one of {sorted(OPTIMIZERS)}, not {optimizer_str!r}."
        )
    return OPTIMIZERS[optimizer_str]


def make_optimizer(
    optimizer_str: str,
    optimized_params: Sequence[Mapping[str, Any]],
    optimizer_settings: Mapping[str, Any],
    *,
    metric_to_optimize: str,
    minimize: bool,
    seed: int | None,
    number_of_samples: int | None = None,
    n_jobs_per_iteration: int = 1,
    storage_dir: str | None = None,
) -> Optimizer:
    """A new optimizer for the hp_optimization config values of the same names.

    ``number_of_samples`` and ``n_jobs_per_iteration`` (from ``optimization_setting``) are used
    by nevergrad as budget and number of workers; the other optimizers ignore them. ``storage_dir``
    is where an optimizer may keep files between runs (optuna's journal; the experiment's internal
    directory under the hpo driver); without it optuna keeps its study in memory.
    """
    config = OptimizerConfig(
        optimizer_str=optimizer_str,
        optimized_params=optimized_params,
        optimizer_settings=optimizer_settings or {},
        metric_to_optimize=metric_to_optimize,
        minimize=minimize,
        seed=seed,
        number_of_samples=number_of_samples,
        n_jobs_per_iteration=n_jobs_per_iteration,
        storage_dir=storage_dir,
    )
    return _optimizer_class(optimizer_str)(config)


def restore_optimizer(
    state: Mapping[str, Any],
    optimizer_str: str,
    optimized_params: Sequence[Mapping[str, Any]],
    optimizer_settings: Mapping[str, Any],
    *,
    metric_to_optimize: str,
    minimize: bool,
    seed: int | None = None,
    number_of_samples: int | None = None,
    n_jobs_per_iteration: int = 1,
    storage_dir: str | None = None,
) -> Optimizer:
    """Resume from ``Optimizer.to_state()`` under the current config (same arguments as
    :func:`make_optimizer`; the seed saved in the state is used).

    Raises :class:`OptimizerStateMismatch` when the state belongs to a different optimization.
    """
    config = OptimizerConfig(
        optimizer_str=optimizer_str,
        optimized_params=optimized_params,
        optimizer_settings=optimizer_settings or {},
        metric_to_optimize=metric_to_optimize,
        minimize=minimize,
        seed=seed if seed is not None else state.get("seed"),
        number_of_samples=number_of_samples,
        n_jobs_per_iteration=n_jobs_per_iteration,
        storage_dir=storage_dir,
    )
    return _optimizer_class(optimizer_str).from_state(state, config)
