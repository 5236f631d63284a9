"""Identification: a Telegram user proves a personal account (ЛС) and gives a phone.

State table:
    state          expected input                                   -> next state
    none           «Идентификация» (unknown user, not throttled)    -> Ident:account
    Ident:account  digits of a known ЛС                             -> Ident:phone
                   digits of an unknown ЛС (a counted failure)      -> Ident:account; none once throttled
                   letters, emoji, a sticker, anything else         -> Ident:account (a hint)
    Ident:phone    the user's own contact, or a typed valid phone   -> none: pair stored, main menu
                   someone else's contact, not a phone, other       -> Ident:phone (a hint)

ЛС numbers are printed on bills, so wrong ЛС attempts are throttled per
Telegram user (IDENT_MAX_ATTEMPTS per IDENT_WINDOW_SECONDS).
"""
import math

from flask import current_app
from telebot.states import State, StatesGroup

from app.bot.dialog import REPROMPTS, current
from app.bot.routing import ANY_STATE, ANYTHING, CONTACT, TEXT, Step, label
from app.services.people import bindings
from app.services.people import throttle
from app.services.people.clients import InvalidAccount, max_length, normalise_account
from app.services.people.phones import InvalidPhone, display_phone, normalise_phone
from app.telegram import resident

THROTTLE_SCOPE = "bot_ident"


class Ident(StatesGroup):
    account = State()
    phone = State()


def _throttled(turn) -> bool:
    cfg = current_app.config
    return throttle.is_throttled(THROTTLE_SCOPE, str(turn.user_id),
                                 cfg["IDENT_MAX_ATTEMPTS"], cfg["IDENT_WINDOW_SECONDS"])


def _refuse_throttled(turn) -> None:
    turn.finish()
    minutes = math.ceil(current_app.config["IDENT_WINDOW_SECONDS"] / 60)
    turn.send(resident.THROTTLED.format(minutes=minutes), resident.identify_only())


def ask_account(turn) -> None:
    turn.send(resident.ASK_ACCOUNT, resident.cancel_only())


def ask_phone(turn) -> None:
    turn.send(resident.ASK_PHONE.format(button=resident.BTN_SHARE_PHONE), resident.share_phone())


REPROMPTS[Ident.account.name] = ask_account
REPROMPTS[Ident.phone.name] = ask_phone


def begin(message) -> None:
    turn = current()
    binding = bindings.current_binding(turn.user_id)
    if binding is not None:
        already = resident.ALREADY_IDENTIFIED.format(account=binding.client.account)
        if turn.state in REPROMPTS:  # mid-dialog: keep it going
            turn.send(already)
            turn.reprompt()
        else:
            turn.finish()
            turn.send(already, resident.main_menu())
    elif _throttled(turn):
        _refuse_throttled(turn)
    else:
        turn.start(Ident.account)
        ask_account(turn)


def on_account(message) -> None:
    turn = current()
    if _throttled(turn):
        _refuse_throttled(turn)
        return
    try:
        account = normalise_account(message.text)
    except InvalidAccount as error:
        turn.send(resident.ACCOUNT_TOO_LONG.format(max=max_length("account")) if error.too_long
                  else resident.ACCOUNT_DIGITS_ONLY)
        return
    if bindings.find_client(account) is None:
        throttle.record_failure(THROTTLE_SCOPE, str(turn.user_id))
        if _throttled(turn):
            _refuse_throttled(turn)
        else:
            turn.send(resident.ACCOUNT_UNKNOWN.format(account=account))
        return
    turn.goto(Ident.phone, account=account)
    ask_phone(turn)


def on_account_not_text(message) -> None:
    current().send(resident.ACCOUNT_NOT_TEXT)


def on_contact(message) -> None:
    turn = current()
    contact = message.contact
    if contact.user_id != turn.user_id:
        turn.send(resident.FOREIGN_CONTACT.format(button=resident.BTN_SHARE_PHONE))
        return
    _bind(turn, contact_phone(contact.phone_number))


def on_phone_text(message) -> None:
    _bind(current(), message.text)


def on_phone_not_text(message) -> None:
    current().send(resident.PHONE_NOT_TEXT.format(button=resident.BTN_SHARE_PHONE))


def contact_phone(raw: str) -> str:
    """Telegram sends a contact's number in international format, sometimes without the plus."""
    raw = (raw or "").strip()
    return "+" + raw if raw.isdigit() else raw


def _bind(turn, raw_phone: str) -> None:
    try:
        phone = normalise_phone(raw_phone)
    except InvalidPhone as exc:
        turn.send(str(exc))
        return
    client = bindings.find_client(turn.data.get("account", ""))
    if client is None:  # removed by an administrator in the meantime
        turn.goto(Ident.account)
        turn.send(resident.ACCOUNT_UNKNOWN.format(account=turn.data.get("account", "")), resident.cancel_only())
        return
    bindings.bind(client, turn.user_id, turn.chat_id, phone)
    throttle.reset(THROTTLE_SCOPE, str(turn.user_id))
    turn.finish()
    turn.send(resident.IDENTIFIED.format(account=client.account, address=client.address or "—",
                                      phone=display_phone(phone)), resident.main_menu())


STARTS = [  # the menu button that begins the dialog, at every step (see bot.handler_table)
    Step(ANY_STATE, label(resident.BTN_IDENTIFY), begin),
]
STEPS = [  # the state table above: at each state, the first row whose input matches handles it
    #    state          expected input  handler
    Step(Ident.account, TEXT,           on_account),
    Step(Ident.account, ANYTHING,       on_account_not_text),
    Step(Ident.phone,   CONTACT,        on_contact),
    Step(Ident.phone,   TEXT,           on_phone_text),
    Step(Ident.phone,   ANYTHING,       on_phone_not_text),
]
