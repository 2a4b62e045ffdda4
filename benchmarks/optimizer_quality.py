"""Quality of the hp_optimization optimizers: the best value found for a number of samples.

Every method gets ``--samples`` (200) samples, asked in batches of ``--batches`` (5 and 20: ask a
batch, evaluate it, tell all its results, as the driver does with
``n_completed_jobs_before_resubmit = n_jobs_per_iteration``), on each objective of
``quality_objectives.py`` (3.0's ``fn_to_optimize``, Branin, Hartmann-6, a 10-D mixed problem),
for ``--seeds`` seeds (10). Methods:

- ``ours:...``: OUR optimizer objects, driven like the hpo driver drives them: built with
  ``make_optimizer`` from 3.0's ``optimized_params`` format (with ``number_of_samples`` and
  ``n_jobs_per_iteration``), ``ask(batch)``, ``tell(results)``, ``to_state()`` serialised after
  every tell. ``ours:cem`` (with_restarts, 10 in the elite, as 3.0's example config),
  ``ours:nevergrad-<opt_alg>`` (every opt_alg), ``ours:optuna-<sampler>`` (every sampler whose
  packages are installed; gp needs torch and runs only when named in ``--methods``: one
  200-sample run takes minutes).
- ``raw:optuna-<sampler>``: the same Optuna samplers used directly (``create_study``,
  ``study.ask`` with Optuna distributions written here, ``study.tell``) with the same sampler
  settings and seed (``sampler_seed``) as ``ours:optuna-<sampler>``: our wrapper must not lose
  quality against the library it wraps. Since the wrapper keeps one sampler for the study, both
  rows ask the same settings (tests/optimization/test_optuna_matches_raw_optuna.py), so their
  figures are equal.
- ``random``: uniform random search (log-uniform for log parameters), the reference.

Prints, per batch size, the median over seeds of the best value found minus the objective's known
minimum (lower is better; 0 is the optimum) per method and objective, with its ratio to random
search, and the median seconds per run. ``--output FILE`` also writes every run's best values as
JSON. Runs go to ``--jobs`` processes.

Usage: ``python benchmarks/optimizer_quality.py [--objectives fn branin] [--methods ours:cem
random] [--seeds 10] [--batches 5 20] [--samples 200] [--jobs 2] [--output results.json]``
(``--methods`` takes names or name prefixes such as ``ours:nevergrad``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import cluster_utils.optimization  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from quality_objectives import OBJECTIVES, Objective

from cluster_utils.optimization import NEVERGRAD_ALGORITHMS, OPTUNA_SAMPLERS, make_optimizer
from cluster_utils.optimization.optuna_optimizer import SAMPLER_PACKAGES, sampler_seed

RANDOM = "random"


@dataclass(frozen=True)
class Task:
    method: str
    objective: str
    batch: int
    seed: int
    samples: int


# -- the methods -----------------------------------------------------------------------------------


def _ours(optimizer_str: str, settings: dict[str, Any]) -> Callable[[Task], list[float]]:
    def run(task: Task) -> list[float]:
        objective = OBJECTIVES[task.objective]
        optimizer = make_optimizer(
            optimizer_str,
            objective.optimized_params,
            settings,
            metric_to_optimize="result",
            minimize=True,
            seed=task.seed,
            number_of_samples=task.samples,
            n_jobs_per_iteration=task.batch,
        )
        values: list[float] = []
        while len(values) < task.samples:
            asked = optimizer.ask(min(task.batch, task.samples - len(values)))
            results = [(setting, objective.regret(setting)) for setting in asked]
            optimizer.tell(results)
            json.dumps(optimizer.to_state())  # the driver saves the state after every tell
            values.extend(value for _, value in results)
        return values

    return run


def _raw_optuna_distributions(objective: Objective) -> dict[str, Any]:
    import optuna

    distributions: dict[str, Any] = {}
    for entry in objective.optimized_params:
        kind = entry["distribution"]
        if kind == "Discrete":
            distribution: Any = optuna.distributions.CategoricalDistribution(entry["options"])
        elif kind.startswith("Int"):
            low, high = entry["bounds"]
            distribution = optuna.distributions.IntDistribution(low, high, log="Log" in kind)
        else:
            low, high = entry["bounds"]
            distribution = optuna.distributions.FloatDistribution(low, high, log="Log" in kind)
        distributions[entry["param"]] = distribution
    return distributions


def _raw_sampler(sampler: str, seed: int) -> Any:
    import optuna

    samplers = optuna.samplers
    if sampler == "tpe":
        return samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    if sampler == "cmaes":
        return samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if sampler == "gp":
        return samplers.GPSampler(seed=seed, warn_independent_sampling=False)
    if sampler == "qmc":
        return samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False)
    return samplers.RandomSampler(seed=seed)


def _raw_optuna(sampler: str) -> Callable[[Task], list[float]]:
    def run(task: Task) -> list[float]:
        import warnings

        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        objective = OBJECTIVES[task.objective]
        distributions = _raw_optuna_distributions(objective)
        study = optuna.create_study(sampler=_raw_sampler(sampler, sampler_seed(task.seed)))
        values: list[float] = []
        while len(values) < task.samples:
            trials = [
                study.ask(distributions) for _ in range(min(task.batch, task.samples - len(values)))
            ]
            for trial in trials:
                value = objective.regret(trial.params)
                study.tell(trial, value)
                values.append(value)
        return values

    return run


def _uniform_random(task: Task) -> list[float]:
    objective = OBJECTIVES[task.objective]
    rng = np.random.default_rng(task.seed)

    def draw(entry: dict[str, Any]) -> Any:
        if entry["distribution"] == "Discrete":
            return entry["options"][int(rng.integers(len(entry["options"])))]
        low, high = entry["bounds"]
        log = "Log" in entry["distribution"]
        if entry["distribution"].startswith("Int"):
            if log:  # log-uniform over the integers' rounding intervals
                value = math.exp(rng.uniform(math.log(low - 0.5), math.log(high + 0.5)))
                return int(min(max(round(value), low), high))
            return int(rng.integers(low, high + 1))
        return float(
            math.exp(rng.uniform(math.log(low), math.log(high))) if log else rng.uniform(low, high)
        )

    return [
        objective.regret({entry["param"]: draw(entry) for entry in objective.optimized_params})
        for _ in range(task.samples)
    ]


def _sampler_installed(sampler: str) -> bool:
    package = SAMPLER_PACKAGES.get(sampler)
    return package is None or importlib.util.find_spec(package) is not None


def available_methods() -> dict[str, Callable[[Task], list[float]]]:
    methods: dict[str, Callable[[Task], list[float]]] = {
        "ours:cem": _ours("cem_metaoptimizer", {"with_restarts": True, "num_jobs_in_elite": 10})
    }
    if importlib.util.find_spec("nevergrad") is not None:
        for opt_alg in NEVERGRAD_ALGORITHMS:
            methods[f"ours:nevergrad-{opt_alg}"] = _ours("nevergrad", {"opt_alg": opt_alg})
    if importlib.util.find_spec("optuna") is not None:
        for sampler in filter(_sampler_installed, OPTUNA_SAMPLERS):
            methods[f"ours:optuna-{sampler}"] = _ours("optuna", {"sampler": sampler})
        for sampler in filter(_sampler_installed, OPTUNA_SAMPLERS):
            methods[f"raw:optuna-{sampler}"] = _raw_optuna(sampler)
    methods[RANDOM] = _uniform_random
    return methods


def run_task(task: Task) -> tuple[Task, float, float, float, str | None]:
    """(task, best value, best value after half the samples, seconds, error): a method that
    raises gets ``inf`` and its error."""
    logging.getLogger("cluster_utils").setLevel(logging.ERROR)  # "not recommended" warnings
    start = time.perf_counter()
    try:
        values = available_methods()[task.method](task)
    except Exception as error:  # a crashing optimizer is a result too
        return task, math.inf, math.inf, time.perf_counter() - start, repr(error)
    seconds = time.perf_counter() - start
    return task, min(values), min(values[: len(values) // 2]), seconds, None


# -- the table -------------------------------------------------------------------------------------


#: methods that run only when ``--methods`` names them (minutes per run)
SLOW_METHODS = ("ours:optuna-gp", "raw:optuna-gp")


def select_methods(patterns: Sequence[str] | None, names: Sequence[str]) -> list[str]:
    if not patterns:
        return [name for name in names if name not in SLOW_METHODS]
    chosen = [name for name in names if any(name.startswith(p) for p in patterns)]
    unknown = [p for p in patterns if not any(name.startswith(p) for name in names)]
    if unknown:
        raise SystemExit(f"unknown methods {unknown}; available: {list(names)}")
    return chosen if RANDOM in chosen else [*chosen, RANDOM]  # random is the reference


def format_tables(
    results: dict[tuple[str, str, int], list[float]],
    seconds: dict[tuple[str, str, int], list[float]],
    methods: Sequence[str],
    objectives: Sequence[str],
    batches: Sequence[int],
    n_seeds: int,
    samples: int,
) -> str:
    lines = []
    width = 18
    for batch in batches:
        lines.append(
            f"\n{samples} samples in batches of {batch}, {n_seeds} seeds: median best - known "
            "minimum (ratio to random search); s/run = median seconds per run over all objectives"
        )
        header = f"{'method':<26}" + "".join(f"{o:>{width}}" for o in objectives) + f"{'s/run':>8}"
        lines += [header, "-" * len(header)]
        for method in methods:
            cells = []
            for objective in objectives:
                median = statistics.median(results[(method, objective, batch)])
                reference = statistics.median(results[(RANDOM, objective, batch)])
                ratio = median / reference if reference > 0 else math.nan
                cells.append(f"{f'{median:.4g} ({ratio:.2f})':>{width}}")
            run_seconds = statistics.median(
                s for objective in objectives for s in seconds[(method, objective, batch)]
            )
            lines.append(f"{method:<26}" + "".join(cells) + f"{run_seconds:>8.2f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--objectives", nargs="+", choices=list(OBJECTIVES), default=list(OBJECTIVES)
    )
    parser.add_argument("--methods", nargs="+", help="names or prefixes (default: all)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    parser.add_argument("--batches", nargs="+", type=int, default=[5, 20])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--output", type=Path, help="write every run's best values as JSON")
    parser.add_argument("--list", action="store_true", help="list the methods and exit")
    args = parser.parse_args(argv)

    names = list(available_methods())
    if args.list:
        print("\n".join(names))
        return 0
    methods = select_methods(args.methods, names)
    tasks = [
        Task(method, objective, batch, seed, args.samples)
        for batch in args.batches
        for objective in args.objectives
        for method in methods
        for seed in range(args.seeds)
    ]
    print(
        f"{len(tasks)} runs ({len(methods)} methods, {len(args.objectives)} objectives, batches "
        f"{args.batches}, {args.seeds} seeds) in {args.jobs} process(es)",
        flush=True,
    )
    results: dict[tuple[str, str, int], list[float]] = {}
    halfway: dict[tuple[str, str, int], list[float]] = {}
    seconds: dict[tuple[str, str, int], list[float]] = {}
    errors: dict[tuple[str, str, int], list[str]] = {}
    start = time.perf_counter()
    done = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for task, best, best_halfway, run_seconds, error in pool.map(run_task, tasks, chunksize=1):
            done += 1
            if done % max(1, len(tasks) // 20) == 0:
                print(
                    f"  {done}/{len(tasks)} runs, {time.perf_counter() - start:.0f} s", flush=True
                )
            key = (task.method, task.objective, task.batch)
            if error is not None:
                errors.setdefault(key, []).append(f"seed {task.seed}: {error}")
            results.setdefault(key, []).append(best)
            halfway.setdefault(key, []).append(best_halfway)
            seconds.setdefault(key, []).append(run_seconds)
    print(
        format_tables(
            results, seconds, methods, args.objectives, args.batches, args.seeds, args.samples
        )
    )
    for (method, objective, batch), messages in errors.items():
        print(
            f"\n{method} on {objective} (batch {batch}) raised in {len(messages)} run(s) "
            f"(counted as inf): {messages[0]}"
        )
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    if args.output:
        args.output.write_text(
            json.dumps(
                [
                    {
                        "method": method,
                        "objective": objective,
                        "batch": batch,
                        "best": results[(method, objective, batch)],
                        "best_halfway": halfway[(method, objective, batch)],
                        "seconds": seconds[(method, objective, batch)],
                        "errors": errors.get((method, objective, batch), []),
                    }
                    for (method, objective, batch) in results
                ],
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
