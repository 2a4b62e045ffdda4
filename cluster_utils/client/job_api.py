"""The job-script API: initialize_job, finalize_job, cluster_main, exit_for_resume, announce_*."""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path

from cluster_utils.base import constants, job_protocol
from cluster_utils.base.nested_dicts import flatten_dict
from cluster_utils.base.overrides import apply_overrides, parse_overrides
from cluster_utils.base.settings import (
    check_reserved_params,
    load_final_params,
    load_settings_file,
    resolve_settings,
)

from . import submission_state
from .command_line import parse_job_arguments
from .params import ImmutableAttributeDict
from .result_files import sanitize_scalar, write_one_row_csv, write_settings_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn


def initialize_job(
    cmd_line: list[str] | None = None, verbose: bool = True, dynamic: bool = True
) -> ImmutableAttributeDict:
    """Read the job's parameters from the command line (``sys.argv`` by default).

    ``cmd_line[1:]`` is a settings file (or, with ``--parameter-dict``, a Python dict literal)
    followed by ``key=value`` overrides. If the params have a ``working_dir``, it is created and
    ``settings.json`` is written into it. Returns the params as an immutable attribute dict.

    ``dynamic`` evaluates the dynamic values (``"{...}"``) of a settings file or dict given by
    hand, as 3.0 did. The parameter file the runner hands a job (``jobs/<id>/params.json``, with
    ``CLUSTER_UTILS_RUNNER=1`` and ``CLUSTER_UTILS_JOB_ID=<id>`` in the environment) is final data:
    the runner has evaluated it, and it is not evaluated again (only the files it imports with
    ``__import__`` are). ``key=value`` overrides are data too: never evaluated.
    """
    if not cmd_line:
        cmd_line = sys.argv
    args = parse_job_arguments(cmd_line)

    if args.parameter_dict:
        import ast

        parameter_dict = ast.literal_eval(args.parameter_file_or_dict)
        if not isinstance(parameter_dict, dict):
            msg = "'parameter_file_or_dict' must be a dictionary (`--parameter-dict` is set)."
            raise ValueError(msg)
        settings = resolve_settings(
            _json_round_trip(parameter_dict), dynamic=dynamic, strict=False, keep_escapes=False
        )
    else:
        parameter_file = Path(args.parameter_file_or_dict)
        if not parameter_file.is_file():
            msg = f"'{parameter_file}' does not exist or is not a file."
            raise FileNotFoundError(msg)
        settings = _read_parameter_file(parameter_file, dynamic)
    apply_overrides(settings, parse_overrides(args.parameter_overwrites), create_missing=False)
    check_reserved_params(settings)
    params = ImmutableAttributeDict(settings)

    if verbose:
        print(params)

    submission_state.start_time = time.time()
    submission_state.job_id = _job_id(args.job_id)
    submission_state.params = params
    submission_state.working_dir = None
    if constants.WORKING_DIR in params:
        working_dir = os.fspath(params[constants.WORKING_DIR])
        submission_state.working_dir = working_dir
        os.makedirs(working_dir, exist_ok=True)
        write_settings_json(params, os.path.join(working_dir, constants.JSON_SETTINGS_FILE))
    return params


def _read_parameter_file(path: Path, dynamic: bool) -> dict[str, Any]:
    if _is_runner_parameter_file(path):
        return load_final_params(path, dynamic=dynamic)
    return load_settings_file(path, dynamic=dynamic, strict=False, keep_escapes=False)


def _is_runner_parameter_file(path: Path) -> bool:
    """Whether ``path`` is the ``jobs/<id>/params.json`` the runner started this job with."""
    job_id = job_protocol.runner_job_id()
    return (
        job_protocol.started_by_runner()
        and job_id is not None
        and path.name == "params.json"
        and path.parent.name == job_id
    )


def _json_round_trip(parameter_dict: dict[Any, Any]) -> dict[str, Any]:
    """As 3.0 (smart_settings.loads(json.dumps(d))): tuples become lists, keys strings."""
    import json

    return json.loads(json.dumps(parameter_dict))


