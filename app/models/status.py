"""Request statuses: the enumeration the `requests.status` column holds, with Russian labels.

It lives beside the models because the Request model needs it; the rules about moving
between statuses are in app.services.requests.statuses.
"""
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

# "Open" is everything the company still owes the resident something on: a done request
# stays open until it is closed (the resident may still say the leak is back).
OPEN: tuple[Status, ...] = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.DONE)


def label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value
