"""A frozen clock for tests: the request service's time stamps and the SQL's "now" (deadlines.NOW)."""
from datetime import datetime

from app.services.requests import deadlines
from app.services.requests import lifecycle as request_service
class Clock:
    def __init__(self, monkeypatch, now: datetime, *modules):
        """`modules`: more modules whose `utcnow` should read this clock."""
        self.now = now
        for module in (request_service, deadlines, *modules):
            monkeypatch.setattr(module, "utcnow", lambda: self.now)

    def at(self, moment: datetime) -> "Clock":
        self.now = moment
        return self
