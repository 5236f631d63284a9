"""Request statuses: which moves are allowed, what each move needs, and the journal's status groups.

The enumeration and labels themselves are in app.models.status (the models need them too).
"""
from app.models.status import LABELS, OPEN, Status, label  # noqa: F401 - the statuses' public names

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


# A closed or archived request keeps the executor who did the work.
EXECUTOR_LOCKED = frozenset({Status.CLOSED, Status.ARCHIVED})

# Groups the journal filters by besides single statuses: value -> (label, statuses).
GROUPS: dict[str, tuple[str, tuple[Status, ...]]] = {
    "open": ("Все незакрытые", OPEN),
}


def can_move(current: str, target: str) -> bool:
    return Status(target) in TRANSITIONS[Status(current)]


def allowed_targets(current: str) -> tuple[Status, ...]:
    return TRANSITIONS[Status(current)]


def executor_locked(current: str) -> bool:
    return Status(current) in EXECUTOR_LOCKED


def members(value: str) -> tuple[str, ...]:
    """The statuses a filter value stands for: a group's, or just the one."""
    if value in GROUPS:
        return tuple(s.value for s in GROUPS[value][1])
    return (value,)


CHOICES = [(s.value, s.label) for s in Status]
# The journal's status filter: the groups first, then every status.
FILTER_CHOICES = [(value, text) for value, (text, _) in GROUPS.items()] + CHOICES
