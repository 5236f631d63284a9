"""What residents send, read the same way by every dialog: text as staff should see it, photos
(a picture, or an image sent "as a file"), a reply button's label. What a dialog keeps of them:
app.bot.collector."""
import re

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str | None) -> str:
    """Text as a dispatcher should see it: no control characters (PostgreSQL refuses NUL)."""
    return CONTROL_CHARS.sub("", text or "").strip()


def is_image_document(message) -> bool:
    doc = message.document
    return doc is not None and (doc.mime_type or "").startswith("image/")


def photo_of(message) -> tuple[str, str, int | None]:
    """(file id, file unique id, size) of the largest picture of a photo or image-document message."""
    if message.content_type == "photo":
        best = message.photo[-1]
        return best.file_id, best.file_unique_id, best.file_size
    doc = message.document
    return doc.file_id, doc.file_unique_id, doc.file_size


def text_is(*labels: str):
    """A handler filter: the message is one of these button labels (as typed, case ignored)."""
    wanted = {label.casefold() for label in labels}

    def check(message) -> bool:
        return message.content_type == "text" and (message.text or "").strip().casefold() in wanted
    return check
