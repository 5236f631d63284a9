"""Incidents (Аварии): the list, an incident's page, creating one from requests, linking requests."""
from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

from app.incidents import routes  # noqa: E402,F401
