"""Python's garbage collector held off while one change builds thousands of ORM objects at once (an
incident's move or link: 2 000 requests, their history rows, the outbox rows).

Every object such a change makes stays alive until it commits (the session holds it), so the
collections its allocations trigger only walk live objects again and again: a third of the move's CPU
time (bench/incidents.py). Paused, the collector runs once at its next threshold after the change.
"""
import gc
from contextlib import contextmanager


@contextmanager
def paused():
    """Hold off automatic collections inside the block (nested blocks leave it to the outermost)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
