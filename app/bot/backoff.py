"""Waiting between retries, for every retry loop of the worker (Telegram and the database).

    backoff = Backoff(1.0, cap=30.0)
    while True:
        try:
            ...
            backoff.reset()
        except SomeError:
            log.warning("...; retrying in %.0f s", backoff.delay)
            if not backoff.wait(stop):
                return  # the worker is stopping
"""
import threading


class Backoff:
    """Delays of `initial`, then `factor` times longer each failure, at most `cap` seconds."""

    def __init__(self, initial: float, factor: float = 2.0, cap: float = 30.0):
        self.initial, self.factor, self.cap = initial, factor, cap
        self.delay = initial  # the next wait

    def wait(self, stop: threading.Event, seconds: float | None = None) -> bool:
        """Sleep the current delay, or `seconds` (a 429's retry_after), and lengthen the next one.

        Returns False when `stop` is set (at once, or while waiting): the caller gives up.
        """
        waited = self.delay if seconds is None else seconds
        self.delay = min(self.delay * self.factor, self.cap)
        return not stop.wait(waited)

    def reset(self) -> None:
        """After a success: the next failure waits `initial` again."""
        self.delay = self.initial
