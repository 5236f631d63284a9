"""Announcements (Объявления): outage notices to residents by address, through the bot."""
from flask import Blueprint

bp = Blueprint("announcements", __name__, url_prefix="/announcements")

from app.announcements import routes  # noqa: E402,F401
