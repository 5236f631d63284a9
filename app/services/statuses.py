"""Request statuses: the one place that names them and says which moves are allowed."""
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Status.NEW: "новая",
    Status.ASSIGNED: "назначена исполнителю",
    Status.IN_PROGRESS: "в работе",
    Status.DONE: "выполнена",
    Status.CLOSED: "закрыта",
    Status.ARCHIVED: "в архиве",
}

# status -> statuses it may move to. Moving back is allowed where a dispatcher
# needs it: an executor returns a job, a resident says the leak is still there.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.NEW: (Status.ASSIGNED, Status.CLOSED),
    Status.ASSIGNED: (Status.IN_PROGRESS, Status.NEW, Status.CLOSED),
    Status.IN_PROGRESS: (Status.DONE, Status.ASSIGNED),
    Status.DONE: (Status.CLOSED, Status.IN_PROGRESS),
    Status.CLOSED: (Status.ARCHIVED, Status.IN_PROGRESS),
    Status.ARCHIVED: (),
}

# Statuses that need an executor on the request.
NEEDS_EXECUTOR = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE})

# Timestamp column set on the request when it enters a status.
TIMESTAMP_FIELD = {
    Status.ASSIGNED: "assigned_at",
    Status.IN_PROGRESS: "in_progress_at",
    Status.DONE: "done_at",
    Status.CLOSED: "closed_at",
    Status.ARCHIVED: "archived_at",
}


# Groups the journal filters by besides single statuses: value -> (label, statuses).
# "Open" is everything the company still owes the resident something on.
GROUPS: dict[str, tuple[str, tuple[Status, ...]]] = {
    "open": ("Все незакрытые", (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE)),
}


def can_move(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def allowed_targets(current: str) -> tuple[Status, ...]:
    return TRANSITIONS[Status(current)]


def label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


def members(value: str) -> tuple[str, ...]:
    """The statuses a filter value stands for: a group's, or just the one."""
    if value in GROUPS:
        return tuple(s.value for s in GROUPS[value][1])
    return (value,)


CHOICES = [(s.value, s.label) for s in Status]
# The journal's status filter: the groups first, then every status.
FILTER_CHOICES = [(value, text) for value, (text, _) in GROUPS.items()] + CHOICES
