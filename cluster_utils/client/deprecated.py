"""Deprecated 3.0 aliases of :func:`initialize_job` and :func:`finalize_job`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, MutableMapping

from .job_api import finalize_job, initialize_job
from .params import ImmutableAttributeDict

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def read_params_from_cmdline(
    cmd_line: list[str] | None = None,
    make_immutable: bool = True,
    verbose: bool = True,
    dynamic: bool = True,
    save_params: bool = True,
) -> ImmutableAttributeDict:
    """Deprecated alias of :func:`initialize_job`."""
    warnings.warn(
        "`read_params_from_cmdline` is deprecated!  Use `initialize_job` instead.",
        FutureWarning,
        stacklevel=2,
    )
    if not make_immutable:
        msg = (
            "The option `make_immutable=False` is not supported anymore."
            " You can create a mutable copy of the parameters with `params.to_dict()`"
        )
        raise RuntimeError(msg)
    if not save_params:
        msg = (
            "The option `save_params=False` is not supported anymore."
            " Parameters will always be saved."
        )
        raise RuntimeError(msg)
    return initialize_job(cmd_line, verbose=verbose, dynamic=dynamic)


def save_metrics_params(metrics: MutableMapping[str, float], params: Mapping[str, Any]) -> None:
    """Deprecated alias of :func:`finalize_job`."""
    warnings.warn(
        "`save_metrics_params` is deprecated!  Use `finalize_job` instead.",
        FutureWarning,
        stacklevel=2,
    )
    finalize_job(metrics, params)
