"""Quality of the hp_optimization optimizers on cluster_utils 3.0's example objective.

Runs 200 samples in batches of n_jobs_per_iteration=5 asks/tells on 3.0's
``examples/basic/main.py:fn_to_optimize`` (re-implemented: deterministic, without its random 10 %
failures and without the noise of the example job) over the parameter space of
``examples/basic/optimization_metaopt.json``, for five seeds each of:

- CEM metaoptimizer (``with_restarts: true``, ``num_jobs_in_elite: 10``, as the example config),
- random search sampling CEM's initial distributions (never refit: same prior as CEM),
- nevergrad RandomSearch,
- nevergrad NGOpt (budget 200, 5 workers).

Prints the best value per seed, the median over seeds, the median after 100 samples and the
ratio of each median to the random-search median, then whether CEM's median best is at least
as good as random search's. Minimisation: smaller is better. Runtime: a few seconds.

Usage: ``python benchmarks/optimizer_quality.py`` (needs the ``nevergrad`` extra for the
nevergrad rows; they are skipped without it).
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import cluster_utils.optimization  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from cluster_utils.optimization import Optimizer, make_optimizer
from cluster_utils.optimization.distributions import make_distribution

NUMBER_OF_SAMPLES = 200
N_JOBS_PER_ITERATION = 5
SEEDS = (0, 1, 2, 3, 4)
HALFWAY = NUMBER_OF_SAMPLES // 2

#: ``optimized_params`` of 3.0's examples/basic/optimization_metaopt.json.
OPTIMIZED_PARAMS: list[dict[str, Any]] = [
    {"param": "fn_args.u", "distribution": "TruncatedNormal", "bounds": [-3.0, 3.0]},
    {"param": "fn_args.v", "distribution": "IntLogNormal", "bounds": [1, 1000]},
    {"param": "fn_args.w", "distribution": "IntNormal", "bounds": [-5, 5]},
    {"param": "fn_args.x", "distribution": "TruncatedNormal", "bounds": [0.0, 4.0]},
    {"param": "fn_args.y", "distribution": "TruncatedLogNormal", "bounds": [1e-2, 1e2]},
    {"param": "fn_args.sharp_penalty", "distribution": "Discrete", "options": [False, True]},
]


def fn_to_optimize(setting: dict[str, Any]) -> float:
    """3.0's fn_to_optimize (tuple_input unset), deterministic."""
    u, v, w = setting["fn_args.u"], setting["fn_args.v"], setting["fn_args.w"]
    x, y = setting["fn_args.x"], setting["fn_args.y"]
    y_log = math.log(abs(y + 1e-7))
    v_log = math.log(abs(v + 1e-7))
    result = (x - 3.14) ** 2 + (y_log - 2.78) ** 2 + (u * v_log * w + 1) ** 2
    result += (u + v_log + w - 5) ** 2
    if setting["fn_args.sharp_penalty"] and x > 3.20:
        result += 1
    return result


def run_optimizer(optimizer: Optimizer) -> list[float]:
    """All values in the order they were obtained."""
    values: list[float] = []
    while len(values) < NUMBER_OF_SAMPLES:
        settings = optimizer.ask(N_JOBS_PER_ITERATION)
        results = [(setting, fn_to_optimize(setting)) for setting in settings]
        optimizer.tell(results)
        values.extend(value for _, value in results)
    return values


def cem(seed: int) -> list[float]:
    settings = {"with_restarts": True, "num_jobs_in_elite": 10}
    return run_optimizer(
        make_optimizer(
            "cem_metaoptimizer",
            OPTIMIZED_PARAMS,
            settings,
            metric_to_optimize="result",
            minimize=True,
            seed=seed,
        )
    )


def random_from_initial_distributions(seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    distributions = [make_distribution(spec) for spec in OPTIMIZED_PARAMS]
    return [
        fn_to_optimize({d.param_name: d.sample(rng, 1)[0] for d in distributions})
        for _ in range(NUMBER_OF_SAMPLES)
    ]


def nevergrad_method(opt_alg: str) -> Callable[[int], list[float]]:
    def run(seed: int) -> list[float]:
        return run_optimizer(
            make_optimizer(
                "nevergrad",
                OPTIMIZED_PARAMS,
                {"opt_alg": opt_alg},
                metric_to_optimize="result",
                minimize=True,
                seed=seed,
                number_of_samples=NUMBER_OF_SAMPLES,
                n_jobs_per_iteration=N_JOBS_PER_ITERATION,
            )
        )

    return run


def main() -> int:
    methods: dict[str, Callable[[int], list[float]]] = {
        "CEM metaoptimizer": cem,
        "random (initial distr.)": random_from_initial_distributions,
    }
    if importlib.util.find_spec("nevergrad") is not None:
        methods["nevergrad RandomSearch"] = nevergrad_method("randomsearch")
        methods["nevergrad NGOpt"] = nevergrad_method("NGOpt")
    else:
        print("nevergrad not installed: its rows are skipped.")

    print(
        f"fn_to_optimize of cluster_utils 3.0 (minimise), {NUMBER_OF_SAMPLES} samples in "
        f"batches of {N_JOBS_PER_ITERATION}, seeds {list(SEEDS)}\n"
    )
    rows = []
    for name, method in methods.items():
        start = time.perf_counter()
        runs = [method(seed) for seed in SEEDS]
        seconds = time.perf_counter() - start
        best = [min(values) for values in runs]
        best_halfway = [min(values[:HALFWAY]) for values in runs]
        rows.append((name, best, statistics.median(best), statistics.median(best_halfway), seconds))

    random_median = rows[1][2]
    header = (
        f"{'method':<24}"
        + "".join(f"{'seed ' + str(s):>9}" for s in SEEDS)
        + f"{'median':>9}{'med@' + str(HALFWAY):>9}{'/random':>9}{'time s':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, best, median, median_halfway, seconds in rows:
        print(
            f"{name:<24}"
            + "".join(f"{value:>9.3f}" for value in best)
            + f"{median:>9.3f}{median_halfway:>9.3f}{median / random_median:>9.2f}{seconds:>8.2f}"
        )
    cem_median = rows[0][2]
    verdict = "yes" if cem_median <= random_median else "NO"
    print(
        f"\nCEM median best {cem_median:.3f} at least as good as random search median "
        f"{random_median:.3f}: {verdict} (ratio {cem_median / random_median:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
