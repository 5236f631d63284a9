"""Dialog state in the database: a telebot state storage over the `conversations` table.

telebot keeps states in memory by default, which a restart would lose. Here each
Telegram user has one Conversation row (state name + JSON data) read and written
inside the update's own transaction, so a state change commits together with
what the update did, or not at all.
"""
import json
import threading

from telebot.storage import StateDataContext, StateStorageBase

from app.extensions import db
from app.models import Conversation

_MISSING = object()


class DatabaseStateStorage(StateStorageBase):
    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def begin_update(self) -> None:
        """Forget rows cached for the previous update of this thread (its session is gone)."""
        self._local.rows = {}

    def _row(self, chat_id, user_id, create: bool = False) -> Conversation | None:
        rows = getattr(self._local, "rows", None)
        if rows is None:
            rows = self._local.rows = {}
        row = rows.get(user_id, _MISSING)
        if row is _MISSING:  # telebot asks once per handler filter: one query per update is enough
            row = rows[user_id] = db.session.get(Conversation, user_id)
        if row is None and create:
            row = Conversation(telegram_user_id=user_id, chat_id=chat_id or user_id, state="", data="{}")
            db.session.add(row)
            rows[user_id] = row
        return row

    def get_state(self, chat_id, user_id, business_connection_id=None, message_thread_id=None, bot_id=None):
        row = self._row(chat_id, user_id)
        return (row.state or None) if row is not None else None

    def set_state(self, chat_id, user_id, state, business_connection_id=None, message_thread_id=None,
                  bot_id=None) -> bool:
        row = self._row(chat_id, user_id, create=True)
        row.state = getattr(state, "name", state) or ""
        if chat_id:
            row.chat_id = chat_id
        return True

    def delete_state(self, chat_id, user_id, business_connection_id=None, message_thread_id=None,
                     bot_id=None) -> bool:
        """Back to no dialog. The row stays (it is rewritten on the next dialog anyway)."""
        row = self._row(chat_id, user_id)
        if row is None:
            return False
        row.state = ""
        row.data = "{}"
        return True

    def get_data(self, chat_id, user_id, business_connection_id=None, message_thread_id=None, bot_id=None):
        row = self._row(chat_id, user_id)
        if row is None or not row.data:
            return {}
        try:
            value = json.loads(row.data)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def set_data(self, chat_id, user_id, key, value, business_connection_id=None, message_thread_id=None,
                 bot_id=None) -> bool:
        data = self.get_data(chat_id, user_id)
        data[key] = value
        return self.save(chat_id, user_id, data)

    def reset_data(self, chat_id, user_id, business_connection_id=None, message_thread_id=None,
                   bot_id=None) -> bool:
        return self.save(chat_id, user_id, {})

    def get_interactive_data(self, chat_id, user_id, business_connection_id=None, message_thread_id=None,
                             bot_id=None):
        return StateDataContext(self, chat_id=chat_id, user_id=user_id)

    def save(self, chat_id, user_id, data, business_connection_id=None, message_thread_id=None,
             bot_id=None) -> bool:
        row = self._row(chat_id, user_id, create=True)
        row.data = json.dumps(data, ensure_ascii=False)
        return True
