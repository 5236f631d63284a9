"""«Сводка»: the dispatcher's and manager's dashboard of deadlines and figures."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

from app.dashboard import routes  # noqa: E402,F401
