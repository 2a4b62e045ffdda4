"""The job script's command line, parsed exactly as 3.0 did."""

from __future__ import annotations

import argparse


def server_info(ip_and_port: str) -> dict[str, str | int]:
    """Split and validate ``host:port`` (accepted for 3.0 compatibility, then ignored)."""
    ip, port = ip_and_port.rsplit(":", maxsplit=1)
    if not port.isdigit():
        raise ValueError("Invalid port")
    return {"ip": ip, "port": int(port)}


def job_id(text: str) -> int | str:
    """``--job-id``: an int when it looks like one, else the string."""
    try:
        return int(text)
    except ValueError:
        return text


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of job scripts."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "parameter_file_or_dict",
        type=str,
        help="Path to a settings file or (with `--parameter-dict`) a Python dict literal.",
    )
    parser.add_argument(
        "parameter_overwrites",
        nargs="*",
        type=str,
        default=[],
        metavar="<key>=<value>",
        help="Overrides `dotted.key=<python literal>`, e.g. `fn_args.x=3` `'name=\"run\"'`.",
    )
    parser.add_argument(
        "--parameter-dict",
        action="store_true",
        help="`parameter_file_or_dict` is a Python dict literal instead of a file path.",
    )
    parser.add_argument("--job-id", type=job_id, metavar="<id>", help="ID of the job.")
    parser.add_argument(
        "--cluster-utils-server",
        type=server_info,
        metavar="<host>:<port>",
        help="Accepted for compatibility with 3.0 and ignored (jobs report through files).",
    )
    return parser


def parse_job_arguments(cmd_line: list[str]) -> argparse.Namespace:
    """Parse ``cmd_line[1:]``; argparse errors exit with code 2 as in 3.0."""
    parser = build_parser()
    args = parser.parse_args(cmd_line[1:])
    if args.cluster_utils_server and args.job_id is None:
        parser.error("--job-id is required when --cluster-utils-server is set.")
    return args
