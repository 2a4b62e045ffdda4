"""Checkpoint when Slurm's time limit is near, then continue in a fresh job (exit_for_resume).

With ``cluster_requirements.signal_seconds_to_timeout: N`` the job script receives SIGUSR1 N
seconds before the job's time limit (``request_time``). This script trains in iterations; when
the signal arrives it saves a checkpoint and calls ``exit_for_resume()``: cluster_utils requeues
the Slurm job, which starts again with a fresh time limit, loads the checkpoint and goes on.
This is cluster_utils 3.0's examples/slurm_timeout_signal pattern.

    cluster-utils grid-search examples/slurm_timeout_signal/grid_search.yaml --profile slurm
"""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import cluster_utils

received_timeout_signal = False


def timeout_signal_handler(_signum: int, _frame: object) -> None:
    global received_timeout_signal
    print("Received timeout signal", flush=True)
    # only set a flag: the training loop checkpoints at the end of its iteration
    received_timeout_signal = True


def main() -> int:
    params = cluster_utils.initialize_job()
    n_iterations = int(params.get("n_iterations", 60))
    seconds_per_iteration = float(params.get("seconds_per_iteration", 10))

    signal.signal(signal.SIGUSR1, timeout_signal_handler)

    checkpoint_file = Path(params.working_dir) / "checkpoint.json"
    start_iteration, runs = 0, 0
    if checkpoint_file.exists():
        checkpoint = json.loads(checkpoint_file.read_text())
        start_iteration, runs = checkpoint["iteration"], checkpoint["runs"]
        print(f"Loaded checkpoint: continuing at iteration {start_iteration}", flush=True)

    for i in range(start_iteration, n_iterations):
        print(f"Training iteration {i} with x = {params.x}, y = {params.y}", flush=True)
        time.sleep(seconds_per_iteration)  # stands in for real training

        if received_timeout_signal:
            print("Save checkpoint and exit for resume.", flush=True)
            checkpoint_file.write_text(json.dumps({"iteration": i + 1, "runs": runs + 1}))
            cluster_utils.exit_for_resume()

    metrics = {"result": params.x + params.y, "iterations": n_iterations, "resumes": runs}
    cluster_utils.finalize_job(metrics, params)
    return 0


if __name__ == "__main__":
    sys.exit(main())
