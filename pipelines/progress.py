"""Progress of a long extraction, per region (pages, instances): to the run's log or one line on stderr."""

import sys
import threading
import time

import dagster as dg
from pydantic import Field


class Progress:
    """The `progress` callback of `extract_run`: keeps per-region counts, emits them at most every `interval_s`.

    Regions are read in parallel threads, so updates take a lock; `emit(text, final)` does the writing.
    """

    def __init__(self, emit, interval_s=1.0, clock=time.monotonic):
        self.emit, self.interval_s, self.clock = emit, interval_s, clock
        self.regions = {}
        self._last = None
        self._lock = threading.Lock()

    def __call__(self, account, region, stats):
        with self._lock:
            self.regions[(account, region)] = (stats.pages, stats.instances)
            now = self.clock()
            if self._last is not None and now - self._last < self.interval_s:
                return
            self._last = now
            self.emit(self.line(), False)

    def finish(self):
        with self._lock:
            if self.regions:
                self.emit(self.line(final=True), True)

    def line(self, final=False):
        """While running: pages read per region, and instances staged so far (staging counts them a batch of
        ~5,000 at a time, so that total lags the pages). The final line: pages and instances per region."""
        pages = sum(p for p, _ in self.regions.values())
        instances = sum(n for _, n in self.regions.values())
        regions = f"{len(self.regions)} region{'' if len(self.regions) == 1 else 's'}"
        if final:
            parts = [f"{region} {p}p/{n}" for (_, region), (p, n) in sorted(self.regions.items())]
            return f"extracting: {regions}, {pages} pages, {instances} instances ({', '.join(parts)})"
        parts = [f"{region} {p}p" for (_, region), (p, _) in sorted(self.regions.items())]
        return (f"extracting: {regions}, {pages} pages read, {instances} instances staged "
                f"({', '.join(parts)})")


class StderrLine:
    """Writes progress to a terminal as one line rewritten in place; elsewhere (logs, CI) one line each time."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def __call__(self, text, final):
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


class ProgressResource(dg.ConfigurableResource):
    """Where extraction progress goes: the run's log in Dagster, a stderr line in the CLI."""

    stderr: bool = Field(default=False, description="Write progress to stderr instead of the run's log.")
    interval_s: float = Field(default=5.0, description="Seconds between two progress updates.")

    def reporter(self, log):
        emit = StderrLine() if self.stderr else (lambda text, _final: log.info(text))
        return Progress(emit, self.interval_s)
