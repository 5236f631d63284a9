"""Identification: a Telegram user proves a personal account (ЛС) and gives a phone.

State table:
    state          expected input                                   -> next state
    none           «Идентификация» (unknown user, not throttled)    -> Ident:account; first the consent
                                                                       notice (app.bot.consent) until agreed
    any state      «Добавить лицевой счёт» (known user)             -> Ident:account (another flat)
    Ident:account  digits of a known ЛС                             -> Ident:phone
                   an ЛС the user already holds                     -> Ident:account (said so)
                   digits of an unknown ЛС (a counted failure)      -> Ident:account; none once throttled
                   letters, emoji, a sticker, anything else         -> Ident:account (a hint)
    Ident:phone    the user's own contact, or a typed valid phone   -> none: pair stored, main menu (the
                                                                       account's phoned-in requests with that
                                                                       phone are linked to the user)
                   someone else's contact, not a phone, other       -> Ident:phone (a hint)

ЛС numbers are printed on bills, so wrong ЛС attempts are throttled per
Telegram user (IDENT_MAX_ATTEMPTS per IDENT_WINDOW_SECONDS), whichever flat it is.
A user may hold several accounts (a household's flats); each account keeps at most
BINDINGS_PER_ACCOUNT pairs (app.services.people.bindings).
"""
import math

from flask import current_app
from telebot.states import State, StatesGroup

from app.bot import consent as consent_step
from app.bot.dialog import REPROMPTS, current
from app.bot.routing import ANY_STATE, ANYTHING, CONTACT, TEXT, Step, label
from app.services.people import bindings, consent, household
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
    """«Идентификация»: a known user is told their accounts (and how to add one)."""
    turn = current()
    held = bindings.accounts(turn.user_id)
    if held:
        already = resident.ALREADY_IDENTIFIED.format(account=", ".join(pair.client.account for pair in held))
        if turn.state in REPROMPTS:  # mid-dialog: keep it going
            turn.send(already)
            turn.reprompt()
        else:
            turn.finish()
            turn.send(already, resident.main_menu())
    else:
        start(turn)


def begin_adding(message) -> None:
    """«Добавить лицевой счёт»: the same identification for another flat."""
    start(current())


def start(turn) -> None:
    """Ask for an ЛС, once the user has agreed to the notice in force and is not throttled."""
    if not consent.has_consented(turn.user_id):
        turn.finish()
        consent_step.show_notice(turn)
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
    client = bindings.find_client(account)
    if client is None:
        throttle.record_failure(THROTTLE_SCOPE, str(turn.user_id))
        if _throttled(turn):
            _refuse_throttled(turn)
        else:
            turn.send(resident.ACCOUNT_UNKNOWN.format(account=account))
        return
    if bindings.binding_for(turn.user_id, client.id) is not None:
        turn.send(resident.ACCOUNT_ALREADY_YOURS.format(account=account))
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
    if not consent.has_consented(turn.user_id):  # the notice changed while they were typing
        turn.finish()
        consent_step.show_notice(turn)
        return
    bindings.bind(client, turn.user_id, turn.chat_id, phone)
    household.link_phoned_in(client.id, phone, turn.user_id, turn.chat_id)
    throttle.reset(THROTTLE_SCOPE, str(turn.user_id))
    turn.finish()
    turn.send(resident.IDENTIFIED.format(account=client.account, address=client.address or "—",
                                      phone=display_phone(phone)), resident.main_menu())


STARTS = [  # the menu button that begins the dialog, at every step (see bot.handler_table)
    Step(ANY_STATE, label(resident.BTN_IDENTIFY), begin),
    Step(ANY_STATE, label(resident.BTN_ADD_ACCOUNT), begin_adding),
]
STEPS = [  # the state table above: at each state, the first row whose input matches handles it
    #    state          expected input  handler
    Step(Ident.account, TEXT,           on_account),
    Step(Ident.account, ANYTHING,       on_account_not_text),
    Step(Ident.phone,   CONTACT,        on_contact),
    Step(Ident.phone,   TEXT,           on_phone_text),
    Step(Ident.phone,   ANYTHING,       on_phone_not_text),
]
