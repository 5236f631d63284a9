"""Request categories and their subcategories (what residents pick in the bot)."""
from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from wtforms.fields.choices import SelectChoice

from app.admin import bp
from app.admin.common import admin_required, done, paginate, render_list, search_term
from app.database import contains_ci
from app.admin.forms import CategoryForm, QuickSubcategoryForm, SubcategoryForm
from app.extensions import db
from app.models import Category, Request, Subcategory
from app.services.requests.deadlines import norm_of
from app.web import parse_id

STATES = {"active": True, "inactive": False}

IN_USE_HINT = ("Отключите её: она пропадёт из бота и из выбора при создании заявки, "
               "а старые заявки сохранятся.")


def _state_filter(stmt, model):
    state = request.args.get("state", "")
    if state in STATES:
        stmt = stmt.where(model.active == STATES[state])
    return stmt



def _count_requests(column, ids) -> dict[int, int]:
    if not ids:
        return {}
    return dict(db.session.execute(
        select(column, func.count()).where(column.in_(ids)).group_by(column)
    ).all())


def _name_taken(form, model, object_id, **scope) -> bool:
    """Names are unique (within the category for subcategories), whatever the letter case."""
    stmt = select(model.id).where(func.lower(model.name) == form.name.data.lower(),
                                  model.id != (object_id or 0))
    for column, value in scope.items():
        stmt = stmt.where(getattr(model, column) == value)
    if db.session.execute(stmt).first() is not None:
        form.name.errors.append("Такое название уже есть." if not scope
                                else "В этой категории уже есть подкатегория с таким названием.")
        return True
    return False


def _commit(form) -> bool:
    try:
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        form.name.errors.append("Такое название уже есть.")
        return False


# --- categories ------------------------------------------------------------------------------

@bp.route("/categories")
def categories():
    """Categories list with search (also by subcategory name) and pagination."""
    term = search_term()
    stmt = Category.ordered()
    if term:
        in_subs = select(Subcategory.category_id).where(contains_ci(Subcategory.name, term))
        stmt = stmt.where(or_(contains_ci(Category.name, term), Category.id.in_(in_subs)))
    page = paginate(_state_filter(stmt, Category))
    ids = [c.id for c in page.items]
    used = _count_requests(Request.category_id, ids)
    subs = dict(db.session.execute(
        select(Subcategory.category_id, func.count()).where(Subcategory.category_id.in_(ids))
        .group_by(Subcategory.category_id)
    ).all()) if ids else {}
    return render_list("admin/categories/index.html", "admin/categories/_table.html",
                       page=page, q=term, used=used, subs=subs, norm_of=norm_of)


@bp.route("/categories/new", methods=["GET", "POST"])
@admin_required
def categories_new():
    """Create a category."""
    form = CategoryForm()
    if form.validate_on_submit() and not _name_taken(form, Category, None):
        category = Category()
        form.populate_obj(category)
        category.sort_order = category.sort_order or 0
        db.session.add(category)
        if _commit(form):
            return done(url_for("admin.categories_view", category_id=category.id),
                        "Категория создана. Добавьте подкатегории.")
    return render_template("admin/categories/form.html", form=form)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def categories_view(category_id: int):
    """Category page: its settings and its subcategories."""
    obj = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=obj)
    if request.method == "POST":
        if not current_user.is_admin:
            abort(403)
        if form.validate_on_submit() and not _name_taken(form, Category, obj.id):
            form.populate_obj(obj)
            obj.sort_order = obj.sort_order or 0
            if _commit(form):
                return done(url_for("admin.categories_view", category_id=obj.id), "Изменения сохранены.")
    return _category_page(obj, form, QuickSubcategoryForm(formdata=None))


def _category_page(obj, form, sub_form, status=200):
    subs = obj.subcategories
    return render_template(
        "admin/categories/view.html", category=obj, form=form, sub_form=sub_form, subs=subs,
        used=_count_requests(Request.category_id, [obj.id]).get(obj.id, 0),
        sub_used=_count_requests(Request.subcategory_id, [s.id for s in subs]),
        norm=norm_of(obj), sub_norms={s.id: norm_of(obj, s) for s in subs},
    ), status


@bp.route("/categories/<int:category_id>/subcategories", methods=["POST"])
@admin_required
def categories_add_sub(category_id: int):
    """Add a subcategory right from the category page."""
    obj = db.get_or_404(Category, category_id)
    sub_form = QuickSubcategoryForm()
    if sub_form.validate_on_submit() and not _name_taken(sub_form, Subcategory, None, category_id=obj.id):
        db.session.add(Subcategory(category_id=obj.id, name=sub_form.name.data,
                                   sort_order=len(obj.subcategories) + 1))
        if _commit(sub_form):
            return done(url_for("admin.categories_view", category_id=obj.id),
                        f"Подкатегория «{sub_form.name.data}» добавлена.")
    return _category_page(obj, CategoryForm(obj=obj, formdata=None), sub_form)