def _job_id(from_cmd_line: int | str | None) -> int | str | None:
    if from_cmd_line is not None:
        return from_cmd_line
    from_env = job_protocol.runner_job_id()
    if from_env is None:
        return None
    return int(from_env) if from_env.isdigit() else from_env


def finalize_job(metrics: MutableMapping[str, float], params: Mapping[str, Any]) -> None:
    """Save params and metrics (``param_choice.csv``, ``metrics.csv``) in the working dir.

    Adds ``time_elapsed`` (seconds since :func:`initialize_job`) to ``metrics`` and converts
    numpy/torch scalars to Python numbers, in place as 3.0 did. Without ``working_dir`` in the
    params nothing is written and a warning says so. Call it at the end of the job script: a job
    without ``metrics.csv`` counts as failed.
    """
    if "time_elapsed" not in metrics:
        metrics["time_elapsed"] = time.time() - submission_state.start_time
    else:
        warnings.warn(
            "'time_elapsed' metric already taken. Automatic time saving failed.", stacklevel=2
        )
    for key, value in metrics.items():
        metrics[key] = sanitize_scalar(value)

    working_dir = params.get(constants.WORKING_DIR)
    if working_dir is None:
        warnings.warn(
            f"finalize_job: the params have no '{constants.WORKING_DIR}', so the metrics are not"
            f" saved: {dict(metrics)}",
            stacklevel=2,
        )
        return
    working_dir = os.fspath(working_dir)
    os.makedirs(working_dir, exist_ok=True)
    write_one_row_csv(flatten_dict(params), os.path.join(working_dir, constants.CLUSTER_PARAM_FILE))
    job_protocol.write_final_metrics(working_dir, metrics)
    write_one_row_csv(metrics, os.path.join(working_dir, constants.CLUSTER_METRIC_FILE))


def announce_early_results(metrics: Mapping[str, Any]) -> None:
    """Report intermediate metrics (used by hp_optimization's ``kill_bad_jobs_early``).

    Does nothing if the job has no working dir (e.g. run by hand without one).
    """
    if submission_state.working_dir is None:
        return
    sanitized = {key: sanitize_scalar(value) for key, value in metrics.items()}
    job_protocol.write_early_results(submission_state.working_dir, sanitized)


def announce_fraction_finished(fraction_finished: float) -> None:
    """Report the job's progress (between 0 and 1), used to estimate its remaining time.

    Does nothing if the job has no working dir (e.g. run by hand without one).
    """
    if submission_state.working_dir is None:
        return
    job_protocol.write_progress(submission_state.working_dir, sanitize_scalar(fraction_finished))


def exit_for_resume() -> NoReturn:
    """Ask the runner to restart this job (same params and working dir) and exit with code 3.

    Save a checkpoint before calling it. Outside of a cluster_utils run a warning on stderr says
    what happens; the process exits with code 3 anyway.
    """
    if submission_state.working_dir is not None:
        job_protocol.write_resume_request(submission_state.working_dir)
    if not job_protocol.started_by_runner():
        print(
            "cluster_utils: exit_for_resume() called outside a cluster_utils run; exiting with"
            f" code {constants.RETURN_CODE_FOR_RESUME}, which asks the runner to restart the job",
            file=sys.stderr,
            flush=True,
        )
    sys.exit(constants.RETURN_CODE_FOR_RESUME)


def cluster_main(main_func: Callable[..., Any] | None = None, **read_params_args: Any) -> Any:
    """Decorator: ``@cluster_main`` or ``@cluster_main(verbose=False)``.

    The wrapped function is called with the params of :func:`initialize_job` (which gets the
    decorator's keyword arguments) as keyword arguments, including ``working_dir`` and ``id``
    when present; its returned metrics dict is passed to :func:`finalize_job`.
    """
    if main_func is None:
        return functools.partial(cluster_main, **read_params_args)

    @functools.wraps(main_func)
    def wrapper() -> Any:
        params = initialize_job(**read_params_args)
        metrics = main_func(**params)
        if not isinstance(metrics, MutableMapping):
            raise TypeError(
                f"{main_func.__name__}() decorated with @cluster_main must return a dict of"
                f" metrics, not {type(metrics).__name__}"
            )
        finalize_job(metrics, params)
        return metrics

    return wrapper
