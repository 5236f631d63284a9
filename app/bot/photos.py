"""Photos residents and executors attach: downloaded from Telegram into the file store
(app.services.storage) so staff see them.

A request's photos are kept as `photos/<request id>/<n>.<ext>` (RequestPhoto.file_path holds the
store's reference to it). The download happens after the request is committed
and the resident has the reply; whatever fails (network, Telegram down) keeps an
empty file_path and is retried by the worker's maintenance loop.
"""
import logging
import os

import requests
from sqlalchemy import select, true
from telebot import apihelper

from app.bot.sender import PERMANENT, call_with_retries, classify, describe
from app.extensions import db
from app.models import RequestPhoto
from app.services import storage
from app.telegram.limits import DOWNLOAD_MAX_BYTES

log = logging.getLogger(__name__)

EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".bmp"}
_given_up: set[int] = set()  # photos Telegram will never hand out (expired id, too big)


class DownloadError(Exception):
    pass


def file_url(token: str, file_path: str) -> str:
    template = apihelper.FILE_URL or "https://api.telegram.org/file/bot{0}/{1}"
    return template.format(token, file_path)


def fetch(bot, file_id: str) -> tuple[bytes, str]:
    """The file's bytes and extension, via getFile and the file URL."""
    info = call_with_retries(bot.get_file, file_id, attempts=3)
    ext = os.path.splitext(info.file_path or "")[1].lower()
    response = requests.get(file_url(bot.token, info.file_path), timeout=(5, 60), stream=True,
                            proxies=apihelper.proxy)
    try:
        if response.status_code != 200:
            raise DownloadError(f"HTTP {response.status_code}")
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > DOWNLOAD_MAX_BYTES:
                raise DownloadError("file too large")
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks), ext if ext in EXTENSIONS else ".jpg"


def download_for_request(bot, request_id: int) -> int:
    """Download the request's photos that have no file yet; return how many were saved."""
    rows = db.session.execute(
        select(RequestPhoto.id, RequestPhoto.telegram_file_id, RequestPhoto.file_path)
        .where(RequestPhoto.request_id == request_id).order_by(RequestPhoto.id)
    ).all()
    db.session.rollback()  # no transaction stays open across the downloads
    saved = 0
    for n, (photo_id, file_id, file_path) in enumerate(rows, start=1):
        if file_path or not file_id or photo_id in _given_up:
            continue
        try:
            content, ext = fetch(bot, file_id)
        except Exception as exc:  # noqa: BLE001 - every failure is retried later or given up on
            if classify(exc) == PERMANENT or isinstance(exc, DownloadError):
                _given_up.add(photo_id)
            log.warning("Photo %s of request %s not downloaded: %s", photo_id, request_id, describe(exc))
            continue
        photo = db.session.get(RequestPhoto, photo_id)
        if photo is None:  # deleted with its request meanwhile
            db.session.rollback()
            continue
        photo.file_path = storage.save(f"photos/{request_id}/{n}{ext}", content)  # one commit: the row and its file
        db.session.commit()
        saved += 1
    return saved


def download_pending(bot, limit: int = 20) -> int:
    """Retry photos left without a file (the worker was offline, Telegram failed)."""
    request_ids = db.session.execute(
        select(RequestPhoto.request_id)
        .where(RequestPhoto.file_path == "", RequestPhoto.telegram_file_id != "",
               RequestPhoto.id.not_in(sorted(_given_up)) if _given_up else true())
        .group_by(RequestPhoto.request_id).order_by(RequestPhoto.request_id).limit(limit)
    ).scalars().all()
    db.session.rollback()
    return sum(download_for_request(bot, request_id) for request_id in request_ids)
