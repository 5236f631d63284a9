"""Keyboards the bot shows. Their inline buttons' data and its lifetimes: app.telegram.codec
(a dialog's choices are dialog buttons; request lists and cards and the answers about finished
work are lasting buttons, checked against the database)."""
from telebot import types

from app.bot import texts
from app.services.conversation import RATINGS
from app.telegram.codec import dialog_button as button_data, lasting_button as lasting
from app.telegram.resident import BTN_NO, BTN_YES


def main_menu() -> types.ReplyKeyboardMarkup:
    kb = types.ReplyKeyboardMarkup(resize_keyboard=True, is_persistent=True)
    kb.row(texts.BTN_CREATE)
    kb.row(texts.BTN_MY_REQUESTS, texts.BTN_SETTINGS, texts.BTN_HELP)
    return kb


def identify_only() -> types.ReplyKeyboardMarkup:
    kb = types.ReplyKeyboardMarkup(resize_keyboard=True, is_persistent=True)
    kb.row(texts.BTN_IDENTIFY)
    return kb


def cancel_only() -> types.ReplyKeyboardMarkup:
    kb = types.ReplyKeyboardMarkup(resize_keyboard=True)
    kb.row(texts.BTN_CANCEL)
    return kb


def share_phone() -> types.ReplyKeyboardMarkup:
    kb = types.ReplyKeyboardMarkup(resize_keyboard=True)
    kb.row(types.KeyboardButton(texts.BTN_SHARE_PHONE, request_contact=True))
    kb.row(texts.BTN_CANCEL)
    return kb


def describing() -> types.ReplyKeyboardMarkup:
    """Text and photos until «Готово» (a request's description, an executor's report)."""
    kb = types.ReplyKeyboardMarkup(resize_keyboard=True)
    kb.row(texts.BTN_DONE)
    kb.row(texts.BTN_CANCEL)
    return kb


def choices(flow: str, action: str, items, back: bool = False) -> types.InlineKeyboardMarkup:
    """One button per (id, name) item, then «Назад» (optional) and «Отменить»."""
    kb = types.InlineKeyboardMarkup()
    for item_id, name in items:
        kb.row(types.InlineKeyboardButton(name, callback_data=button_data(flow, action, item_id)))
    last = []
    if back:
        last.append(types.InlineKeyboardButton(texts.BTN_BACK, callback_data=button_data(flow, "back")))
    last.append(types.InlineKeyboardButton(texts.BTN_CANCEL_INLINE, callback_data=button_data(flow, "cancel")))
    kb.row(*last)
    return kb


def yes_no(flow: str, yes: tuple[str, str], no: tuple[str, str]) -> types.InlineKeyboardMarkup:
    """Two answers (label, action). No «Отменить»: these steps show the reply keyboard's «Отмена»."""
    kb = types.InlineKeyboardMarkup()
    kb.row(
        types.InlineKeyboardButton(yes[0], callback_data=button_data(flow, yes[1])),
        types.InlineKeyboardButton(no[0], callback_data=button_data(flow, no[1])),
    )
    return kb


def text_is(*labels: str):
    """A handler filter: the message is one of these button labels (as typed, case ignored)."""
    wanted = {label.casefold() for label in labels}

    def check(message) -> bool:
        return message.content_type == "text" and (message.text or "").strip().casefold() in wanted
    return check


def writing() -> types.ReplyKeyboardMarkup:
    """Writing to the dispatcher: every message is kept at once, «Готово» just ends it."""
    kb = types.ReplyKeyboardMarkup(resize_keyboard=True)
    kb.row(texts.BTN_DONE)
    return kb


def request_list(items, page: int, more: bool) -> types.InlineKeyboardMarkup:
    """A button per (request id, label), then «Назад» / «Ещё» between pages."""
    kb = types.InlineKeyboardMarkup()
    for request_id, text in items:
        kb.row(types.InlineKeyboardButton(text, callback_data=lasting("card", request_id)))
    pages = []
    if page > 0:
        pages.append(types.InlineKeyboardButton(texts.BTN_BACK, callback_data=lasting("list", page - 1)))
    if more:
        pages.append(types.InlineKeyboardButton(texts.BTN_MORE, callback_data=lasting("list", page + 1)))
    if pages:
        kb.row(*pages)
    return kb


ON_CARD = "card"  # the arg of the card's answers: the card is redrawn, not stripped of its buttons


def request_card(request_id: int, writable: bool, asked: bool, ratable: bool) -> types.InlineKeyboardMarkup:
    """The card's buttons: the open question «Проблема решена?» and the rating are answerable here
    too (the message that asked may be long gone), then writing and the way back to the list."""
    kb = types.InlineKeyboardMarkup()
    if asked:
        kb.row(types.InlineKeyboardButton(BTN_YES, callback_data=lasting("yes", request_id, ON_CARD)),
               types.InlineKeyboardButton(BTN_NO, callback_data=lasting("no", request_id, ON_CARD)))
    if ratable:
        kb.row(*_rating_buttons(request_id))
    if writable:
        kb.row(types.InlineKeyboardButton(texts.BTN_WRITE, callback_data=lasting("write", request_id)))
    kb.row(types.InlineKeyboardButton(texts.BTN_TO_LIST, callback_data=lasting("list", 0)))
    return kb


def rating(request_id: int) -> types.InlineKeyboardMarkup:
    kb = types.InlineKeyboardMarkup()
    kb.row(*_rating_buttons(request_id))
    return kb


def _rating_buttons(request_id: int) -> list[types.InlineKeyboardButton]:
    return [types.InlineKeyboardButton(texts.BTN_RATING.format(n=n), callback_data=lasting("rate", request_id, n))
            for n in RATINGS]

