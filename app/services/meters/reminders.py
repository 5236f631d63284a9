"""Reminders about meter readings, queued through the outbox by the worker's periodic jobs.

- At the window's opening, every resident bound to an account with a meter in use; two days before
  it closes, those of them whose account still misses a reading. Both at the BULK priority (request
  messages always go first), in one INSERT ... SELECT each, once a month (MeterReminderRun), and not
  to residents who switched the reminders off in the bot's «Настройки» (like announcements). A
  window of three days or less gets the second one only.
- Thirty days before a meter's verification date, the residents of its account are told, once per
  date (Meter.verification_noticed).
"""
from datetime import timedelta

from sqlalchemy import Select, and_, delete, exists, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Client, TelegramBinding
from app.models.meters import COUNTED, Meter, MeterReading, MeterReminderOptOut, MeterReminderRun
from app.models.reference import format_address
from app.services import company
from app.services.meters import window
from app.services.messaging import outbox
from app.telegram import meters as voice

OPEN, CLOSING = "open", "closing"
CLOSING_DAYS = 2          # the second reminder: this many days before the last day
VERIFICATION_DAYS = 30    # residents are told this long before a verification date
VERIFICATION_BATCH = 500  # meters per run: a job's transaction stays short
REMINDER_KIND, VERIFICATION_KIND = "meter_reminder", "meter_verification"  # Notification.kind


# --- residents' choice, made in the bot ---

def wants_reminders(telegram_user_id: int) -> bool:
    return db.session.get(MeterReminderOptOut, telegram_user_id) is None


def set_wants_reminders(telegram_user_id: int, wanted: bool) -> None:
    if wanted:
        db.session.execute(delete(MeterReminderOptOut).where(MeterReminderOptOut.telegram_user_id == telegram_user_id))
    elif wants_reminders(telegram_user_id):
        db.session.add(MeterReminderOptOut(telegram_user_id=telegram_user_id))


# --- the monthly reminders ---

def chats(period, missing_only: bool) -> Select:
    """Distinct chats bound to accounts with a meter in use (`missing_only`: one without a reading this
    month), of residents who did not switch the reminders off."""
    meter = select(Meter.id).where(Meter.client_id == TelegramBinding.client_id, Meter.active)
    if missing_only:
        meter = meter.where(~exists().where(
            MeterReading.meter_id == Meter.id, MeterReading.period == period, MeterReading.live,
            MeterReading.status.in_(COUNTED)))
    opted_out = exists().where(MeterReminderOptOut.telegram_user_id == TelegramBinding.telegram_user_id)
    return select(TelegramBinding.chat_id).where(meter.exists(), ~opted_out).distinct()


def due(today, w: window.Window) -> str | None:
    """Which reminder the day calls for (if it has not gone yet this month)."""
    if not w.is_open(today):
        return None
    left = (w.closes(today) - today).days
    return CLOSING if left <= CLOSING_DAYS else OPEN


def send_reminders(bot=None) -> int:
    """Queue the reminder the day calls for, once a month; returns the messages queued."""
    if not company.get("meter_reminders"):
        return 0
    today, w = window.today(), window.current()
    kind = due(today, w)
    if kind is None:
        return 0
    period = window.period_of(today)
    if db.session.get(MeterReminderRun, (period, kind)) is not None:
        return 0
    closes = w.closes(today)
    text = voice.open_reminder(closes) if kind == OPEN else voice.closing_reminder(closes)
    run = MeterReminderRun(period=period, kind=kind)
    db.session.add(run)
    try:
        db.session.flush()  # claims the month's reminder first: a second worker finds it taken
    except IntegrityError:
        db.session.rollback()
        return 0
    run.recipients = outbox.queue_bulk(chats(period, missing_only=kind == CLOSING), text, kind=REMINDER_KIND,
                                       priority=outbox.BULK)
    return run.recipients


# --- verification dates ---

def notify_verification(bot=None) -> int:
    """Tell the residents of accounts whose meter's verification date is within 30 days; returns the
    messages queued."""
    today = window.today()
    found = db.session.execute(
        select(Meter, Client).join(Client, Client.id == Meter.client_id)
        .where(Meter.active, Meter.verification_due.is_not(None), Meter.verification_due >= today,
               Meter.verification_due <= today + timedelta(days=VERIFICATION_DAYS),
               (Meter.verification_noticed.is_(None)) | (Meter.verification_noticed != Meter.verification_due))
        .order_by(Meter.verification_due, Meter.id).limit(VERIFICATION_BATCH)).all()
    queued = 0
    for meter, client in found:
        address = format_address(client.city, client.street, client.house, client.house_letter, client.apartment)
        text = voice.verification_notice(meter, address, meter.verification_due)
        chat_ids = db.session.execute(select(TelegramBinding.chat_id).distinct().where(and_(
            TelegramBinding.client_id == client.id))).scalars().all()
        for chat_id in chat_ids:
            queued += len(outbox.queue(chat_id, text, kind=VERIFICATION_KIND, priority=outbox.BULK))
        meter.verification_noticed = meter.verification_due
    return queued
