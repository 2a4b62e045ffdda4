"""Turning known errors into one clear message and an exit code (2 for bad config/input)."""

from __future__ import annotations

import errno
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cluster_utils.base.exit_codes import ABORTED, CONFIG_ERROR

EXIT_ERROR = ABORTED
EXIT_CONFIG_ERROR = CONFIG_ERROR


@dataclass
class Outcome:
    code: int = 0


def _known_errors() -> dict[type[BaseException], int]:
    from cluster_utils.backends.missing_executor import MissingExecutorPluginError
    from cluster_utils.base.settings import SettingsError
    from cluster_utils.config.validation import ConfigError
    from cluster_utils.execution.profiles import ProfileError
    from cluster_utils.execution.snakemake import RunLockedError
    from cluster_utils.experiment.code_checkout import GitCheckoutError
    from cluster_utils.grid.expansion import GridError
    from cluster_utils.optimization.nevergrad_optimizer import MissingNevergradError
    from cluster_utils.optimization.optuna_optimizer import MissingOptunaError
    from cluster_utils.report import MissingReportDependencyError

    return {
        SettingsError: EXIT_CONFIG_ERROR,
        ConfigError: EXIT_CONFIG_ERROR,
        GridError: EXIT_CONFIG_ERROR,
        ProfileError: EXIT_CONFIG_ERROR,
        # an optional extra the run needs is not installed: one line naming it, nothing ran
        MissingExecutorPluginError: EXIT_CONFIG_ERROR,
        MissingNevergradError: EXIT_CONFIG_ERROR,
        MissingOptunaError: EXIT_CONFIG_ERROR,
        MissingReportDependencyError: EXIT_CONFIG_ERROR,
        GitCheckoutError: EXIT_ERROR,
        RunLockedError: EXIT_ERROR,
    }


def _os_error_message(error: OSError) -> str:
    where = error.filename or "a file of the experiment"
    message = f"{where}: {error.strerror or error}"
    if error.errno == errno.ENOSPC:
        message += "; free some space and run the same command again: it continues where it stopped"
    return message


@contextmanager
def handle_errors() -> Iterator[Outcome]:
    outcome = Outcome()
    try:
        yield outcome
    except FileNotFoundError as error:
        what = error.strerror or "no such file"
        print(f"error: {error.filename or error}: {what}", file=sys.stderr)
        outcome.code = EXIT_CONFIG_ERROR
    except OSError as error:  # a full disk, a read-only or vanished directory, ...
        print(f"error: {_os_error_message(error)}", file=sys.stderr)
        outcome.code = EXIT_CONFIG_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        outcome.code = ABORTED
    except Exception as error:
        for error_type, code in _known_errors().items():
            if isinstance(error, error_type):
                for warning in getattr(error, "warnings", ()):
                    print(f"warning: {warning}", file=sys.stderr)
                for line in str(error).splitlines() or [type(error).__name__]:
                    print(f"error: {line}", file=sys.stderr)
                outcome.code = code
                return
        raise
