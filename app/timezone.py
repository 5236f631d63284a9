"""The company's local time zone (`TIMEZONE`): every date staff and residents see is in it.

The database keeps UTC; the journal, its date filters' day boundaries, the export, the
request page and the bot all convert through here.
"""
from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

DEFAULT = "Europe/Moscow"


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or a ValueError that tells the operator what to write instead."""
    try:
        return ZoneInfo((name or DEFAULT).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"TIMEZONE={name!r} is not a known time zone: use an IANA name such as "
                         "Europe/Moscow, Europe/Samara or Asia/Yekaterinburg") from None


def local_tz() -> tzinfo:
    return current_app.config["TZ"]


def local_now() -> datetime:
    return datetime.now(local_tz())


def local_midnight(day: date, tz: tzinfo | None = None) -> datetime:
    """The moment the local day begins (a date filter's boundary)."""
    return datetime.combine(day, time.min, tzinfo=tz or local_tz())


def format_local(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    return value.astimezone(local_tz()).strftime(fmt) if value is not None else ""
