"""A reading's photo: downloaded after the reading is stored, retried by the worker's job when Telegram
failed, given up when Telegram will never hand it out."""
from datetime import date

from app.bot import meter_readings, photos
from app.extensions import db
from app.models.meters import MeterReading
from app.services import storage
from app.services.meters import readings
from tests.images import png
from tests.meters.helpers import meter

PNG = png()


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
    kept = db.session.get(MeterReading, first.id).photo_path
    assert storage.read(kept) == b"\xff\xd8jpeg" and storage.info(kept).content_type == "image/jpeg"
    assert db.session.get(MeterReading, second.id).photo_path == ""


def test_staff_see_the_photo_from_the_file_store_and_nothing_that_is_not_an_image(operator, ctx, visitor):
    shot = readings.store(meter(ctx.client()), date(2026, 2, 1), (110_000,), source="bot")
    other = readings.store(meter(ctx.client("100002"), serial="Y"), date(2026, 2, 1), (110_000,), source="bot")
    shot.photo_path = storage.save(f"meters/{shot.id}.png", PNG)
    other.photo_path = storage.save(f"meters/{other.id}.html", b"<script>alert(1)</script>")
    db.session.commit()
    response = operator.get(f"/meters/readings/{shot.id}/photo")
    assert response.status_code == 200 and response.data == PNG and response.mimetype == "image/png"
    assert "private" in response.headers["Cache-Control"]
    assert operator.get(f"/meters/readings/{other.id}/photo").status_code == 404
    assert operator.get("/meters/readings/999999/photo").status_code == 404
    assert visitor.get(f"/meters/readings/{shot.id}/photo").status_code == 302
