"""Handler tables: a dialog's steps as rows of (state, expected input, handler).

Each dialog module keeps its rows in the order of the state table at its top;
app/bot/bot.py registers all tables in one order. The first row (in registration
order) whose filters match runs, so a row shadows the rows below it (a more
specific input goes first: «Готово» before any text). Router picks, once per
(dialog state, kind of input), the rows that can match at all, so an update
tests a handful of rows instead of every one.
"""
from dataclasses import dataclass, field
from typing import Callable

from telebot import util
from telebot.states import State

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
    """A lasting button (app.telegram.codec.lasting_button) with this action: valid at any step
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


class Router:
    """telebot's registered rows, tried in telebot's order with telebot's own filter test, but only
    those whose state and content-type filters can match: those two depend on the (dialog state,
    kind of input) pair alone, so its rows are picked once and kept."""

    STATIC = ("state", "content_types")  # the filters decided by the pair

    def __init__(self, bot):
        self.bot = bot
        self._rows: dict[tuple, list] = {}

    def dispatch(self, update) -> None:
        """Run the first matching row for a message or an inline button press (anything else is ignored)."""
        found = self.match(update)
        if found is not None:
            function, event = found
            function(event)

    def match(self, update) -> tuple[Callable, object] | None:
        """(the first matching row's handler, the message or button press it takes), or None."""
        if update.message is not None:
            event, kind = update.message, update.message.content_type
            chat = event.chat.id
        elif update.callback_query is not None:
            event, kind = update.callback_query, None  # None: a button press
            chat = event.message.chat.id if event.message is not None else None
        else:
            return None
        user = event.from_user.id if event.from_user is not None else chat
        state = self.bot.current_states.get_state(chat or user, user)
        rows = self._rows.get((state, kind))
        if rows is None:
            rows = self._rows[(state, kind)] = self._select(state, kind)
        test = self.bot._test_filter
        for function, filters in rows:
            if all(test(name, value, event) for name, value in filters):
                return function, event
        return None

    def _select(self, state: str | None, kind: str | None) -> list:
        handlers = self.bot.callback_query_handlers if kind is None else self.bot.message_handlers
        rows = []
        for handler in handlers:
            filters = handler["filters"]
            if "state" in filters and not state_matches(filters["state"], state):
                continue
            if kind is not None and "content_types" in filters and kind not in filters["content_types"]:
                continue
            if kind not in (None, "text") and "commands" in filters:
                continue
            assert not handler.get("pass_bot"), "handlers take the update alone"
            rows.append((handler["function"], tuple((name, value) for name, value in filters.items()
                                                    if name not in self.STATIC)))
        return rows


def state_matches(expected, state: str | None) -> bool:
    """telebot's StateFilter: a State, a state name, a list of them, or "*" (any dialog)."""
    if isinstance(expected, list):
        return state in [s.name if isinstance(s, State) else s for s in expected]
    name = expected.name if isinstance(expected, State) else expected
    return (name == "*" and state is not None) or state == name
