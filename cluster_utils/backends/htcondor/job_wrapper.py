"""The HTCondor job's command (wraps the plugin's sub-run for exit_for_resume):
``python -m cluster_utils.backends.htcondor.job_wrapper -m snakemake ...``.

Our executor puts :data:`~.resume.WRAPPER_ARGUMENTS` in front of the plugin's ``-m snakemake ...``
arguments. The wrapper runs that sub-run with :data:`~.resume.RESUME_FILE_ENV` pointing at a fresh
file in the job's scratch directory. If the job asked to be resumed (:func:`.resume.request_resume`
created the file), it exits with :data:`~.resume.RESUME_EXIT_CODE` so that
:data:`~.resume.RESUME_POLICY` holds and releases the job; otherwise it exits like the sub-run (a
sub-run exit code equal to the resume code becomes 1, so that a plain failure is never mistaken for
a resume request).

The package's ``__init__`` must not import this module: ``python -m`` would then find it already
imported and warn.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from typing import Any

from .resume import RESUME_EXIT_CODE, RESUME_FILE_ENV, WRAPPER_MODULE

#: Signals the wrapper passes on to the sub-run (HTCondor's soft kill, a vacate, ...).
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2)


def main(argv: list[str] | None = None) -> int:
    """Run ``python ARGV...`` (the sub-run) and return the job's exit code (see the module doc)."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(f"usage: python -m {WRAPPER_MODULE} PYTHON-ARGS...", file=sys.stderr)
        return 2
    base = os.environ.get("_CONDOR_SCRATCH_DIR") or tempfile.gettempdir()
    marker_dir = tempfile.mkdtemp(prefix="cluster-utils-", dir=base)
    marker = os.path.join(marker_dir, "resume-requested")
    try:
        code = _run_forwarding_signals([sys.executable, *args], {RESUME_FILE_ENV: marker})
        resumed = os.path.exists(marker)
    finally:
        shutil.rmtree(marker_dir, ignore_errors=True)
    if resumed:
        print(
            f"cluster_utils: the job asked to be resumed (exit_for_resume); exiting with "
            f"{RESUME_EXIT_CODE} so that HTCondor holds and releases it",
            file=sys.stderr,
            flush=True,
        )
        return RESUME_EXIT_CODE
    if code < 0:  # killed by a signal: die the same way, so that HTCondor sees it
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return 1 if code == RESUME_EXIT_CODE else code


def _run_forwarding_signals(cmd: list[str], extra_env: dict[str, str]) -> int:
    """Run ``cmd`` with ``extra_env`` added, passing :data:`FORWARDED_SIGNALS` on to it."""
    proc = subprocess.Popen(cmd, env=dict(os.environ, **extra_env))

    def forward(signum: int, _frame: Any) -> None:
        proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
    try:
        return proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    raise SystemExit(main())
