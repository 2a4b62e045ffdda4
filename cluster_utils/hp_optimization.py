"""3.0 entry point: ``python -m cluster_utils.hp_optimization CONFIG [key=value ...]``.

Same as ``cluster-utils optimize``, including its options (--profile, --force, ...).
"""

import sys

from cluster_utils.cli.main import main as cli_main


def main(argv: list[str] | None = None) -> int:
    return cli_main(["optimize", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
