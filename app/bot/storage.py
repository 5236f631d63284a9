"""Dialog state in the database: a telebot state storage over the `conversations` table.

telebot keeps states in memory by default, which a restart would lose. Here each
Telegram user has one Conversation row (state name + JSON data) read and written
inside the update's own transaction, so a state change commits together with
what the update did, or not at all.

Every update reads its user's state and most change it, so the row goes through
prebuilt Core statements on the session's connection, not the ORM: read once per
update and kept for the thread, changed in memory, and written by the session's
commit (its before_commit event) only if it differs from what was read. A rollback
forgets the changes, as it would the ORM's.

The same read brings the user's *facts*: what the handler rows' filters ask about the user
on every update before any handler runs (an executor? bound to an account? consented?), given
as scalar subqueries by the bot (app.bot.bot). One statement instead of four per update; a
handler that changes one of them within the update asks the service again.
"""
import json
import threading
from dataclasses import dataclass

from sqlalchemy import bindparam, event, insert, literal, select, update
from telebot.storage import StateDataContext, StateStorageBase

from app.extensions import db
from app.models import Conversation

_MISSING = object()
_table = Conversation.__table__
# Built once: a prebuilt statement skips building and cache-keying it again on every update.
_ONE_ROW = select(literal(1).label("one")).subquery("one")  # the facts come whether the row exists or not
INSERT = insert(_table)
UPDATE = update(_table).where(_table.c.telegram_user_id == bindparam("user_id")).values(
    chat_id=bindparam("new_chat_id"), state=bindparam("new_state"), data=bindparam("new_data"))


@dataclass
class _Row:
    """One user's row as read (`stored`: (chat_id, state, data), None if there is none) and as changed."""

    chat_id: int
    state: str
    data: str
    stored: tuple | None

    @property
    def changed(self) -> bool:
        return (self.chat_id, self.state, self.data) != self.stored


class DatabaseStateStorage(StateStorageBase):
    def __init__(self, facts: dict | None = None) -> None:
        """`facts`: name -> a scalar SQL expression about the user bound as :user, read with the row."""
        super().__init__()
        self._local = threading.local()
        self._facts = dict(facts or {})
        self._read = select(_table.c.telegram_user_id, _table.c.chat_id, _table.c.state, _table.c.data,
                            *(expression.label(name) for name, expression in self._facts.items())
                            ).select_from(_ONE_ROW.outerjoin(_table, _table.c.telegram_user_id == bindparam("user")))
        event.listen(db.session, "before_commit", self._write)
        event.listen(db.session, "after_soft_rollback", lambda session, previous: self.begin_update())

    def begin_update(self) -> None:
        """Forget rows and facts kept for the previous update of this thread (read again from the database)."""
        self._local.rows = {}
        self._local.facts = {}

    def _rows(self) -> dict:
        rows = getattr(self._local, "rows", None)
        if rows is None:
            rows = self._local.rows = {}
        return rows

    def _row(self, chat_id, user_id, create: bool = False) -> _Row | None:
        rows = self._rows()
        row = rows.get(user_id, _MISSING)
        if row is _MISSING:  # telebot asks once per handler filter: one query per update is enough
            row = self._load(user_id)
        if row is None and create:
            row = rows[user_id] = _Row(chat_id or user_id, "", "{}", None)
        return row

    def _load(self, user_id) -> _Row | None:
        found = db.session.connection().execute(self._read, {"user": user_id}).one()
        facts = getattr(self._local, "facts", None)
        if facts is None:
            facts = self._local.facts = {}
        facts[user_id] = {name: getattr(found, name) for name in self._facts}
        row = self._rows()[user_id] = None if found.telegram_user_id is None else \
            _Row(found.chat_id, found.state or "", found.data or "{}", (found.chat_id, found.state, found.data))
        return row

    def fact(self, user_id, name: str):
        """A fact about the user as it stood when this update began (read with the dialog state)."""
        facts = getattr(self._local, "facts", None)
        if not facts or user_id not in facts:  # the row is always read with its facts: not read yet
            self._load(user_id)
            facts = self._local.facts
        return facts[user_id][name]

    def _write(self, session) -> None:
        """Before the commit: the rows this thread changed, in the committing transaction."""
        rows = getattr(self._local, "rows", None)
        if not rows:
            return
        connection = None
        for user_id, row in rows.items():
            if row is None or not row.changed:
                continue
            connection = connection or session.connection()
            if row.stored is None:
                connection.execute(INSERT, {"telegram_user_id": user_id, "chat_id": row.chat_id,
                                            "state": row.state, "data": row.data})
            else:
                connection.execute(UPDATE, {"user_id": user_id, "new_chat_id": row.chat_id,
                                            "new_state": row.state, "new_data": row.data})
            row.stored = (row.chat_id, row.state, row.data)

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
