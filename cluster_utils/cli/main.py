"""The ``cluster-utils`` command: grid-search, optimize, report, status, options."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from cluster_utils._version import __version__

EXIT_CONFIG_ERROR = 2

OVERRIDES_HELP = (
    "settings that replace those of the config file, as dotted.key=<Python literal>, e.g. "
    "'optimization_procedure_name=\"foo\"' or fixed_params.lr=0.01 (strings need quotes)"
)


def _at_least(minimum: int):
    """An argparse type: a whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, found {value}")
        return value

    return parse


_positive_int = _at_least(1)
_non_negative_int = _at_least(0)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="the config file (JSON, YAML or TOML)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help=OVERRIDES_HELP)
    parser.add_argument(
        "--profile",
        help="where jobs run: local, slurm, htcondor, pbs or a Snakemake profile directory "
        "(default: the detected cluster, as in 3.0, or local)",
    )
    parser.add_argument(
        "--force-local",
        action="store_true",
        help="run on this machine even when a cluster is detected",
    )
    parser.add_argument(
        "--cores",
        type=_positive_int,
        help="at most this many cores for local jobs (default: all)",
    )
    parser.add_argument(
        "--gpus",
        type=_non_negative_int,
        metavar="N",
        help="local jobs share N GPUs, each getting request_gpus of its own in "
        "CUDA_VISIBLE_DEVICES (default: those CUDA_VISIBLE_DEVICES or nvidia-smi -L shows)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show Snakemake's own output")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="unknown config keys are errors, and any failed job gives exit code 1 (for CI)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cluster-utils",
        description="Grid searches and hyperparameter optimization of job scripts on Slurm, "
        "HTCondor or this machine, run by Snakemake.",
    )
    parser.add_argument("--version", action="version", version=f"cluster_utils {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grid = commands.add_parser(
        "grid-search",
        help="run every setting of a grid (hyperparam_list x restarts)",
        description="Run a grid search. Running the same command again re-runs only failed "
        "and missing jobs.",
    )
    _add_run_options(grid)
    grid.add_argument(
        "-n", "--dry-run", action="store_true", help="plan the jobs and show what would run"
    )
    grid.add_argument(
        "--snakemake-args",
        nargs=argparse.REMAINDER,
        default=[],
        help="everything after this is passed to snakemake unchanged",
    )

    optimize = commands.add_parser(
        "optimize",
        help="hyperparameter optimization (CEM, nevergrad, grid) in batches of jobs",
        description="Run a hyperparameter optimization. Running the same command again "
        "continues where it stopped.",
    )
    _add_run_options(optimize)
    optimize.add_argument(
        "--force",
        action="store_true",
        help="continue a run even though its config changed",
    )

    report = commands.add_parser("report", help="write the PDF report of a results directory")
    report.add_argument("results_dir", type=Path, help="the experiment directory")
    report.add_argument("output", type=Path, nargs="?", help="the PDF to write")
    report.add_argument("--force", action="store_true", help="overwrite an existing output")
    from cluster_utils.report.command import add_metric_options

    add_metric_options(report)

    status = commands.add_parser(
        "status", help="list failed jobs with reasons, running and pending ones"
    )
    status.add_argument("results_dir", type=Path, help="the experiment directory")
    status.add_argument(
        "--all", action="store_true", help="list every job, not only unfinished ones"
    )
    from cluster_utils.cli.install_profiles import add_install_profiles_parser

    add_install_profiles_parser(commands)
    from cluster_utils.cli.options_command import add_options_parser

    add_options_parser(commands)
    return parser


def _setup_logging() -> None:
    level = os.environ.get("CLUSTER_UTILS_LOG_LEVEL", "warning").upper()
    logging.basicConfig(format="%(levelname)s: %(message)s", level=getattr(logging, level, 30))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # overrides may also come after options: `grid-search cfg.yaml --profile local x=1`
    args, extras = parser.parse_known_args(argv)
    unknown = [e for e in extras if e.startswith("-") or "=" not in e]
    if unknown or (extras and not hasattr(args, "overrides")):
        # a command may report its errors its own way (options: one line)
        command_parser = getattr(args, "command_parser", parser)
        command_parser.error(f"unrecognized arguments: {' '.join(unknown or extras)}")
    if extras:
        args.overrides = [*args.overrides, *extras]
    _setup_logging()
    from cluster_utils.cli.errors import handle_errors

    with handle_errors() as outcome:
        outcome.code = _dispatch(args)
    return outcome.code


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "grid-search":
        from cluster_utils.grid.driver import GridSearchOptions, run_grid_search

        return run_grid_search(
            GridSearchOptions(
                config_file=args.config,
                overrides=args.overrides,
                profile=args.profile,
                dry_run=args.dry_run,
                cores=args.cores,
                gpus=args.gpus,
                force_local=args.force_local,
                snakemake_args=args.snakemake_args,
                verbose=args.verbose,
                strict=args.strict,
            )
        )
    if args.command == "optimize":
        from cluster_utils.cli.optimize_command import run_optimization_command

        return run_optimization_command(args)
    if args.command == "report":
        from cluster_utils.report.command import write_report

        return write_report(
            args.results_dir,
            args.output,
            logging.getLogger("cluster_utils.report"),
            force=args.force,
            metric=args.metric,
            minimize=args.minimize,
        )
    if args.command == "status":
        from cluster_utils.cli.status import print_status

        return print_status(args.results_dir, show_all=args.all)
    if args.command == "options":
        from cluster_utils.cli.options_command import print_options

        return print_options(args.kind, args.backend)
    if args.command == "install-profiles":
        from cluster_utils.cli.install_profiles import run_install_profiles

        return run_install_profiles(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
