"""Executors' Telegram accounts: one-time invitations, binding, revoking.

Staff create an invitation on the executor's page: a start code valid INVITATION_HOURS,
shown as a link to the bot (t.me/<bot>?start=<code>) and a QR code. The Telegram user who
opens it is bound to the executor (Executor.telegram_*): from then on the bot shows them the
executor's menu and their jobs come to that chat (app.services.requests.executor_jobs). A code works
once; a newer invitation cancels the older one. One Telegram account serves one executor, and
an executor has one account: a bound executor is invited again only through new_phone, which
disconnects the old account (told so) and makes the invitation in one step, so no live code
exists that the executor's page does not show.
"""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models import BotStatus, Executor, ExecutorInvitation, utcnow
from app.services.messaging import outbox
from app.telegram import executor as executor_voice

INVITATION_HOURS = 24
CODE_PREFIX = "inv_"  # a start parameter: Telegram allows A-Z, a-z, 0-9, _ and -, up to 64 characters
CODE_BYTES = 18       # 144 random bits: not guessable

ALREADY_BOUND = "Исполнитель уже подключён к боту: сначала отключите его (или нажмите «Новый телефон»)."


class InvitationError(ValueError):
    """A code that binds nobody (the message, app.telegram.executor's, is shown to the Telegram user as
    is), or an invitation staff cannot make (the message is for them)."""


@dataclass(frozen=True)
class Link:
    """How an invitation reaches the executor: the link (when the bot's username is known) and the code."""

    code: str
    url: str  # "" until the bot worker has started once and recorded its username

    @property
    def command(self) -> str:
        """What to send the bot by hand when no link can be made."""
        return f"/start {self.code}"


def is_code(text: str) -> bool:
    return text.startswith(CODE_PREFIX)


def bot_username() -> str:
    row = db.session.get(BotStatus, 1)
    return row.username if row is not None else ""


def link(invitation: ExecutorInvitation) -> Link:
    username = bot_username()
    return Link(invitation.code, f"https://t.me/{username}?start={invitation.code}" if username else "")


def create_invitation(executor: Executor, staff) -> ExecutorInvitation:
    """A new one-time code for the executor; the older ones stop working (the caller commits).
    Refused for a bound executor: the page shows an invitation only while there is no binding."""
    if not executor.active:
        raise InvitationError("Исполнитель отключён: сначала включите его.")
    if executor.telegram_user_id is not None:
        raise InvitationError(ALREADY_BOUND)
    now = utcnow()
    cancel_invitations(executor, now)
    invitation = ExecutorInvitation(executor_id=executor.id, code=CODE_PREFIX + secrets.token_urlsafe(CODE_BYTES),
                                    created_at=now, created_by_id=getattr(staff, "id", None),
                                    expires_at=now + timedelta(hours=INVITATION_HOURS))
    db.session.add(invitation)
    db.session.flush()
    return invitation


def cancel_invitations(executor: Executor, now=None) -> int:
    """Cancel the executor's invitations not used yet; returns how many."""
    return db.session.execute(
        update(ExecutorInvitation)
        .where(ExecutorInvitation.executor_id == executor.id, ExecutorInvitation.used_at.is_(None),
               ExecutorInvitation.cancelled_at.is_(None))
        .values(cancelled_at=now or utcnow())
    ).rowcount


def open_invitation(executor: Executor) -> ExecutorInvitation | None:
    """The executor's invitation that still works, if any (shown on the page with its QR code)."""
    return db.session.execute(
        select(ExecutorInvitation)
        .where(ExecutorInvitation.executor_id == executor.id, ExecutorInvitation.used_at.is_(None),
               ExecutorInvitation.cancelled_at.is_(None), ExecutorInvitation.expires_at > utcnow())
        .order_by(ExecutorInvitation.id.desc()).limit(1)
    ).scalar_one_or_none()


