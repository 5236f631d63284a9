"""The file store (app.services.storage) on both databases and both stores: what is written is
read back whole and in pieces, wherever FILE_STORE pointed when it was written."""
import hashlib
import io
import os

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import StoredFile, StoredFileChunk
from app.services import storage
BIG = os.urandom(2 * storage.CHUNK + 123)  # three chunks


def chunks_of(ref: str) -> int:
    return db.session.execute(select(func.count()).select_from(StoredFileChunk)
                              .where(StoredFileChunk.file_id == int(ref.removeprefix(storage.DB)))).scalar()


def test_the_database_store_keeps_a_file_in_chunks_with_its_size_type_and_hash(app):
    with app.app_context():
        ref = storage.save("photos/1/1.jpg", BIG)
        db.session.commit()
        assert ref.startswith(storage.DB) and chunks_of(ref) == 3
        described = storage.info(ref)
        assert (described.content_type, described.size) == ("image/jpeg", len(BIG))
        assert described.sha256 == hashlib.sha256(BIG).hexdigest()
        assert storage.read(ref) == BIG and [len(c) for c in storage.chunks(ref)] == [storage.CHUNK] * 2 + [123]
        assert not (app.config["STORAGE_DIR"] and os.path.exists(os.path.join(app.config["STORAGE_DIR"], "photos")))


def test_a_file_not_committed_is_not_kept(app):
    """Written in the caller's transaction: the row naming it and the file commit together."""
    with app.app_context():
        ref = storage.save_stream("exports/x.xlsx", io.BytesIO(b"workbook"), "application/vnd.ms-excel")
        assert storage.read(ref) == b"workbook"
        db.session.rollback()
        assert storage.read(ref) is None and not storage.exists(ref)


def test_the_directory_store_and_reading_both_kinds_whatever_the_setting(app):
    with app.app_context():
        in_database = storage.save("a.png", b"db bytes")
        app.config["FILE_STORE"] = storage.DIRECTORY
        on_disk = storage.save("photos/2/1.png", b"disk bytes")
        db.session.commit()
        assert on_disk == "photos/2/1.png"
        assert open(os.path.join(app.config["STORAGE_DIR"], on_disk), "rb").read() == b"disk bytes"
        assert storage.read(in_database) == b"db bytes" and storage.read(on_disk) == b"disk bytes"
        app.config["FILE_STORE"] = storage.DATABASE
        assert storage.read(on_disk) == b"disk bytes" and storage.info(on_disk).content_type == "image/png"
        storage.delete_file(on_disk)
        storage.delete_file(in_database)
        db.session.commit()
        assert not storage.exists(on_disk) and not storage.exists(in_database)
        assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar() == 0


@pytest.mark.parametrize("ref", ["", "db:", "db:x", "db:99999", "../secret_key", "/etc/passwd", "photos/none.jpg"])
def test_unknown_references_and_paths_outside_the_storage_read_as_missing(app, ref):
    with app.app_context():
        assert storage.info(ref) is None and storage.read(ref) is None and list(storage.chunks(ref)) == []
    with pytest.raises(ValueError), app.app_context():
        app.config["FILE_STORE"] = storage.DIRECTORY
        storage.save("../outside.jpg", b"x")


def test_a_stored_file_is_served_streamed_with_a_validator(app):
    with app.app_context():
        ref = storage.save("p.jpg", BIG)
        db.session.commit()
    with app.test_request_context("/"):
        response = storage.send(ref)
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.content_length == len(BIG) and response.is_streamed
        etag = response.get_etag()[0]
        assert etag == hashlib.sha256(BIG).hexdigest() and b"".join(response.response) == BIG
    with app.test_request_context("/", headers={"If-None-Match": f'"{etag}"'}):
        assert storage.send(ref).status_code == 304
    with app.test_request_context("/"):
        assert storage.send("db:424242") is None
