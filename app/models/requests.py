"""Requests (заявки), their photos and history."""
from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.reference import format_address, format_category
from app.models.status import Status, label


class Counter(db.Model):
    """Named counters; request numbers come from here so they are never reused."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Request(db.Model):
    __tablename__ = "requests"
    lock_column = "source"  # app.database.locked rewrites it to itself: no index nor trigger reads it

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"))
    # Snapshot of the client at filing time: later edits of the client do not rewrite history.
    account: Mapped[str] = mapped_column(String(32), default="")
    client_full_name: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    house: Mapped[str] = mapped_column(String(20), default="")
    house_letter: Mapped[str] = mapped_column(String(10), default="")
    apartment: Mapped[str] = mapped_column(String(20), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")

    author_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    author_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    source: Mapped[str] = mapped_column(String(16), default="telegram")  # telegram / phone
    # Set by the bot from the dialog so a replayed update cannot file the request twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    subcategory_id: Mapped[int | None] = mapped_column(ForeignKey("subcategories.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=Status.NEW.value)
    executor_id: Mapped[int | None] = mapped_column(ForeignKey("executors.id"))

    assigned_at: Mapped[object | None] = mapped_column(UTCDateTime)
    in_progress_at: Mapped[object | None] = mapped_column(UTCDateTime)
    done_at: Mapped[object | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[object | None] = mapped_column(UTCDateTime)

    # The conversation (app.services.requests.conversation): resident messages no staff member has seen yet,
    # kept here so the journal filters and counts them without reading the messages.
    unread_messages: Mapped[int] = mapped_column(default=0)
    # The resident's word on finished work (models.conversation.Verdict) and rating, 1-5.
    verdict: Mapped[str] = mapped_column(String(16), default="")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    confirmation_asked_at: Mapped[object | None] = mapped_column(UTCDateTime)  # while the question is open
    # Deadlines, from the category's norms when filed or recategorised (app.services.requests.deadlines).
    emergency: Mapped[bool] = mapped_column(default=False, server_default=false())
    reaction_due_at: Mapped[object | None] = mapped_column(UTCDateTime)
    completion_due_at: Mapped[object | None] = mapped_column(UTCDateTime)
    reacted_at: Mapped[object | None] = mapped_column(UTCDateTime)    # first left «новая»
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime)  # done (or closed); reopening clears it
    # Kept by the service from the four above: the nearest deadline not yet met (what the journal
    # filters and sorts by), and the worst lateness of the ones met late.
    due_at: Mapped[object | None] = mapped_column(UTCDateTime)
    late_minutes: Mapped[int | None] = mapped_column()
    alerted_due_at: Mapped[object | None] = mapped_column(UTCDateTime)  # its passing was told to the staff chat
    # The incident (авария) the request is part of: one at most (app.services.incidents).
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))

    client = relationship("Client")
    category = relationship("Category")
    subcategory = relationship("Subcategory")
    executor = relationship("Executor")
    incident = relationship("Incident")
    created_by = relationship("StaffUser")
    photos: Mapped[list["RequestPhoto"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestPhoto.id"
    )
    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestEvent.id"
    )

    # Indexes for the journal: default sort, and the filters dispatchers use most.
    __table_args__ = (
        # The default order with its tie-break: a deep page's ids come from this index alone (migration 0012).
        Index("ix_requests_created_at", "created_at", "id"),
        Index("ix_requests_status_created", "status", "created_at"),
        # status + category + period, the dispatcher's usual view: its count is an index-only scan.
        Index("ix_requests_status_category_created", "status", "category_id", "created_at"),
        Index("ix_requests_category_created", "category_id", "created_at"),
        Index("ix_requests_subcategory", "subcategory_id"),
        Index("ix_requests_executor_created", "executor_id", "created_at"),
        Index("ix_requests_updated_at", "updated_at"),
        Index("ix_requests_client", "client_id"),
        Index("ix_requests_account", "account"),
        Index("ix_requests_author", "author_telegram_id", "created_at"),
        Index("ix_requests_unread", "unread_messages", "id"),
        # The resident's verdict and rating, alone or with a category: the count reads the index alone.
        Index("ix_requests_verdict", "verdict", "category_id", "created_at"),
        Index("ix_requests_rating", "rating", "category_id", "created_at"),
        # Overdue, due soon, sorted by the nearest deadline: only open requests have one, so the index is
        # small; it also holds what the dashboard counts of them ("overdue now"), so it is read alone.
        Index("ix_requests_due_at", "due_at", "created_at", "category_id", "executor_id", "late_minutes",
              sqlite_where=text("due_at IS NOT NULL"), postgresql_where=text("due_at IS NOT NULL")),
        Index("ix_requests_emergency_created", "emergency", "created_at"),
        # The journal's filter «по аварии» and an incident's requests (migration 0019).
        Index("ix_requests_incident_created", "incident_id", "created_at"),
    )

    @property
    def status_label(self) -> str:
        return label(self.status)

    @property
    def address(self) -> str:
        return format_address(self.city, self.street, self.house, self.house_letter, self.apartment)

    @property
    def category_text(self) -> str:
        return format_category(self.category, self.subcategory)


class RequestPhoto(db.Model):
    __tablename__ = "request_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    telegram_file_id: Mapped[str] = mapped_column(String(256), default="")
    telegram_file_unique_id: Mapped[str] = mapped_column(String(128), default="")
    # The file store's reference (app.services.storage); empty until the worker has downloaded the file.
    file_path: Mapped[str] = mapped_column(String(512), default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # Sent in the conversation (by the resident or staff) rather than with the filing.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("request_messages.id", ondelete="SET NULL"))

    request: Mapped[Request] = relationship(back_populates="photos")
    message = relationship("RequestMessage", back_populates="photos")


class RequestEvent(db.Model):
    """One line of a request's history: created, status moved, executor changed, comment."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # created / status / executor / comment / rating
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    actor_label: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Житель (Telegram)"
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_value: Mapped[str] = mapped_column(String(200), default="")
    to_value: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[Request] = relationship(back_populates="events")
    actor = relationship("StaffUser")
