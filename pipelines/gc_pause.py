"""Pause Python's cyclic garbage collector while JSON records are decoded and normalised.

Decoding a page makes hundreds of thousands of small, acyclic dicts and lists; each allocation burst makes
the collector rescan the whole heap, which measured here costs more than the decoding itself (orjson: 13k
instances/s with the collector, 48k/s without). Reference counting still frees everything; the pause is
counted, so overlapping pauses from several extraction threads end only when the last one does.
"""

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def gc_paused():
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
