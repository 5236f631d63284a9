"""Helpers shared by the reference-data pages: roles, search, pagination, htmx answers."""
from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import htmx
from app.admin import bp
from app.extensions import db

PER_PAGE = 25
MAX_PAGE = 100_000  # beyond this an OFFSET overflows some databases; nobody pages that far
MAX_QUERY = 100


def admin_required(view):
    """Administrators only; operators get 403."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def search_term() -> str:
    return " ".join((request.args.get("q") or "").split())[:MAX_QUERY]


def paginate(stmt, per_page: int = PER_PAGE):
    """A page of `stmt`; a bad or too large page number never errors, it lands on a real page."""
    page = request.args.get("page", 1, type=int)
    page = min(max(page, 1), MAX_PAGE)
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if not pagination.items and pagination.page > 1 and pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


def render_list(page_template: str, fragment_template: str, **context):
    """The full page, or just the table fragment for an htmx swap (same URL, Vary: HX-Request)."""
    return render_template(fragment_template if htmx.wants_fragment() else page_template, **context)


def done(url: str, message: str | None = None, category: str = "success"):
    """Finish a POST: redirect (or HX-Redirect for htmx posts, e.g. deletes with hx-confirm)."""
    if message:
        flash(message, category)
    if htmx.is_htmx():
        return htmx.redirect(url)
    return redirect(url)


def page_url(page: int) -> str:
    """The current list URL with another page number, keeping search and filters."""
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.context_processor
def list_helpers():
    return {"page_url": page_url}
