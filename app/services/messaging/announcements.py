"""Announcements: what a notice may hold, sending it through the outbox, cancelling it,
its delivery report, and the residents who switched notices off.

A notice is a draft (text, optional photo, audience) until it is sent. Sending queues
one outbox row per chat of its audience (app.services.messaging.audience) at the BULK priority,
all in one INSERT ... SELECT inside the caller's transaction: a notice is queued whole
or not at all, and request messages always go first (app/bot/outbox.py). Its report is
what became of those rows.
"""
import secrets
from dataclasses import dataclass, field
from itertools import takewhile

from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import Announcement, AnnouncementOptOut, Client, Notification, TelegramBinding, utcnow
from app.models.reference import format_address
from app.services.messaging import audience as audiences
from app.services.messaging import outbox
from app.services import storage
from app.telegram import photos
from app.telegram.limits import MESSAGE_TEXT_MAX, PHOTO_CAPTION_MAX

KIND = "announcement"  # Notification.kind of a notice's rows
PHOTO_DIR = "announcements"  # the photos' names in the file store

DRAFT, SENDING, DONE, CANCELLED = "draft", "sending", "done", "cancelled"
STATES = {DRAFT: "черновик", SENDING: "отправляется", DONE: "отправлено", CANCELLED: "остановлено"}


class AnnouncementError(Exception):
    """Why a notice cannot be saved or sent, in Russian for staff."""


# --- what a notice may hold ---

def check_text(text: str, with_photo: bool) -> str:
    """The text as it will be sent, or AnnouncementError: Telegram shows at most 4 096
    characters in a message and 1 024 under a photo."""
    text = (text or "").strip()
    if not text:
        raise AnnouncementError("Напишите текст объявления.")
    if with_photo and len(text) > PHOTO_CAPTION_MAX:
        raise AnnouncementError(
            f"С фото текст — не длиннее {PHOTO_CAPTION_MAX} символов (сейчас {len(text)}): так Telegram "
            "ограничивает подпись к фото. Сократите текст или уберите фото.")
    if len(text) > MESSAGE_TEXT_MAX:
        raise AnnouncementError(
            f"Текст длиннее {MESSAGE_TEXT_MAX} символов (сейчас {len(text)}) — Telegram такое сообщение "
            "не примет. Сократите его.")
    return text


def check_photo(data: bytes) -> str:
    """The file extension of a photo Telegram will accept (app.telegram.photos), or AnnouncementError."""
    try:
        return photos.check_photo(data)
    except photos.BadPhoto as error:
        raise AnnouncementError(str(error)) from None


def store_photo(data: bytes) -> str:
    """Check the photo and keep it in the file store (the caller commits); returns its reference."""
    ext = check_photo(data)
    return storage.save(f"{PHOTO_DIR}/{secrets.token_hex(12)}{ext}", data)


def has_photo(ref: str) -> bool:
    """The photo is still in the file store."""
    return bool(ref) and storage.exists(ref)


def delete_photo(ref: str) -> None:
    """Forget the photo (the caller commits)."""
    if ref:
        storage.delete_file(ref)


# --- sending ---

def audience_of(announcement: Announcement) -> audiences.Audience:
    return audiences.Audience.from_json(announcement.audience)


def send(announcement: Announcement, user, expected: int) -> int:
    """Queue the notice to its audience (the caller commits; on AnnouncementError it rolls back).

    `expected` is the number of recipients the sender was shown: if the audience changed since
    (a resident bound or switched notices off), nothing is sent and the new count is given.
    A second click, or a colleague sending the same draft, finds it already sent.
    """
    claimed = db.session.execute(
        update(Announcement).where(Announcement.id == announcement.id, Announcement.sent_at.is_(None))
        .values(sent_at=utcnow(), sent_by_id=user.id)).rowcount  # also takes SQLite's write lock first
    if not claimed:
        raise AnnouncementError("Это объявление уже отправлено.")
    if announcement.photo and not has_photo(announcement.photo):
        raise AnnouncementError("Файл фото не найден на сервере. Прикрепите фото заново.")
    queued = outbox.queue_bulk(audiences.chats(audience_of(announcement)), announcement.text,
                               kind=KIND, priority=outbox.BULK, photo=announcement.photo,
                               announcement_id=announcement.id)
    if not queued:
        raise AnnouncementError("По выбранным адресам нет жителей, подключённых к Telegram-боту: "
                                "отправлять некому. Ничего не отправлено.")
    if queued != expected:
        raise AnnouncementError(f"Пока вы проверяли объявление, число получателей изменилось: было {expected}, "
                                f"сейчас {queued}. Ничего не отправлено — проверьте и отправьте снова.")
    db.session.refresh(announcement)
    announcement.recipients = queued
    return queued


@dataclass(frozen=True)
class Stopped:
    cancelled: int  # messages that will not be sent
    in_flight: int  # being handed to Telegram at that moment: they still arrive (and are counted)


def cancel(announcement: Announcement, user) -> Stopped:
    """Stop sending: the notice's messages still waiting are cancelled; the sender claims each row
    right before its send (app/bot/outbox.py), so none of them goes out after this commits. A
    message already on its way to Telegram still arrives and is counted."""
    cancelled = outbox.cancel(Notification.announcement_id == announcement.id)
    in_flight = db.session.execute(
        select(func.count()).where(Notification.announcement_id == announcement.id,
                                   Notification.status == outbox.SENDING)).scalar()
    if cancelled or in_flight:  # the sender does not retry an in-flight message of a stopped notice
        announcement.cancelled_at = utcnow()
        announcement.cancelled_by_id = user.id
    return Stopped(cancelled, in_flight)


