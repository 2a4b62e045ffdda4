"""Start a Python job script in a forked copy of the runner instead of a new interpreter.

The runner has already paid for the interpreter start-up and for importing cluster_utils, so a
forked child that runs the script with ``runpy`` starts in about a millisecond. The child looks
to the script like ``python script.py PARAMS``: ``__main__``, ``sys.argv``, ``sys.path[0]``, the
working directory, environment, stdio and default signal handlers are set up as for a fresh
interpreter, and atexit handlers and non-daemon threads are run/joined at the end. An uncaught
exception is reported through ``sys.excepthook`` with a traceback that starts at the script's
own frames, as a fresh interpreter shows it (no runpy or runner frames).

Used only where nobody can tell it from a fresh interpreter: the job runs under this very
interpreter (no virtualenv, conda or container) and its environment is the runner's own. When
environment_setup.variables sets anything the runner's environment does not already hold
(PYTHONPATH, PYTHONHASHSEED, LD_PRELOAD, a locale, ...), the job gets a fresh interpreter that
starts with those variables, as 3.0's job scripts exported them before python started. Set
``CLUSTER_UTILS_FORK=0`` to always start a new interpreter.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from cluster_utils.experiment.launch_spec import LaunchSpec

FORK_ENV_VAR = "CLUSTER_UTILS_FORK"


def can_fork(spec: LaunchSpec, environ: Mapping[str, str] | None = None) -> bool:
    """Whether the job may run in a fork of this interpreter (``environ``: the runner's own)."""
    environ = os.environ if environ is None else environ
    return (
        environ.get(FORK_ENV_VAR, "1") != "0"
        and len(spec.command) == 2
        and spec.command[0] == sys.executable
        and spec.command[1].endswith(".py")
        and not spec.container
        and not spec.conda_env_path
        and not spec.virtual_env_path
        # variables read at start-up must be there when the interpreter starts
        and all(environ.get(name) == value for name, value in spec.variables.items())
    )


class ForkedJob:
    """The parent's handle: ``pid``, ``poll()`` and ``wait(timeout)`` like subprocess.Popen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        assert self.returncode is not None
        return self.returncode


def start_forked(
    script: str, params_file: str, cwd: str, env: dict[str, str], stdout: int, stderr: int
) -> ForkedJob:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return ForkedJob(pid)
    _run_script_in_child(script, params_file, cwd, env, stdout, stderr)
    raise AssertionError("unreachable")  # pragma: no cover


def _run_script_in_child(
    script: str, params_file: str, cwd: str, env: dict[str, str], stdout: int, stderr: int
) -> None:
    code = 1
    try:
        os.setpgid(0, 0)  # own process group, as the runner gives new interpreters
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        # only stdio, as a new interpreter has: the runner's other files (the job's lock among
        # them) must not stay open in a job that outlives its runner
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [script, params_file]
        sys.path[0] = str(Path(script).resolve().parent)
        import runpy

        runpy.run_path(script, run_name="__main__")
        code = 0
    except SystemExit as exit_request:
        code = _exit_code(exit_request.code)
    except BaseException as error:
        _print_like_an_interpreter(error)
        code = 1
    finally:
        code = _finish_like_an_interpreter(code)
        os._exit(code)


def _print_like_an_interpreter(error: BaseException) -> None:
    """Report an uncaught exception as ``python script.py`` does: through ``sys.excepthook``,
    the traceback starting at the script's own frames (without this module's and runpy's)."""
    tb = error.__traceback__
    while tb is not None and _is_launcher_frame(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    if tb is None and not isinstance(error, SyntaxError):
        tb = error.__traceback__  # raised by the launcher itself: show everything
    error.__traceback__ = tb  # the default hook shows the exception's own traceback
    try:
        sys.excepthook(type(error), error, tb)
    except BaseException:  # a broken hook: Python falls back to the default one, too
        sys.__excepthook__(type(error), error, tb)


def _is_launcher_frame(filename: str) -> bool:
    import runpy

    return filename in (__file__, runpy.__file__) or filename.startswith("<frozen runpy")


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _finish_like_an_interpreter(code: int) -> int:
    """Join non-daemon threads, run atexit handlers and flush, as interpreter shutdown does."""
    try:
        import threading

        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # a broken handler must not hide the job's own exit code
        code = code or 1
    return code
