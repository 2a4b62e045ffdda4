"""The trivial @cluster_main job script the overhead benchmarks run (their own cost is ~0)."""

JOB_SCRIPT = """\
from cluster_utils import cluster_main


@cluster_main
def main(working_dir, id, x, **kwargs):
    return {"y": 2 * x}


if __name__ == "__main__":
    main()
"""