@bp.route("/categories/<int:category_id>/toggle", methods=["POST"])
@admin_required
def categories_toggle(category_id: int):
    """Switch a category on or off (off: hidden from residents, history kept)."""
    obj = db.get_or_404(Category, category_id)
    obj.active = not obj.active
    db.session.commit()
    state = "включена" if obj.active else "отключена: жители её больше не увидят"
    return done(url_for("admin.categories_view", category_id=obj.id), f"Категория «{obj.name}» {state}.")


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@admin_required
def categories_delete(category_id: int):
    """Delete an unused category together with its (unused) subcategories."""
    obj = db.get_or_404(Category, category_id)
    sub_ids = [s.id for s in obj.subcategories]
    used = db.session.execute(
        select(func.count()).select_from(Request).where(
            or_(Request.category_id == obj.id, Request.subcategory_id.in_(sub_ids)))
    ).scalar_one()
    if used:
        return done(url_for("admin.categories_view", category_id=obj.id),
                    f"Категорию «{obj.name}» нельзя удалить: она указана в заявках ({used}). "
                    + IN_USE_HINT, "danger")
    name = obj.name
    for sub in list(obj.subcategories):
        db.session.delete(sub)
    db.session.delete(obj)
    db.session.commit()
    return done(url_for("admin.categories"), f"Категория «{name}» удалена.")


# --- subcategories ---------------------------------------------------------------------------

def _category_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name + ("" if c.active else " (отключена)"))
            for c in db.session.execute(Category.ordered()).scalars()]


@bp.route("/subcategories")
def categories_subs():
    """All subcategories, filtered by category, with search and pagination."""
    term = search_term()
    category_id = parse_id(request.args.get("category"))
    stmt = (select(Subcategory).join(Subcategory.category).options(contains_eager(Subcategory.category))
            .order_by(Category.sort_order, Category.name, Subcategory.sort_order, Subcategory.name))
    if category_id:
        stmt = stmt.where(Subcategory.category_id == category_id)
    if term:
        stmt = stmt.where(contains_ci(Subcategory.name, term))
    page = paginate(_state_filter(stmt, Subcategory))
    used = _count_requests(Request.subcategory_id, [s.id for s in page.items])
    return render_list("admin/subcategories/index.html", "admin/subcategories/_table.html",
                       page=page, q=term, used=used, category_id=category_id,
                       categories=_category_choices())


def _subcategory_form(obj=None):
    form = SubcategoryForm(obj=obj)
    form.category_id.choices = [SelectChoice(value, label) for value, label in _category_choices()]
    if obj is None and request.method == "GET":
        form.category_id.data = request.args.get("category", type=int)
    return form


@bp.route("/subcategories/new", methods=["GET", "POST"])
@admin_required
def categories_sub_new():
    """Create a subcategory."""
    form = _subcategory_form()
    if form.validate_on_submit() and not _name_taken(
            form, Subcategory, None, category_id=form.category_id.data):
        sub = Subcategory()
        form.populate_obj(sub)
        sub.sort_order = sub.sort_order or 0
        db.session.add(sub)
        if _commit(form):
            return done(url_for("admin.categories_view", category_id=sub.category_id),
                        f"Подкатегория «{sub.name}» добавлена.")
    return render_template("admin/subcategories/form.html", form=form, sub=None, category_norm=None)


@bp.route("/subcategories/<int:sub_id>", methods=["GET", "POST"])
@admin_required
def categories_sub(sub_id: int):
    """Edit a subcategory (moving it to another category only while no request uses it)."""
    obj = db.get_or_404(Subcategory, sub_id)
    form = _subcategory_form(obj)
    if form.validate_on_submit() and not _name_taken(
            form, Subcategory, obj.id, category_id=form.category_id.data):
        used = _count_requests(Request.subcategory_id, [obj.id]).get(obj.id, 0)
        if form.category_id.data != obj.category_id and used:
            form.category_id.errors.append(
                f"Подкатегория указана в заявках ({used}) — перенести её в другую категорию нельзя. "
                "Создайте новую подкатегорию в нужной категории, а эту отключите.")
        else:
            form.populate_obj(obj)
            obj.sort_order = obj.sort_order or 0
            if _commit(form):
                return done(url_for("admin.categories_view", category_id=obj.category_id), "Изменения сохранены.")
    return render_template("admin/subcategories/form.html", form=form, sub=obj, category_norm=norm_of(obj.category))


@bp.route("/subcategories/<int:sub_id>/toggle", methods=["POST"])
@admin_required
def categories_sub_toggle(sub_id: int):
    """Switch a subcategory on or off."""
    obj = db.get_or_404(Subcategory, sub_id)
    obj.active = not obj.active
    db.session.commit()
    state = "включена" if obj.active else "отключена"
    return done(url_for("admin.categories_view", category_id=obj.category_id), f"Подкатегория «{obj.name}» {state}.")


@bp.route("/subcategories/<int:sub_id>/delete", methods=["POST"])
@admin_required
def categories_sub_delete(sub_id: int):
    """Delete a subcategory no request uses."""
    obj = db.get_or_404(Subcategory, sub_id)
    used = _count_requests(Request.subcategory_id, [obj.id]).get(obj.id, 0)
    back = url_for("admin.categories_view", category_id=obj.category_id)
    if used:
        return done(back, f"Подкатегорию «{obj.name}» нельзя удалить: она указана в заявках ({used}). "
                    + IN_USE_HINT, "danger")
    name = obj.name
    db.session.delete(obj)
    db.session.commit()
    return done(back, f"Подкатегория «{name}» удалена.")
