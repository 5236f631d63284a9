"""«Показания»: the month's meter readings, operator entry and review, the export, the summary by
house; the meters on a client's page; the meter import."""
from flask import Blueprint

bp = Blueprint("meters", __name__, url_prefix="/meters")

from app.meters import client_meters, imports, routes, settings  # noqa: E402,F401
