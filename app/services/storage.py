"""Files kept under STORAGE_DIR (photos from residents and from staff), and what a photo upload may be."""
import os
import tempfile
from pathlib import Path

from flask import current_app

PHOTO_UPLOAD_MAX = 10 * 1024 * 1024  # Telegram's sendPhoto takes up to 10 MB
# What a photo staff upload must really be, by its first bytes (not by its name or the browser's word).
IMAGE_SIGNATURES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


class BadImage(ValueError):
    """The upload is not a photo we can send; the message is shown as is."""


def save(relative: str, content: bytes) -> None:
    """Write the file under STORAGE_DIR at once: readers never see half a file."""
    target = Path(current_app.config["STORAGE_DIR"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    os.replace(tmp, target)


def photo_extension(content: bytes) -> str:
    """`.jpg` or `.png` for a JPEG or PNG within PHOTO_UPLOAD_MAX; BadImage otherwise."""
    if not content:
        raise BadImage("Файл пустой. Выберите фотографию.")
    if len(content) > PHOTO_UPLOAD_MAX:
        raise BadImage(f"Фото больше {PHOTO_UPLOAD_MAX // 2**20} МБ: Telegram такое не примет. "
                       "Уменьшите его и выберите снова.")
    for signature, extension in IMAGE_SIGNATURES.items():
        if content.startswith(signature):
            return extension
    raise BadImage("Это не фотография в формате JPEG или PNG. Выберите снимок в одном из этих форматов.")
