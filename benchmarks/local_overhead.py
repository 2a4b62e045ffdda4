"""Local overhead per job: cluster-utils grid-search vs `xargs -P<cores>` over the same job script.

    python benchmarks/local_overhead.py [--jobs 200 1000] [--cores N] [--with-upstream]

Every run uses the same trivial @cluster_main job script and the same parameter files; the
baseline starts the script directly with xargs, which is the bare cost of starting the job's
Python process. With --with-upstream, cluster_utils 3.0.0 from PyPI runs the same grid from its
own virtual environment (created once under the system temp dir). Prints wall times and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compiled_sources import compile_sources  # benchmarks/ is on sys.path when run as a script
from trivial_job import JOB_SCRIPT  # benchmarks/ is on sys.path when run as a script

UPSTREAM_VENV = Path(tempfile.gettempdir()) / "cluster_utils_3.0.0_venv"


def grid_config(name: str, n_jobs: int, results: Path) -> dict:
    return {
        "optimization_procedure_name": name,
        "results_dir": str(results),
        "script_relative_path": "job.py",
        "run_in_working_dir": True,
        "environment_setup": {},
        "cluster_requirements": {"request_cpus": 1},
        "fixed_params": {},
        "restarts": 1,
        "hyperparam_list": [{"param": "x", "values": list(range(n_jobs))}],
        "generate_report": "never",
        "remove_jobs_dir": True,
        "local_run": True,
        "no_user_interaction": True,
    }


def timed(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{argv[:4]} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return elapsed


def run_xargs(workdir: Path, n_jobs: int, cores: int) -> float:
    params_dir = workdir / "xargs_params"
    params_dir.mkdir()
    files = []
    for x in range(n_jobs):
        path = params_dir / f"{x}.json"
        path.write_text(
            json.dumps({"x": x, "id": x, "working_dir": str(workdir / "xargs_wd" / str(x))})
        )
        files.append(str(path))
    (workdir / "xargs_list").write_text("\n".join(files) + "\n")
    return timed(["sh", "-c", f"xargs -P{cores} -n1 {sys.executable} job.py < xargs_list"], workdir)


def run_ours(workdir: Path, n_jobs: int, cores: int) -> float:
    config = workdir / "ours.json"
    config.write_text(json.dumps(grid_config("ours", n_jobs, workdir / "results")))
    argv = [sys.executable, "-m", "cluster_utils.cli.main", "grid-search", str(config)]
    return timed([*argv, "--profile", "local", "--cores", str(cores)], workdir)


def upstream_python() -> Path:
    python = UPSTREAM_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {UPSTREAM_VENV} with cluster_utils 3.0.0 ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(UPSTREAM_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "cluster_utils[runner]==3.0.0"],
            check=True,
        )
    return python


def path_without_clusters(workdir: Path) -> Path:
    """A directory of links to every command on PATH except Slurm's and HTCondor's."""
    tools = workdir / "tools"
    tools.mkdir(exist_ok=True)
    for directory in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            hidden = name.startswith(("condor_", "sbatch", "squeue", "scontrol", "sacct"))
            if not hidden and not (tools / name).exists():
                (tools / name).symlink_to(Path(directory) / name)
    return tools


def run_upstream(workdir: Path, n_jobs: int, cores: int) -> float:
    python = upstream_python()
    config = workdir / "upstream.json"
    settings = grid_config("upstream", n_jobs, workdir / "results_upstream")
    settings["cluster_requirements"]["max_cpus"] = cores
    config.write_text(json.dumps(settings))
    upstream_job = workdir / "upstream_job"
    upstream_job.mkdir()
    (upstream_job / "job.py").write_text(JOB_SCRIPT)
    # 3.0 would detect a cluster from sbatch/condor_* on PATH: hide them from it
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{path_without_clusters(workdir)}"}
    env.pop("PYTHONPATH", None)
    return timed([str(python), "-m", "cluster_utils.grid_search", str(config)], upstream_job, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--with-upstream", action="store_true")
    args = parser.parse_args()
    compile_sources()

    rows = []
    for n_jobs in args.jobs:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            (workdir / "job.py").write_text(JOB_SCRIPT)
            baseline = run_xargs(workdir, n_jobs, args.cores)
            ours = run_ours(workdir, n_jobs, args.cores)
            upstream = run_upstream(workdir, n_jobs, args.cores) if args.with_upstream else None
            shutil.rmtree(workdir / "results", ignore_errors=True)
        rows.append((n_jobs, baseline, ours, upstream))

    print(f"\nlocal overhead, trivial @cluster_main jobs, {args.cores} cores")
    print(f"{'jobs':>6} {'xargs s':>9} {'ours s':>9} {'ours/xargs':>11} {'ms/job':>8}", end="")
    print(f" {'3.0.0 s':>9} {'3.0.0/xargs':>12}" if args.with_upstream else "")
    for n_jobs, baseline, ours, upstream in rows:
        line = (
            f"{n_jobs:>6} {baseline:>9.1f} {ours:>9.1f} {ours / baseline:>11.2f} "
            f"{1000 * ours / n_jobs * args.cores:>8.0f}"
        )
        if upstream is not None:
            line += f" {upstream:>9.1f} {upstream / baseline:>12.2f}"
        print(line)


if __name__ == "__main__":
    main()
