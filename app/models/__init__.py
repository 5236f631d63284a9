"""All tables, shared by the web app and the bot worker."""
from app.models.base import utcnow
from app.models.staff import StaffUser
from app.models.reference import Category, Client, Executor, ExecutorInvitation, Subcategory
from app.models.telegram import (
    BotStatus,
    Conversation,
    Notification,
    ProcessedUpdate,
    StaffDigest,
    TelegramBinding,
)
from app.models.requests import Counter, Request, RequestEvent, RequestPhoto
from app.models.announcements import Announcement, AnnouncementOptOut
from app.models.conversation import RequestMessage
from app.models.stats import RequestAddress, RequestCount, RequestDuration, RequestRating
from app.models.throttle import Attempt
from app.models.company import CompanySetting
from app.models.consent import ConsentRecord, ConsentVersion
from app.models.exports import ExportJob
from app.models.files import StoredFile, StoredFileChunk
from app.models.incidents import Incident, IncidentAddress, IncidentEvent, IncidentStatus
from app.models.meters import Meter, MeterReading, MeterReminderOptOut, MeterReminderRun

__all__ = [
    "Announcement", "AnnouncementOptOut", "Attempt", "BotStatus", "Category", "Client", "CompanySetting",
    "ConsentRecord", "ConsentVersion", "Conversation", "Counter", "Executor", "ExecutorInvitation", "ExportJob",
    "Incident", "IncidentAddress", "IncidentEvent", "IncidentStatus", "Meter", "MeterReading",
    "MeterReminderOptOut", "MeterReminderRun", "Notification", "ProcessedUpdate", "Request", "RequestAddress",
    "RequestCount", "RequestDuration", "RequestEvent", "RequestMessage", "RequestPhoto", "RequestRating",
    "StaffDigest", "StaffUser", "StoredFile", "StoredFileChunk", "Subcategory", "TelegramBinding", "utcnow",
]
