"""Telegram bindings: which (Telegram user, phone) pairs belong to a personal account.

One rule lives here: an account holds at most BINDINGS_PER_ACCOUNT pairs, and
when a new pair would exceed that, the oldest pairs are released.
"""
from flask import current_app
from sqlalchemy import bindparam, delete, select

from app.extensions import db
from app.models import Client, TelegramBinding


def binding_limit() -> int:
    return int(current_app.config["BINDINGS_PER_ACCOUNT"])


def find_client(account: str) -> Client | None:
    return db.session.execute(select(Client).where(Client.account == account)).scalar_one_or_none()


def current_binding(telegram_user_id: int) -> TelegramBinding | None:
    """The user's newest pair: it decides the account and the phone the bot offers."""
    return db.session.execute(
        select(TelegramBinding)
        .where(TelegramBinding.telegram_user_id == telegram_user_id)
        .order_by(TelegramBinding.created_at.desc(), TelegramBinding.id.desc())
        .limit(1)
    ).scalar_one_or_none()


_PAIRS = TelegramBinding.__table__
_ANY_PAIR = select(_PAIRS.c.id).where(_PAIRS.c.telegram_user_id == bindparam("user")).limit(1)
BOUND = _ANY_PAIR.exists()  # is_bound as an SQL expression of :user (the bot reads it with the dialog state)


def is_bound(telegram_user_id: int) -> bool:
    """Whether the user holds any pair: what most of the bot's steps ask, on almost every update, so a
    prebuilt statement on the session's connection (after a flush: a pair just added counts)."""
    db.session.flush()
    return db.session.connection().execute(_ANY_PAIR, {"user": telegram_user_id}).first() is not None


def bind(client: Client, telegram_user_id: int, chat_id: int, phone: str) -> TelegramBinding:
    """Store the pair for the account (idempotent) and release the oldest beyond the limit."""
    existing = db.session.execute(
        select(TelegramBinding).where(
            TelegramBinding.client_id == client.id,
            TelegramBinding.telegram_user_id == telegram_user_id,
            TelegramBinding.phone == phone,
        )
    ).scalar_one_or_none()
    if existing is not None:
        existing.chat_id = chat_id
        return existing
    binding = TelegramBinding(
        client_id=client.id, telegram_user_id=telegram_user_id, chat_id=chat_id, phone=phone
    )
    db.session.add(binding)
    db.session.flush()
    enforce_limit(client.id)
    return binding


def enforce_limit(client_id: int) -> list[int]:
    """Release the oldest pairs of the account beyond the limit; return their ids."""
    ids = db.session.execute(
        select(TelegramBinding.id)
        .where(TelegramBinding.client_id == client_id)
        .order_by(TelegramBinding.created_at.desc(), TelegramBinding.id.desc())
    ).scalars().all()
    released = list(ids[binding_limit():])
    if released:
        db.session.execute(delete(TelegramBinding).where(TelegramBinding.id.in_(released)))
    return released


def replace_phone(binding: TelegramBinding, new_phone: str) -> TelegramBinding:
    """The resident says the old number is gone: the same pair now holds the new number."""
    clash = db.session.execute(
        select(TelegramBinding).where(
            TelegramBinding.client_id == binding.client_id,
            TelegramBinding.telegram_user_id == binding.telegram_user_id,
            TelegramBinding.phone == new_phone,
            TelegramBinding.id != binding.id,
        )
    ).scalar_one_or_none()
    if clash is not None:  # the new number is already a pair: just drop the old one
        db.session.delete(binding)
        return clash
    binding.phone = new_phone
    return binding


def accounts(telegram_user_id: int) -> list[TelegramBinding]:
    """The user's newest pair on each account they hold, oldest account first (a household's flats)."""
    pairs = db.session.execute(
        select(TelegramBinding).where(TelegramBinding.telegram_user_id == telegram_user_id)
        .order_by(TelegramBinding.created_at.desc(), TelegramBinding.id.desc())).scalars().all()
    newest: dict[int, TelegramBinding] = {}
    for pair in pairs:
        newest.setdefault(pair.client_id, pair)
    return sorted(newest.values(), key=lambda pair: (pair.client.account, pair.client_id))


_PAIR_ON_ACCOUNT = (  # built once: the filing dialog asks it at most of its steps
    select(TelegramBinding)
    .where(TelegramBinding.telegram_user_id == bindparam("user"), TelegramBinding.client_id == bindparam("client"))
    .order_by(TelegramBinding.created_at.desc(), TelegramBinding.id.desc()).limit(1))


def binding_for(telegram_user_id: int, client_id) -> TelegramBinding | None:
    """The user's newest pair on this account (its phone is the one the bot offers), or None."""
    try:
        client_id = int(client_id)
    except (TypeError, ValueError):
        return None
    return db.session.execute(_PAIR_ON_ACCOUNT, {"user": telegram_user_id, "client": client_id}).scalar_one_or_none()


def unbind(telegram_user_id: int, client_id: int) -> int:
    """Release every pair of the user on the account; how many there were."""
    return db.session.execute(delete(TelegramBinding).where(
        TelegramBinding.telegram_user_id == telegram_user_id, TelegramBinding.client_id == client_id)).rowcount


def revoke(binding_id: int) -> None:
    db.session.execute(delete(TelegramBinding).where(TelegramBinding.id == binding_id))
