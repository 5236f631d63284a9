"""Keyboards the bot shows, and the format of inline-button data.

Inline button data is `<flow>:<action>[:<arg>]`. `flow` identifies one run of a
dialog (a new request gets a new one), so a button left on an old message is
recognised as stale instead of acting on the current dialog.
"""
from telebot import types

from app.bot import texts


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
    kb = types.ReplyKeyboardMarkup(resize_keyboard=True)
    kb.row(texts.BTN_DONE)
    kb.row(texts.BTN_CANCEL)
    return kb


def button_data(flow: str, action: str, arg: object = "") -> str:
    data = f"{flow}:{action}" + (f":{arg}" if arg != "" else "")
    assert len(data.encode()) <= 64, "Telegram limits callback data to 64 bytes"
    return data


def parse_button(data: str | None) -> tuple[str, str, str] | None:
    """(flow, action, arg) of an inline button, or None for data we never produced."""
    parts = (data or "").split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        return None
    flow, action = parts[0], parts[1]
    return flow, action, parts[2] if len(parts) == 3 else ""


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
    """Two answers (label, action) and «Отменить»."""
    kb = types.InlineKeyboardMarkup()
    kb.row(
        types.InlineKeyboardButton(yes[0], callback_data=button_data(flow, yes[1])),
        types.InlineKeyboardButton(no[0], callback_data=button_data(flow, no[1])),
    )
    kb.row(types.InlineKeyboardButton(texts.BTN_CANCEL_INLINE, callback_data=button_data(flow, "cancel")))
    return kb


def text_is(*labels: str):
    """A handler filter: the message is one of these button labels (as typed, case ignored)."""
    wanted = {label.casefold() for label in labels}

    def check(message) -> bool:
        return message.content_type == "text" and (message.text or "").strip().casefold() in wanted
    return check
