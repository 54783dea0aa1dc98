"""Progress of a long extraction, per region (pages, instances): to the run's log or one line on stderr."""

import os
import shutil
import sys
import threading
import time

import dagster as dg
from pydantic import Field

from pipelines.render import plural


class Progress:
    """The `progress` callback of `extract_run`: follows each region's live `RegionStats`, emits a line at most
    every `interval_s` when it changed.

    Regions are read in parallel threads, so updates take a lock; `emit(text, final)` does the writing. A ticker
    thread (`tick`) also emits between pages, so a region stuck in retries shows its errors instead of silence.
    Call `finish()` for the last line, or `close()` to stop without one. Progress is a courtesy: when writing it
    fails (a closed pipe), it stops, and the run goes on.
    """

    def __init__(self, emit, interval_s=1.0, clock=time.monotonic, tick=True):
        self.emit, self.interval_s, self.clock, self.tick = emit, interval_s, clock, tick
        self.regions = {}  # (account, region) -> its RegionStats, read live
        self._last, self._last_line = clock(), None  # the first line after `interval_s`: a quick run shows only the last
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None

    def __call__(self, account, region, stats):
        with self._lock:
            self.regions[(account, region)] = stats
            if self.tick and self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
                self._ticker.start()
            self._maybe_emit()

    def _tick(self):
        while not self._stop.wait(self.interval_s):
            with self._lock:
                self._maybe_emit()

    def _maybe_emit(self):
        now = self.clock()
        if now - self._last < self.interval_s:
            return
        line = self.line()
        if line != self._last_line:
            self._last, self._last_line = now, line
            self._write(line, False)

    def _write(self, text, final):
        if self.emit is None:
            return
        try:
            self.emit(text, final)
        except OSError:  # e.g. BrokenPipeError: nobody reads the progress any more
            self.emit = None

    def _stop_ticker(self):
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()

    def close(self):
        """Stop without a last line (an error or an interrupt follows); an open terminal line is ended."""
        self._stop_ticker()
        end = getattr(self.emit, "end", None)
        if end is not None:
            with self._lock:
                try:
                    end()
                except OSError:
                    pass

    def finish(self):
        self._stop_ticker()
        with self._lock:
            if self.regions:
                self._write(self.line(final=True), True)

    def line(self, final=False):
        """While running: pages read per region, and instances staged so far (staging counts them a batch of
        ~5,000 at a time, so that total lags the pages). The final line: pages and instances per region.
        A finished region says `done` (or `failed`, kept on the last line); one whose requests failed (retried or
        not) says how many and the latest error."""
        stats = sorted(self.regions.items())
        pages = sum(s.pages for _, s in stats)
        instances = sum(s.instances for _, s in stats)
        parts = [
            f"{region} {s.pages}p" + (f"/{s.instances}" if final else "")
            + (" failed" if s.outcome == "failed" else " done" if s.outcome and not final else "")
            + (f" ({plural(s.errors, 'failed request')}, last {s.last_error})" if s.errors else "")
            for (_, region), s in stats
        ]
        if final:
            totals = f"{plural(pages, 'page')}, {plural(instances, 'instance')}"
        else:
            totals = f"{plural(pages, 'page')} read, {plural(instances, 'instance')} staged"
        return f"extracting: {plural(len(stats), 'region')}, {totals} ({', '.join(parts)})"


class StderrLine:
    """Writes progress to a terminal as one line rewritten in place; elsewhere (logs, CI) one line each time."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.open = False  # a rewritten line is on the terminal, not ended yet

    def __call__(self, text, final):
        if self.tty:
            if not final:  # a rewritten line must fit the terminal: a wrapped one leaves its upper rows behind
                width = self._columns() - 1
                text = text if len(text) <= width else text[: max(0, width - 1)] + "…"
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
            self.open = not final
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end(self):
        """End the line in place, so what is printed next (an error) starts on a line of its own."""
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False

    def _columns(self):
        try:
            return os.get_terminal_size(self.stream.fileno()).columns  # the terminal this stream writes to
        except (AttributeError, OSError, ValueError):
            return shutil.get_terminal_size().columns


class ProgressResource(dg.ConfigurableResource):
    """Where extraction progress goes: the run's log in Dagster, a stderr line in the CLI."""

    stderr: bool = Field(default=False, description="Write progress to stderr instead of the run's log.")
    interval_s: float = Field(default=5.0, ge=0.1, description="Seconds between two progress updates.")

    def reporter(self, log):
        emit = StderrLine() if self.stderr else (lambda text, _final: log.info(text))
        return Progress(emit, self.interval_s)
