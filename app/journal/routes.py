# Placeholder home; the journal issue replaces it.
from flask import render_template

from app.journal import bp


@bp.route("/")
def index():
    """Request journal."""
    return render_template("error.html", code=200, title="Журнал заявок", message="")
