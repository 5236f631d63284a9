"""Reference data kept by administrators: clients, categories, executors."""
from sqlalchemy import BigInteger, ForeignKey, Index, Select, String, UniqueConstraint, false, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Client(db.Model):
    """A personal account (лицевой счёт, ЛС) and the resident it belongs to."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(32), unique=True)  # ЛС, digits only
    full_name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    house: Mapped[str] = mapped_column(String(20), default="")
    house_letter: Mapped[str] = mapped_column(String(10), default="")
    apartment: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")  # E.164 or empty
    contract_number: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    bindings: Mapped[list["TelegramBinding"]] = relationship(  # noqa: F821
        back_populates="client", cascade="all, delete-orphan", order_by="TelegramBinding.created_at"
    )

    __table_args__ = (
        Index("ix_clients_full_name", "full_name"),
        Index("ix_clients_address", "city", "street", "house"),  # announcements choose residents by address
    )

    @property
    def address(self) -> str:
        return format_address(self.city, self.street, self.house, self.house_letter, self.apartment)


def format_address(city, street, house, letter, apartment) -> str:
    """`г. Самара, ул. Ленина, д. 5А, кв. 12`, skipping empty parts."""
    parts = []
    if city:
        parts.append(f"г. {city}")
    if street:
        parts.append(street)
    if house:
        parts.append(f"д. {house}{letter or ''}")
    if apartment:
        parts.append(f"кв. {apartment}")
    return ", ".join(parts)


def format_category(category, subcategory) -> str:
    """`Сантехника / Протечка`, or just the category."""
    return category.name + (f" / {subcategory.name}" if subcategory is not None else "")


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    # Response norms (app.services.requests.deadlines): an emergency flag and times in minutes, None = no norm.
    emergency: Mapped[bool] = mapped_column(default=False, server_default=false())
    reaction_minutes: Mapped[int | None] = mapped_column()
    completion_minutes: Mapped[int | None] = mapped_column()

    subcategories: Mapped[list["Subcategory"]] = relationship(
        back_populates="category", order_by="Subcategory.sort_order, Subcategory.name"
    )

    @classmethod
    def ordered(cls, *columns) -> Select:
        """The categories (or these columns of them) in the order staff and residents see them."""
        return select(*(columns or (cls,))).order_by(cls.sort_order, cls.name)

    @classmethod
    def choosable(cls, keep_id: int | None = None, *columns) -> Select:
        """Those in use, and the one a request already has (`keep_id`) even if switched off."""
        return cls.ordered(*columns).where(or_(cls.active, cls.id == keep_id))


class Subcategory(db.Model):
    __tablename__ = "subcategories"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    # The category's norms overridden for this subcategory; None = as the category says.
    emergency: Mapped[bool | None] = mapped_column()
    reaction_minutes: Mapped[int | None] = mapped_column()
    completion_minutes: Mapped[int | None] = mapped_column()

    category: Mapped[Category] = relationship(back_populates="subcategories")

    @classmethod
    def ordered(cls, *columns) -> Select:
        """The subcategories (or these columns of them) in the order staff and residents see them."""
        return select(*(columns or (cls,))).order_by(cls.sort_order, cls.name)

    @classmethod
    def choosable(cls, category_id: int, keep_id: int | None = None, *columns) -> Select:
        """A category's subcategories in use, and the one a request already has (`keep_id`)."""
        return cls.ordered(*columns).where(cls.category_id == category_id, or_(cls.active, cls.id == keep_id))

    __table_args__ = (UniqueConstraint("category_id", "name", name="uq_subcategories_category_name"),)


class Executor(db.Model):
    __tablename__ = "executors"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # The executor's Telegram account, bound through a one-time invitation (app.services.people.executor_links):
    # jobs come to that chat and the bot shows that user the executor's menu.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    telegram_name: Mapped[str] = mapped_column(String(200), default="", server_default="")  # as Telegram shows them
    telegram_bound_at: Mapped[object | None] = mapped_column(UTCDateTime)

    @property
    def in_telegram(self) -> bool:
        return self.telegram_user_id is not None

    @classmethod
    def ordered(cls, *columns) -> Select:
        """The executors (or these columns of them) by name."""
        return select(*(columns or (cls,))).order_by(cls.full_name)

    @classmethod
    def assignable(cls, keep_id: int | None = None) -> Select:
        """Who a request can be given to: the active executors, and its own one (`keep_id`) even if
        switched off."""
        return cls.ordered().where(or_(cls.active, cls.id == keep_id))


class ExecutorInvitation(db.Model):
    """A one-time start code that binds the Telegram user who opens it to the executor (24 hours)."""

    __tablename__ = "executor_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    executor_id: Mapped[int] = mapped_column(ForeignKey("executors.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime)
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime)  # by staff, or by a newer invitation

    executor: Mapped[Executor] = relationship()
