"""generate_report for hp_optimization: ``result.pdf`` per iteration or when finished.

Reports during the run are drawn in a background process, so drawing never delays the next job;
a request while one is being drawn is merged into one more report after it. The PDF is drawn into
a temporary file and renamed, so ``result.pdf`` is always complete. The final report is drawn
before the command returns.

``python -m cluster_utils.hpo.report EXPERIMENT_DIR OUTPUT`` draws one report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cluster_utils.experiment.layout import ExperimentLayout
from cluster_utils.report import has_results, nothing_to_report


def report_file(layout: ExperimentLayout) -> Path:
    return layout.report_pdf("hp_optimization")


def _partial_report(layout: ExperimentLayout) -> Path:
    return layout.internal / f"partial_{report_file(layout).name}"


def _report_log(layout: ExperimentLayout) -> Path:
    return layout.internal / "hpo_report.log"


class BackgroundReports:
    def __init__(self, layout: ExperimentLayout) -> None:
        self.layout = layout
        self._process: subprocess.Popen[bytes] | None = None
        #: what the requested / the drawing / the last drawn report shows (number of results)
        self._requested: int | None = None
        self._drawing: int | None = None
        self._drawn: int | None = None

    def request(self, version: int) -> None:
        """Ask for a report of the current files; ``version`` tells reports apart. Without any
        result there is nothing to report (no report is ever drawn of no results)."""
        if has_results(self.layout.root):
            self._requested = version
        self.poll()

    def poll(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                return
            self._finish_process()
        if self._requested is not None:
            self._start(self._requested)
            self._requested = None

    def _start(self, version: int) -> None:
        self._drawing = version
        with open(_report_log(self.layout), "ab") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cluster_utils.hpo.report",
                    str(self.layout.root),
                    str(_partial_report(self.layout)),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def _finish_process(self) -> None:
        assert self._process is not None
        if self._process.returncode == 0 and _partial_report(self.layout).is_file():
            os.replace(_partial_report(self.layout), report_file(self.layout))
            self._drawn = self._drawing
        self._process = None
        self._drawing = None

    def finish(self, version: int | None) -> bool:
        """Wait for a report being drawn; then draw the final report of ``version`` unless it is
        already drawn (None: no final report). Whether it worked."""
        if self._process is not None:
            self._process.wait()
            self._finish_process()
        self._requested = None
        if version is None or (self._drawn == version and report_file(self.layout).is_file()):
            return True
        if not has_results(self.layout.root):
            print(f"cluster_utils: {nothing_to_report(self.layout.root)}", file=sys.stderr)
            return True
        self._start(version)
        assert self._process is not None
        self._process.wait()
        ok = self._process.returncode == 0
        self._finish_process()
        if not ok:
            print(
                f"cluster_utils: the report could not be drawn; see {_report_log(self.layout)}",
                file=sys.stderr,
            )
        return ok

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait()
        self._process = None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(
            "usage: python -m cluster_utils.hpo.report EXPERIMENT_DIR OUTPUT",
            file=sys.stderr,
        )
        return 2
    if not has_results(args[0]):
        print(nothing_to_report(args[0]), file=sys.stderr)
        return 1
    from cluster_utils.report import load_experiment, report_from

    report_from(load_experiment(args[0]), args[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
