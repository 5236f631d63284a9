"""Consent to personal data (152-ФЗ, art. 9): which notice is in force, who agreed to it, and the proof.

The notice residents agree to is versioned: each edit of its text or of the policy's address by an
administrator («Настройки компании») is a new ConsentVersion, and a resident's consent counts only for
the newest one, so everyone who agreed to an older text is asked again at their next message
(app.bot.consent). Every answer is a ConsentRecord: agreed, refused, or withdrawn (the resident
deleted their data, app.services.people.forget). Until a resident agrees to the version in force,
the bot stores nothing personal about them.
"""
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import ConsentRecord, ConsentVersion
from app.telegram import resident as resident_voice

AGREED, REFUSED, WITHDRAWN = "agreed", "refused", "withdrawn"
ACTIONS = {AGREED: "согласие", REFUSED: "отказ", WITHDRAWN: "отзыв согласия (данные удалены)"}

_LATEST = select(ConsentVersion).order_by(ConsentVersion.number.desc()).limit(1)


def current_version() -> ConsentVersion:
    """The version in force. Until an administrator saves one or a resident answers, it is the default
    notice, not stored yet (id None): reading never writes (a GET changes nothing)."""
    version = db.session.execute(_LATEST).scalar()
    if version is not None:
        return version
    return ConsentVersion(number=1, notice=resident_voice.CONSENT_DEFAULT_NOTICE, policy_url="")


def stored_version() -> ConsentVersion:
    """The version in force, stored (the first one, the default notice, is written on first need)."""
    version = db.session.execute(_LATEST).scalar()
    if version is not None:
        return version
    try:
        with db.session.begin_nested():  # another process may be writing the first version right now
            db.session.add(ConsentVersion(number=1, notice=resident_voice.CONSENT_DEFAULT_NOTICE, policy_url=""))
    except IntegrityError:
        pass
    return db.session.execute(_LATEST).scalar_one()


def answered(version_id: int) -> ConsentVersion | None:
    """The version in force if a button naming `version_id` answers it, else None (an older text, or
    data we never sent). 0 names the default notice shown before it was stored: it is version 1 (the
    default is always stored as 1, an administrator's text comes after it), so it still answers it
    after the first resident's answer stored it."""
    version = current_version()
    if version_id == (version.id or 0) or (version_id == 0 and version.number == 1):
        return version
    return None


def edit(notice: str, policy_url: str, staff_id: int | None) -> ConsentVersion:
    """Store the notice as the administrator saved it: a new version when the text or the address
    changed (residents are asked again), the same one otherwise."""
    version = stored_version()
    notice, policy_url = notice.strip(), policy_url.strip()
    if (version.notice, version.policy_url) == (notice, policy_url):
        return version
    newer = ConsentVersion(number=version.number + 1, notice=notice, policy_url=policy_url,
                           created_by_id=staff_id)
    db.session.add(newer)
    db.session.flush()
    return newer


def form_data() -> dict:
    """The section's fields as they are now («Настройки компании»)."""
    version = current_version()
    return {"consent_notice": version.notice, "consent_policy_url": version.policy_url}


def save_form(form, staff_id: int) -> None:
    edit(form.consent_notice.data or "", form.consent_policy_url.data or "", staff_id)


def latest_answer(telegram_user_id: int) -> ConsentRecord | None:
    return db.session.execute(
        select(ConsentRecord).where(ConsentRecord.telegram_user_id == telegram_user_id)
        .order_by(ConsentRecord.id.desc()).limit(1)).scalar()


_RECORDS, _VERSIONS = ConsentRecord.__table__, ConsentVersion.__table__
_LAST_WORD = (select(func.max(_RECORDS.c.id)).where(_RECORDS.c.telegram_user_id == bindparam("user"))
              .scalar_subquery())
_IN_FORCE = select(func.max(_VERSIONS.c.id)).scalar_subquery()  # the newest version has the biggest id
_CONSENTED = select(_RECORDS.c.id).where(_RECORDS.c.id == _LAST_WORD, _RECORDS.c.action == AGREED,
                                         _RECORDS.c.version_id == _IN_FORCE)
CONSENTED = _CONSENTED.exists()  # has_consented as an SQL expression of :user (read with the dialog state)


def has_consented(telegram_user_id: int) -> bool:
    """Whether the user's last word is «Согласен» to the version in force. The bot asks it on a bound
    user's every update: one prebuilt statement on the session's connection (after a flush)."""
    db.session.flush()
    return db.session.connection().execute(_CONSENTED, {"user": telegram_user_id}).first() is not None


def record(telegram_user_id: int, version: ConsentVersion, action: str) -> ConsentRecord:
    assert action in ACTIONS
    if version.id is None:  # the default notice, answered for the first time
        version = stored_version()
    row = ConsentRecord(telegram_user_id=telegram_user_id, version_id=version.id, action=action)
    db.session.add(row)
    db.session.flush()
    return row


def records(page: int = 0, per_page: int = 50) -> tuple[list[ConsentRecord], int]:
    """The staff's list, newest first: a page of records and the total."""
    total = db.session.execute(select(func.count()).select_from(ConsentRecord)).scalar_one()
    rows = db.session.execute(
        select(ConsentRecord).order_by(ConsentRecord.created_at.desc(), ConsentRecord.id.desc())
        .offset(page * per_page).limit(per_page)).scalars().all()
    return list(rows), total


def all_records():
    """Every record, oldest first (the xlsx export), streamed."""
    return db.session.execute(
        select(ConsentRecord.created_at, ConsentRecord.telegram_user_id, ConsentRecord.action,
               ConsentVersion.number, ConsentVersion.policy_url)
        .join(ConsentVersion, ConsentVersion.id == ConsentRecord.version_id)
        .order_by(ConsentRecord.created_at, ConsentRecord.id)).all()
