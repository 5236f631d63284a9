"""What a resident or a dispatcher may file a request under: the categories and subcategories
that are switched on, in their order (the bot's buttons, the new-request form)."""
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Subcategory


def active_categories() -> list:
    """(id, name) rows of the categories in use."""
    return db.session.execute(
        select(Category.id, Category.name).where(Category.active).order_by(Category.sort_order, Category.name)
    ).all()


def active_subcategories(category_id: int) -> list:
    """(id, name) rows of the subcategories in use of a category in use."""
    return db.session.execute(
        select(Subcategory.id, Subcategory.name)
        .join(Category, Category.id == Subcategory.category_id)
        .where(Subcategory.category_id == category_id, Subcategory.active, Category.active)
        .order_by(Subcategory.sort_order, Subcategory.name)
    ).all()
