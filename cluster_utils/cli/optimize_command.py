"""Entry of ``cluster-utils optimize`` and ``python -m cluster_utils.hp_optimization``.

The optimization itself lives in :mod:`cluster_utils.hpo`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cluster_utils.hpo.run import OptimizationOptions, run_hp_optimization
from cluster_utils.hpo.setup import HpoError


def run_optimization_command(args: argparse.Namespace) -> int:
    options = OptimizationOptions(
        config_file=Path(args.config),
        overrides=list(args.overrides or []),
        profile=getattr(args, "profile", None),
        force_local=bool(getattr(args, "force_local", False)),
        cores=getattr(args, "cores", None),
        gpus=getattr(args, "gpus", None),
        verbose=bool(getattr(args, "verbose", False)),
        force=bool(getattr(args, "force", False)),
        strict=bool(getattr(args, "strict", False)),
    )
    try:
        return run_hp_optimization(options)
    except HpoError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return error.exit_code