def delete_draft(announcement: Announcement) -> None:
    if not announcement.is_draft:
        raise AnnouncementError("Отправленное объявление остаётся в истории; удалить можно только черновик.")
    photo = announcement.photo
    db.session.delete(announcement)
    db.session.flush()
    delete_photo(photo)


# --- the report ---

@dataclass
class Report:
    total: int = 0
    delivered: int = 0
    blocked: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # other failures by outbox.FAILURES key
    cancelled: int = 0
    pending: int = 0

    @property
    def finished(self) -> int:
        return self.total - self.pending

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    def failures(self) -> list[tuple[str, int]]:
        """(why, how many) of the failures other than a blocked bot, in words."""
        order = list(outbox.FAILURES)
        keys = sorted(self.failed, key=lambda key: order.index(key) if key in order else len(order))
        return [(outbox.FAILURES.get(key, key or "ошибка"), self.failed[key]) for key in keys]


def reports(announcement_ids) -> dict[int, Report]:
    """What became of each notice's messages, counted by the database in one query."""
    ids = list(announcement_ids)
    found = {i: Report() for i in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(Notification.announcement_id, Notification.status, Notification.failure, func.count())
        .where(Notification.announcement_id.in_(ids))
        .group_by(Notification.announcement_id, Notification.status, Notification.failure))
    for announcement_id, status, failure, n in rows:
        report = found[announcement_id]
        report.total += n
        if status == outbox.SENT:
            report.delivered += n
        elif status in outbox.WAITING:
            report.pending += n
        elif status == outbox.CANCELLED:
            report.cancelled += n
        elif failure == "blocked":
            report.blocked += n
        else:
            report.failed[failure] = report.failed.get(failure, 0) + n
    return found


def report(announcement: Announcement) -> Report:
    return reports([announcement.id])[announcement.id]


CANCELLED_REASON = "отправка остановлена"
UNBOUND = "чат больше не привязан к лицевому счёту"


@dataclass(frozen=True)
class Unreached:
    """A resident the notice did not reach: one per account bound to the chat (a chat bound to
    several accounts at the notice's addresses gives each of them), so the office can phone them."""

    name: str
    account: str
    address: str
    phone: str    # the phone the resident confirmed in the bot, else the client's
    reason: str


def unreached(announcement: Announcement) -> list[Unreached]:
    """Who did not receive the notice and why (blocked the bot, chat gone, refused, Telegram kept
    failing, cancelled), by address. The accounts are those bound to each chat now, at the notice's
    addresses (any of the chat's, if it has none there any more)."""
    here = audiences.at_addresses(audience_of(announcement))
    rows = db.session.execute(
        select(Notification.chat_id, Notification.status, Notification.failure, Client.account, Client.full_name,
               Client.city, Client.street, Client.house, Client.house_letter, Client.apartment, Client.phone,
               TelegramBinding.phone.label("bot_phone"), here.label("here"))
        .outerjoin(TelegramBinding, TelegramBinding.chat_id == Notification.chat_id)
        .outerjoin(Client, Client.id == TelegramBinding.client_id)
        .where(Notification.announcement_id == announcement.id,
               Notification.status.in_((outbox.FAILED, outbox.CANCELLED)))
        .order_by(Notification.chat_id, TelegramBinding.id)).all()
    by_chat: dict[int, list] = {}
    for row in rows:
        by_chat.setdefault(row.chat_id, []).append(row)
    found = []  # (sort key, entry): by address, the chats no longer bound last
    for chat_rows in by_chat.values():
        first = chat_rows[0]
        reason = (CANCELLED_REASON if first.status == outbox.CANCELLED
                  else outbox.FAILURES.get(first.failure, first.failure or "ошибка"))
        bound = [row for row in chat_rows if row.account is not None]
        if not bound:
            found.append(((1,), Unreached("—", "", "", "", f"{reason} ({UNBOUND})")))
            continue
        accounts = set()
        for row in [row for row in bound if row.here] or bound:
            if row.account not in accounts:  # not twice when bound again with another phone
                accounts.add(row.account)
                address = format_address(row.city, row.street, row.house, row.house_letter, row.apartment)
                key = (0, row.city, row.street, _number_key(row.house + row.house_letter),
                       _number_key(row.apartment), row.full_name)
                found.append((key, Unreached(row.full_name, row.account, address, row.bot_phone or row.phone or "",
                                             reason)))
    return [entry for _, entry in sorted(found, key=lambda pair: pair[0])]


def _number_key(text: str) -> tuple:
    """Houses and flats in their order: 2 < 10 < 10А."""
    digits = "".join(takewhile(str.isdigit, text))
    return (int(digits) if digits else float("inf"), text)


def state(announcement: Announcement, report: Report) -> str:
    if announcement.is_draft:
        return DRAFT
    if report.pending:
        return SENDING
    return CANCELLED if announcement.cancelled_at else DONE


# --- residents' choice, made in the bot ---

def wants_announcements(telegram_user_id: int) -> bool:
    return db.session.get(AnnouncementOptOut, telegram_user_id) is None


def set_wants_announcements(telegram_user_id: int, wanted: bool) -> None:
    """Switch the resident's announcements on or off (request messages are not affected)."""
    if wanted:
        db.session.execute(delete(AnnouncementOptOut).where(AnnouncementOptOut.telegram_user_id == telegram_user_id))
    elif wants_announcements(telegram_user_id):
        db.session.add(AnnouncementOptOut(telegram_user_id=telegram_user_id))
