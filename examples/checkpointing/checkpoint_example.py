"""Checkpoint and resume: a long job split into short pieces with exit_for_resume().

Every `iterations_per_run` iterations the job saves its state in its working directory and calls
exit_for_resume() (exit code 3). cluster_utils starts it again -- locally at once, on Slurm or
HTCondor as a new job with a fresh time limit -- with the same parameters and working directory,
and the job continues from its checkpoint. Resumes are not failures.
"""

import json
import os
import random

from cluster_utils import announce_fraction_finished, exit_for_resume, finalize_job, initialize_job


def load_checkpoint(path):
    if os.path.isfile(path):
        with open(path) as f:
            return json.load(f)
    return {"iteration": 0, "weight": 0.0, "loss": None}


def save_checkpoint(path, state):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, path)  # a crash never leaves half a checkpoint


if __name__ == "__main__":
    params = initialize_job()
    checkpoint = os.path.join(params.working_dir, "checkpoint.json")
    state = load_checkpoint(checkpoint)
    rng = random.Random(state["iteration"])
    target = params.target

    runs_left = params.iterations_per_run
    while state["iteration"] < params.total_iterations:
        # "training": gradient steps on (weight - target)^2 with a noisy gradient
        gradient = 2 * (state["weight"] - target) + rng.gauss(0, 0.1)
        state["weight"] -= params.learning_rate * gradient
        state["loss"] = (state["weight"] - target) ** 2
        state["iteration"] += 1
        runs_left -= 1
        if runs_left == 0 and state["iteration"] < params.total_iterations:
            save_checkpoint(checkpoint, state)
            announce_fraction_finished(state["iteration"] / params.total_iterations)
            exit_for_resume()

    finalize_job({"loss": state["loss"], "iterations": state["iteration"]}, params)
