"""A reading's photo: downloaded after the reading is stored, retried by the worker's job when Telegram
failed, given up when Telegram will never hand it out."""
from datetime import date

from app.bot import meter_readings, photos
from app.extensions import db
from app.models.meters import MeterReading
from app.services.meters import readings
from tests.meters.helpers import meter


def test_a_failed_download_is_retried_and_a_lost_file_given_up(ctx, app, monkeypatch):
    m = meter(ctx.client())
    first = readings.store(m, date(2026, 2, 1), (110_000,), source="bot", photo_file_id="F1")
    second = readings.store(meter(ctx.client("100002"), serial="Y"), date(2026, 2, 1), (110_000,), source="bot",
                            photo_file_id="F2")
    db.session.commit()
    answers = {"F1": [ConnectionError("down"), (b"\xff\xd8jpeg", ".jpg")], "F2": [photos.DownloadError("gone")]}

    def fetch(bot, file_id):
        answer = answers[file_id].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
    monkeypatch.setattr(photos, "fetch", fetch)
    monkeypatch.setattr(meter_readings, "_given_up", set())
    assert meter_readings.download_photo(None, first.id) is False      # Telegram down: retried later
    assert meter_readings.download_pending(None) == 1                  # F1 now; F2 is lost for good
    assert meter_readings.download_pending(None) == 0 and answers["F2"] == []
    assert db.session.get(MeterReading, first.id).photo_path == f"meters/{first.id}.jpg"
    assert db.session.get(MeterReading, second.id).photo_path == ""
