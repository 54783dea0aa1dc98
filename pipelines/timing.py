"""Where the time goes: a process-wide, thread-safe tally of seconds per phase (parse, normalise, write, load)."""

import threading
import time
from collections import defaultdict
from contextlib import contextmanager

_lock = threading.Lock()
_seconds = defaultdict(float)


@contextmanager
def timed(phase):
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        with _lock:
            _seconds[phase] += elapsed


def add_seconds(seconds_by_phase):
    """Add time measured elsewhere (a staging worker process reports its own)."""
    with _lock:
        for phase, seconds in seconds_by_phase.items():
            _seconds[phase] += seconds


def totals():
    """Seconds per phase so far (summed over threads, so it can exceed wall time)."""
    with _lock:
        return dict(_seconds)


def reset():
    with _lock:
        _seconds.clear()
