"""The company's settings («Настройки компании»): what each one is called and its default.

Settings are read on every use (a web process or the bot worker sees an edit at once,
whichever machine made it); a key not stored yet has its default. Declare a feature's
settings here, in DEFAULTS, and give them a section of the page (app.admin.company)."""
from sqlalchemy import select

from app.extensions import db
from app.models import CompanySetting, utcnow

DEFAULTS: dict[str, object] = {
    "company_name": "",        # as residents know the company: «УК «Наш дом»»
    "company_phone": "",       # the dispatchers' phone in E.164, for residents who cannot use the bot
    # Meter readings (app.services.meters): the days of the month residents report them, whether the
    # bot reminds them, and the monthly consumption above which a reading is asked about (units).
    "meter_window_first": 15,
    "meter_window_last": 25,
    "meter_reminders": True,
    "meter_caps": {"cold": 30, "hot": 20, "power": 1000, "power2": 1000, "power3": 1000, "heat": 10, "gas": 300},
    # «Возможно, авария»: this many new requests of one category from one house within so many minutes
    # (app.services.incidents.early_warning).
    "incident_warning_requests": 3,
    "incident_warning_minutes": 60,
}


def get(key: str):
    if key not in DEFAULTS:
        raise KeyError(key)
    value = db.session.execute(select(CompanySetting.value).where(CompanySetting.key == key)).scalar()
    return DEFAULTS[key] if value is None else value


def get_all(*keys: str) -> dict:
    """Several settings in one query: {key: value or its default}."""
    unknown = set(keys) - DEFAULTS.keys()
    if unknown:
        raise KeyError(", ".join(sorted(unknown)))
    stored = dict(db.session.execute(
        select(CompanySetting.key, CompanySetting.value).where(CompanySetting.key.in_(keys))).all())
    return {key: stored.get(key, DEFAULTS[key]) for key in keys}


def put(values: dict, staff_id: int | None) -> None:
    """Store settings in the caller's transaction (the caller commits)."""
    for key, value in values.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        row = db.session.get(CompanySetting, key)
        if row is None:
            db.session.add(CompanySetting(key=key, value=value, updated_by_id=staff_id))
        else:
            row.value, row.updated_by_id, row.updated_at = value, staff_id, utcnow()
