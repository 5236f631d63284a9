"""Meters and readings arranged through the services (call inside an app context)."""
from datetime import date

from app.extensions import db
from app.models.meters import SCALE
from app.services import company
from app.services.meters import meters as meter_service
from app.services.meters import readings


def meter(client, resource="cold", serial="X-1", initial=(100,), place="кухня", int_digits=5, frac_digits=3,
          verification_due=None, initial_date=date(2026, 1, 10)):
    data = meter_service.MeterData(resource, serial, place, int_digits, frac_digits, verification_due,
                                   initial_date, tuple(int(v * SCALE) for v in initial))
    obj = meter_service.add(client.id, data)
    db.session.commit()
    return obj


def reading(meter_obj, period: date, *values, source="import", status="accepted"):
    obj = readings.store(meter_obj, period, tuple(int(v * SCALE) for v in values), source=source, status=status)
    db.session.commit()
    return obj


def open_window_today(today: date) -> None:
    """The window set to include `today` (whatever the date the test runs on)."""
    company.put({"meter_window_first": 1, "meter_window_last": 31}, None)
    db.session.commit()


def close_window_today(today: date) -> None:
    first = today.day + 1 if today.day < 28 else 1
    last = first if today.day < 28 else min(today.day - 1, 5)
    company.put({"meter_window_first": first, "meter_window_last": last}, None)
    db.session.commit()
