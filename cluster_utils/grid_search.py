"""3.0 entry point: ``python -m cluster_utils.grid_search CONFIG [key=value ...]``.

Same as ``cluster-utils grid-search``, including its options (--profile, --dry-run, ...).
"""

import sys

from cluster_utils.cli.main import main as cli_main


def main(argv: list[str] | None = None) -> int:
    return cli_main(["grid-search", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
