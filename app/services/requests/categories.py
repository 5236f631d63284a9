"""What a resident or a dispatcher may file a request under: the categories and subcategories
that are switched on, in their order (the bot's buttons, the new-request form)."""
from app.extensions import db
from app.models import Category, Subcategory


def active_categories() -> list:
    """(id, name) rows of the categories in use."""
    return db.session.execute(Category.ordered(Category.id, Category.name).where(Category.active)).all()


def active_subcategories(category_id: int) -> list:
    """(id, name) rows of the subcategories in use of a category in use."""
    return db.session.execute(
        Subcategory.ordered(Subcategory.id, Subcategory.name)
        .join(Category, Category.id == Subcategory.category_id)
        .where(Subcategory.category_id == category_id, Subcategory.active, Category.active)
    ).all()
