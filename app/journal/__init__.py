"""The request journal (Журнал заявок) and the request page."""
from flask import Blueprint

bp = Blueprint("journal", __name__)

from app.journal import request_views, routes  # noqa: E402,F401
