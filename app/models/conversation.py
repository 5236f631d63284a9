"""The conversation on a request: what the resident (through the bot) and staff write to each other,
and the resident's verdict on finished work. The rules are in app.services.requests.conversation."""
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

RATINGS = range(1, 6)  # a resident's rating of the work: 1 (bad) to 5 (excellent)

# Who wrote a message.
RESIDENT, STAFF, BOT, EXECUTOR = "resident", "staff", "bot", "executor"


class Kind(StrEnum):
    """What a message is; each is shown with its own label on the request page."""

    MESSAGE = "message"     # an ordinary message, either way
    QUESTION = "question"   # the bot asks «Проблема решена?» (sender BOT)
    SOLVED = "solved"       # the resident answers «Да»
    UNSOLVED = "unsolved"   # ... or «Нет»: the request went back to work
    REASON = "reason"       # what is wrong, written after «Нет»
    FEEDBACK = "feedback"   # a comment on the rating
    REPORT = "report"       # the executor's report on finished work, from the bot (sender EXECUTOR)
    FORGOTTEN = "forgotten"  # the resident deleted their data from the bot (sender BOT): no one to write to


KIND_LABELS = {  # how the request page marks a message that is not an ordinary one
    Kind.QUESTION: "вопрос жителю",
    Kind.SOLVED: "ответ: проблема решена",
    Kind.UNSOLVED: "ответ: проблема не решена",
    Kind.REASON: "что не так",
    Kind.FEEDBACK: "комментарий к оценке",
    Kind.REPORT: "отчёт о выполнении",
    Kind.FORGOTTEN: "житель удалил свои данные из бота",
}


class Verdict(StrEnum):
    """`requests.verdict`: the resident's word on finished work ("" = none asked or given)."""

    ASKED = "asked"
    CONFIRMED = "confirmed"
    RETURNED = "returned"
    AUTO_CLOSED = "auto_closed"
    WROTE = "wrote"              # the resident wrote instead of answering: the dispatcher decides, no auto-close
    UNDELIVERED = "undelivered"  # the question never reached the resident: the dispatcher decides

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self]


VERDICT_LABELS = {
    Verdict.ASKED: "ждём ответа",
    Verdict.CONFIRMED: "подтвердил",
    Verdict.RETURNED: "вернул в работу",
    Verdict.AUTO_CLOSED: "закрыта автоматически",
    Verdict.WROTE: "написал вместо ответа",
    Verdict.UNDELIVERED: "вопрос не доставлен",
}


def verdict_label(value: str | None) -> str:
    try:
        return Verdict(value).label
    except ValueError:
        return ""


def stars(rating: int) -> str:
    """«★★★★☆ (4)»: a rating as the journal and the bot show it."""
    return "★" * rating + "☆" * (max(RATINGS) - rating) + f" ({rating})"


class RequestMessage(db.Model):
    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    sender: Mapped[str] = mapped_column(String(16))            # RESIDENT / STAFF / BOT
    kind: Mapped[str] = mapped_column(String(16), default=Kind.MESSAGE.value)
    text: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    executor_id: Mapped[int | None] = mapped_column(ForeignKey("executors.id", ondelete="SET NULL"))
    on_closed: Mapped[bool] = mapped_column(default=False)      # the resident wrote on a closed request
    read_at: Mapped[object | None] = mapped_column(UTCDateTime)  # a resident's message: when staff saw it
    # A staff message: the key of the form it was posted from (a second post of that form finds it).
    form_key: Mapped[str | None] = mapped_column(String(32))

    staff = relationship("StaffUser")
    executor = relationship("Executor")
    photos: Mapped[list["RequestPhoto"]] = relationship(  # noqa: F821
        back_populates="message", order_by="RequestPhoto.id")

    __table_args__ = (Index("ix_request_messages_request", "request_id", "id"),
                      Index("ix_request_messages_form_key", "request_id", "form_key", unique=True))