def redeem(code: str, telegram_user_id: int, chat_id: int, name: str) -> Executor:
    """Bind the Telegram user to the code's executor (the caller commits); InvitationError says why not."""
    invitation = db.session.execute(
        select(ExecutorInvitation).where(ExecutorInvitation.code == code[:64]).with_for_update()
    ).scalar_one_or_none()
    now = utcnow()
    if invitation is None or invitation.cancelled_at is not None:
        raise InvitationError(executor_voice.INVITATION_INVALID)
    executor = invitation.executor
    if invitation.used_at is not None:
        if executor.telegram_user_id == telegram_user_id:
            raise InvitationError(executor_voice.INVITATION_ALREADY_YOU.format(name=executor.full_name))
        raise InvitationError(executor_voice.INVITATION_USED)
    if invitation.expires_at <= now:
        raise InvitationError(executor_voice.INVITATION_EXPIRED)
    if not executor.active:
        raise InvitationError(executor_voice.INVITATION_EXECUTOR_OFF)
    other = bound_executor(telegram_user_id, active_only=False)
    if other is not None and other.id != executor.id:
        raise InvitationError(executor_voice.INVITATION_ACCOUNT_TAKEN.format(name=other.full_name))
    if executor.telegram_user_id == telegram_user_id:
        raise InvitationError(executor_voice.INVITATION_ALREADY_YOU.format(name=executor.full_name))
    if executor.telegram_user_id is not None:  # a code made before the binding (new_phone cancels them)
        raise InvitationError(executor_voice.INVITATION_OTHER_ACCOUNT)
    invitation.used_at, invitation.used_by_telegram_id = now, telegram_user_id
    executor.telegram_user_id, executor.telegram_chat_id = telegram_user_id, chat_id
    executor.telegram_name, executor.telegram_bound_at = name[:200], now
    return executor


def unbind(executor: Executor) -> bool:
    """Staff revoke the executor's Telegram account (the caller commits); it is told so. False if none."""
    if executor.telegram_user_id is None:
        return False
    if executor.telegram_chat_id is not None:
        outbox.queue(executor.telegram_chat_id, executor_voice.UNBOUND_TEXT, kind="executor")
    executor.telegram_user_id = executor.telegram_chat_id = executor.telegram_bound_at = None
    executor.telegram_name = ""
    return True


def new_phone(executor: Executor, staff) -> ExecutorInvitation:
    """«Новый телефон»: the executor's account is disconnected (and told so) and a new invitation made,
    in one step (the caller commits); InvitationError as create_invitation's."""
    if not executor.active:
        raise InvitationError("Исполнитель отключён: сначала включите его.")
    unbind(executor)
    return create_invitation(executor, staff)


_EXECUTORS = Executor.__table__
_BOUND_ID = select(_EXECUTORS.c.id).where(_EXECUTORS.c.telegram_user_id == bindparam("user"),
                                          _EXECUTORS.c.active.is_(True))
BOUND_EXECUTOR_ID = _BOUND_ID.scalar_subquery()  # bound_executor_id as an SQL expression of :user


def bound_executor_id(telegram_user_id: int) -> int | None:
    """bound_executor's id alone. The bot asks it for every update of every user, so it is a prebuilt
    statement on the session's connection: a quarter of the cost of an ORM query."""
    return db.session.connection().execute(_BOUND_ID, {"user": telegram_user_id}).scalar()


def bound_executor(telegram_user_id: int, active_only: bool = True) -> Executor | None:
    """The executor this Telegram user is bound to; a switched-off executor's account acts as nobody's."""
    stmt = select(Executor).where(Executor.telegram_user_id == telegram_user_id)
    if active_only:
        stmt = stmt.where(Executor.active.is_(True))
    return db.session.execute(stmt).scalar_one_or_none()


def was_executor(telegram_user_id: int) -> bool:
    """The Telegram user served an executor (and may no longer: switched off, revoked, replaced)."""
    bound = select(Executor.id).where(Executor.telegram_user_id == telegram_user_id)
    invited = select(ExecutorInvitation.id).where(ExecutorInvitation.used_by_telegram_id == telegram_user_id)
    return db.session.execute(select(bound.exists() | invited.exists())).scalar()


def telegram_name(user) -> str:
    """«Пётр Петров (@petrov)», from a Telegram User."""
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    if user.username:
        name = f"{name} (@{user.username})" if name else f"@{user.username}"
    return name or str(user.id)
