"""One update's turn in the dialog: whose it is, its state, and what to send once it commits.

Handlers never call Telegram themselves. They queue calls on the current Turn;
the dispatcher commits the update's transaction and only then makes the calls.
So the database write lock is never held across the network, and the bot never
says "saved" about something a rolled-back transaction did not save.
"""
import secrets
import threading
from dataclasses import dataclass, field
from typing import Callable

_local = threading.local()

# state name -> function(turn) that asks for the state's input again (/help, stale buttons).
REPROMPTS: dict[str, Callable[["Turn"], None]] = {}


@dataclass
class Call:
    method: str  # a TeleBot method name: send_message, edit_message_text, ...
    kwargs: dict


@dataclass
class Turn:
    bot: object
    user_id: int
    chat_id: int
    callback_id: str | None = None
    calls: list[Call] = field(default_factory=list)
    callback_text: str | None = None
    after: list[Callable[[], None]] = field(default_factory=list)

    # --- what to say ---
    def send(self, text: str, markup=None) -> None:
        self.calls.append(Call("send_message", {"chat_id": self.chat_id, "text": text, "reply_markup": markup}))

    def edit(self, message_id: int, text: str, markup=None) -> None:
        self.calls.append(Call("edit_message_text", {
            "chat_id": self.chat_id, "message_id": message_id, "text": text, "reply_markup": markup,
        }))

    def remove_buttons(self, message_id: int) -> None:
        self.calls.append(Call("edit_message_reply_markup", {"chat_id": self.chat_id, "message_id": message_id}))

    def answer(self, text: str | None = None) -> None:
        """The toast for the pressed inline button (sent last, after the messages)."""
        self.callback_text = text

    def later(self, fn: Callable[[], None]) -> None:
        """Run after the messages are sent (slow work that must not delay the reply)."""
        self.after.append(fn)

    # --- dialog state (through telebot's state storage, i.e. the conversations table) ---
    @property
    def _storage(self):
        return self.bot.current_states

    @property
    def state(self) -> str | None:
        return self._storage.get_state(self.chat_id, self.user_id)

    @property
    def data(self) -> dict:
        return self._storage.get_data(self.chat_id, self.user_id)

    def update(self, **values) -> None:
        data = self.data
        data.update(values)
        self._storage.save(self.chat_id, self.user_id, data)

    def goto(self, state, **values) -> None:
        self._storage.set_state(self.chat_id, self.user_id, state)
        if values:
            self.update(**values)

    def start(self, state, **values) -> str:
        """Begin a new run of a dialog: fresh data and a new flow id for its buttons."""
        flow = secrets.token_hex(4)
        self._storage.set_state(self.chat_id, self.user_id, state)
        self._storage.save(self.chat_id, self.user_id, {"flow": flow, **values})
        return flow

    def finish(self) -> None:
        self._storage.delete_state(self.chat_id, self.user_id)

    def reprompt(self) -> bool:
        prompt = REPROMPTS.get(self.state or "")
        if prompt is None:
            return False
        prompt(self)
        return True


def current() -> Turn:
    return _local.turn


def begin(turn: Turn) -> None:
    _local.turn = turn


def end() -> None:
    _local.turn = None
