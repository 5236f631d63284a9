import json
import secrets

from flask_login import UserMixin
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

ROLE_ADMIN = "admin"
ROLE_OPERATOR = "operator"
ROLE_CHOICES = [(ROLE_ADMIN, "Администратор"), (ROLE_OPERATOR, "Оператор (диспетчер)")]


def new_session_token() -> str:
    return secrets.token_hex(16)


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_OPERATOR)
    active: Mapped[bool] = mapped_column(default=True)
    # Journal columns this user chose to see (JSON list of column keys); NULL = defaults.
    journal_columns: Mapped[str | None] = mapped_column(Text)
    # Part of every session and remember-me cookie (get_id); a new one signs all of them out.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    def set_password(self, password: str) -> None:
        """A new password also ends every open session and remember-me cookie of the user."""
        self.password_hash = generate_password_hash(password)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie (web.load_user checks it)."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def role_label(self) -> str:
        return dict(ROLE_CHOICES).get(self.role, self.role)

    @property
    def display_name(self) -> str:
        return self.full_name or self.login

    def get_journal_columns(self) -> list[str] | None:
        if not self.journal_columns:
            return None
        try:
            value = json.loads(self.journal_columns)
        except ValueError:
            return None
        return [str(v) for v in value] if isinstance(value, list) else None

    def set_journal_columns(self, columns: list[str] | None) -> None:
        self.journal_columns = json.dumps(columns) if columns is not None else None
