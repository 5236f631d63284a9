# Placeholder list pages; the reference-data CRUD replaces these.
from flask import render_template

from app.admin import bp


@bp.route("/clients")
def clients():
    """Clients list."""
    return render_template("error.html", code=200, title="Клиенты", message="")


@bp.route("/categories")
def categories():
    """Categories list."""
    return render_template("error.html", code=200, title="Категории", message="")


@bp.route("/executors")
def executors():
    """Executors list."""
    return render_template("error.html", code=200, title="Исполнители", message="")


@bp.route("/users")
def users():
    """Staff users list."""
    return render_template("error.html", code=200, title="Пользователи", message="")
