"""A household: everyone bound to the same personal account (flat) sees every request of it.

«Мои заявки» of a Telegram user lists the requests of all accounts they hold now, whoever filed
them: the user, another Telegram user bound to the same account, or a dispatcher taking a call.
Writing about a request and answering «Проблема решена?» stay with its author
(app.services.requests.conversation.resident_request). A request phoned in for an account is
linked to the Telegram user who holds that account with the same phone (its author then, for
notifications and answers): when it is filed, or when such a pair is made later.
"""
from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models import Request, TelegramBinding

YOU, OTHER, PHONE = "you", "other", "phone"  # who filed a request, as the resident's card says


def bound_accounts(telegram_user_id: int):
    """The client ids the Telegram user is bound to now (a subquery)."""
    return select(TelegramBinding.client_id).where(TelegramBinding.telegram_user_id == telegram_user_id)


def requests_of(telegram_user_id: int) -> list:
    """Conditions on Request for the user's household: every request of the accounts they hold."""
    return [Request.client_id.in_(bound_accounts(telegram_user_id))]


# Built once: the bot asks it whenever a resident opens or answers about a request.
_HOLDS = select(select(TelegramBinding.id).where(TelegramBinding.telegram_user_id == bindparam("user"),
                                                 TelegramBinding.client_id == bindparam("client")).exists())


def is_household_request(request: Request, telegram_user_id: int) -> bool:
    return request.client_id is not None and bool(db.session.execute(
        _HOLDS, {"user": telegram_user_id, "client": request.client_id}).scalar())


def filed_by(request: Request, telegram_user_id: int) -> str:
    if request.source == "phone":
        return PHONE
    return YOU if request.author_telegram_id == telegram_user_id else OTHER


def link_phoned_in(client_id: int, phone: str, telegram_user_id: int, chat_id: int) -> int:
    """Make the user the author of the account's phoned-in requests with this contact phone that no one
    in Telegram has yet; how many."""
    return db.session.execute(
        update(Request).where(Request.source == "phone", Request.client_id == client_id,
                              Request.contact_phone == phone, Request.author_telegram_id.is_(None))
        .values(author_telegram_id=telegram_user_id, author_chat_id=chat_id)
        .execution_options(synchronize_session=False)).rowcount


def link_new_phoned_in(request: Request) -> None:
    """A request just phoned in: its author is the newest Telegram user holding the account with that phone."""
    if request.client_id is None or not request.contact_phone:
        return
    pair = db.session.execute(
        select(TelegramBinding).where(TelegramBinding.client_id == request.client_id,
                                      TelegramBinding.phone == request.contact_phone)
        .order_by(TelegramBinding.created_at.desc(), TelegramBinding.id.desc()).limit(1)).scalar()
    if pair is not None:
        request.author_telegram_id, request.author_chat_id = pair.telegram_user_id, pair.chat_id
