"""Handler tables: a dialog's steps as rows of (state, expected input, handler).

Each dialog module keeps its rows in the order of the state table at its top;
app/bot/bot.py registers all tables in one order. telebot tries handlers in
registration order and runs the first whose filters match, so a row shadows
the rows below it (a more specific input goes first: «Готово» before any text).
"""
from dataclasses import dataclass, field
from typing import Callable

from telebot import util

from app.bot.incoming import text_is
from app.telegram.codec import parse_lasting_button as parse_lasting

ANY_STATE = None  # the row applies whatever the dialog state (no state filter)
ANY_CONTENT = util.content_type_media


@dataclass(frozen=True)
class Input:
    """What an update must be: a message passing telebot's message filters, or an inline button press."""

    filters: dict = field(default_factory=dict)
    button: bool = False


def command(name: str) -> Input:
    return Input({"commands": [name]})


def label(*texts: str) -> Input:
    """A reply-keyboard button (or its label typed)."""
    return Input({"func": text_is(*texts)})


def content(*content_types: str, when: Callable | None = None) -> Input:
    """A message of these types (text, photo, contact...) for which `when(message)` holds, if given."""
    return Input({"content_types": list(content_types), "func": when})


def button(action: str) -> Input:
    """An inline button with this action, from the user's current dialog run (bot.ButtonFilter)."""
    return Input({"button": action}, button=True)


def lasting(action: str) -> Input:
    """A lasting button (app.services.conversation.button_data) with this action: valid at any step
    and on old messages, checked against the database by its handler."""
    def check(call) -> bool:
        parsed = parse_lasting(call.data)
        return parsed is not None and parsed[0] == action
    return Input({"func": check}, button=True)


TEXT = content("text")
CONTACT = content("contact")
ANYTHING = content(*ANY_CONTENT)
ANY_BUTTON = Input({"func": lambda call: True}, button=True)  # ours or not, current or stale


@dataclass(frozen=True)
class Step:
    state: object  # a State, a list of States, or ANY_STATE
    expects: Input
    handler: Callable


def register(bot, steps: list[Step]) -> None:
    """Register the rows with telebot, in order."""
    for step in steps:
        filters = dict(step.expects.filters)
        if step.state is not ANY_STATE:
            filters["state"] = step.state
        if step.expects.button:
            bot.register_callback_query_handler(step.handler, func=filters.pop("func", None), **filters)
        else:
            bot.register_message_handler(step.handler, **filters)
