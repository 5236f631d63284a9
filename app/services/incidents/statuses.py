"""Incident statuses: which moves are allowed, and where each status takes the incident's open requests.

The request side of every move still follows app.services.requests.statuses: a request walks the
shortest allowed path to its target (new → assigned → in progress → done), step by step through
app.services.requests.lifecycle.
"""
from collections import deque

from app.models.incidents import IncidentStatus
from app.services.requests import statuses as request_statuses
from app.services.requests.statuses import Status

TRANSITIONS: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    IncidentStatus.OPEN: (IncidentStatus.FIXING, IncidentStatus.CLOSED),
    IncidentStatus.FIXING: (IncidentStatus.FIXED, IncidentStatus.OPEN),
    IncidentStatus.FIXED: (IncidentStatus.CLOSED, IncidentStatus.FIXING),
    IncidentStatus.CLOSED: (),
}

# The status an incident's open requests are brought to. «открыта» assigns them (once the incident has an
# executor); «устранена» makes them done, which asks each resident «Проблема решена?».
REQUEST_TARGET: dict[IncidentStatus, Status] = {
    IncidentStatus.OPEN: Status.ASSIGNED,
    IncidentStatus.FIXING: Status.IN_PROGRESS,
    IncidentStatus.FIXED: Status.DONE,
    IncidentStatus.CLOSED: Status.CLOSED,
}

# What the bot tells the next resident about, and what a new request may join from the bot.
KNOWN = (IncidentStatus.OPEN, IncidentStatus.FIXING)
# What requests may be linked to (a closed incident is history).
LINKABLE = (IncidentStatus.OPEN, IncidentStatus.FIXING, IncidentStatus.FIXED)

CHOICES = [(s.value, s.label) for s in IncidentStatus]


def can_move(current: str, target: str) -> bool:
    return IncidentStatus(target) in TRANSITIONS[IncidentStatus(current)]


def allowed_targets(current: str) -> tuple[IncidentStatus, ...]:
    return TRANSITIONS[IncidentStatus(current)]


def label(value: str) -> str:
    try:
        return IncidentStatus(value).label
    except ValueError:
        return value


def request_path(current: str, target: Status) -> list[Status]:
    """The statuses a request passes from `current` to `target` along allowed moves (not through
    «в архиве»); [] when it is there already or cannot get there."""
    start = Status(current)
    previous: dict[Status, Status | None] = {start: None}
    todo = deque([start])
    while todo:
        status = todo.popleft()
        if status == target:
            path = []
            while status != start:
                path.append(status)
                status = previous[status]
            return path[::-1]
        for following in request_statuses.TRANSITIONS[status]:
            if following not in previous and following != Status.ARCHIVED:
                previous[following] = status
                todo.append(following)
    return []
