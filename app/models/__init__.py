"""All tables, shared by the web app and the bot worker."""
from app.models.base import utcnow
from app.models.staff import StaffUser
from app.models.reference import Category, Client, Executor, Subcategory
from app.models.telegram import (
    BotStatus,
    Conversation,
    Notification,
    ProcessedUpdate,
    StaffDigest,
    TelegramBinding,
)
from app.models.requests import Counter, Request, RequestEvent, RequestPhoto
from app.models.stats import RequestAddress, RequestCount, RequestDuration
from app.models.throttle import Attempt

__all__ = [
    "Attempt", "BotStatus", "Category", "Client", "Conversation", "Counter", "Executor",
    "Notification", "ProcessedUpdate", "Request", "RequestAddress", "RequestCount", "RequestDuration",
    "RequestEvent", "RequestPhoto", "StaffDigest", "StaffUser", "Subcategory", "TelegramBinding", "utcnow",
]
