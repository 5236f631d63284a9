"""One update's turn in the dialog: whose it is, its state, and what to send once it commits.

Handlers never call Telegram themselves. They queue calls on the current Turn;
the dispatcher commits the update's transaction and only then makes the calls.
So the database write lock is never held across the network, and the bot never
says "saved" about something a rolled-back transaction did not save.

A reply that must not be lost (the number of a filed request) is sent `durable`:
it is written to the outbox in the update's own transaction, so a worker killed
between the commit and the send still delivers it after the restart. The turn's
other messages, before and after it, go the same way, so they keep their order.
"""
import secrets
import threading
from dataclasses import dataclass, field
from typing import Callable

from app.services.messaging import outbox
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
    queued: int = 0  # messages written to the outbox (durable): the sender is woken after the commit
    facts: dict = field(default_factory=dict)  # lookups the handlers' filters share within the update

    # --- what to say ---
    def send(self, text: str, markup=None, durable: bool = False) -> None:
        if durable and not self.queued:  # the messages said so far go first, through the outbox too
            earlier = [c for c in self.calls if c.method == "send_message"]
            self.calls = [c for c in self.calls if c.method != "send_message"]
            for call in earlier:
                self._queue(call.kwargs["text"], call.kwargs["reply_markup"])
        if durable or self.queued:
            self._queue(text, markup)
        else:
            self.calls.append(Call("send_message", {"chat_id": self.chat_id, "text": text, "reply_markup": markup}))

    def _queue(self, text: str, markup) -> None:
        self.queued += len(outbox.queue(self.chat_id, text, kind="reply", buttons=markup))

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
