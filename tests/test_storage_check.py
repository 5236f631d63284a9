"""`flask storage-check`: the files under STORAGE_DIR that no row names (left by a crash) and the rows
naming a file the store lacks are listed, count and paths; nothing is deleted."""
from pathlib import Path

from app.extensions import db
from app.models import Announcement, Notification, RequestPhoto
from app.services import storage
from tests import factories
from tests.images import png

PHOTO = png(4, 3)


def test_lists_the_files_no_row_names_and_the_rows_lacking_their_file_and_deletes_nothing(app, runner):
    root = Path(app.config["STORAGE_DIR"])
    with app.app_context():
        request_id = factories.request().id
        in_database = storage.save("photos/1/1.jpg", PHOTO)  # FILE_STORE=database, the default
        app.config["FILE_STORE"] = "directory"
        on_disk = storage.save("messages/1/2.png", PHOTO)
        notice = storage.save("announcements/a.png", PHOTO)
        db.session.add_all([
            RequestPhoto(request_id=request_id, file_path=in_database),
            RequestPhoto(request_id=request_id, file_path=on_disk),
            RequestPhoto(request_id=request_id, file_path="photos/1/gone.jpg"),   # its file was lost
            RequestPhoto(request_id=request_id, file_path="db:999999"),          # so was this one
            Notification(chat_id=5, text="", photo="telegram:AgAD"),              # Telegram's, not ours
            Announcement(text="Отключение воды", photo=notice)])
        db.session.commit()
    leftovers = {"photos/7/1.jpg": b"\xff\xd8\xff crash", "messages/1/.part-k3j2": b"half"}
    for name, content in leftovers.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)

    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 1, result.output  # a row lacks its file
    lines = result.output.splitlines()
    assert lines[0] == f"Files under {root.resolve()} that no row names: 2 (left as they are: nothing is " \
                       "deleted; remove them by hand once you know nobody needs them)"
    assert lines[1:3] == ["  messages/1/.part-k3j2", "  photos/7/1.jpg"]
    assert lines[3:] == ["Files in the database that no row names: 0", "Rows naming a file the store lacks: 2", "  request_photos.file_path: db:999999",
                         "  request_photos.file_path: photos/1/gone.jpg"]
    assert {name: (root / name).read_bytes() for name in leftovers} == leftovers  # nothing deleted
    assert (root / on_disk).read_bytes() == PHOTO == (root / notice).read_bytes()


def test_a_clean_store_says_so_and_exits_0(app, runner):
    with app.app_context():
        request_id = factories.request().id
        db.session.add(RequestPhoto(request_id=request_id, file_path=storage.save("photos/1/1.jpg", PHOTO)))
        db.session.commit()
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Files under {Path(app.config['STORAGE_DIR']).resolve()} that no row names: 0",
        "Files in the database that no row names: 0", "Rows naming a file the store lacks: 0"]


def test_a_file_in_the_database_no_row_names_is_listed_by_its_id(app, runner):
    with app.app_context():
        ref = storage.save("photos/1/1.jpg", PHOTO)  # its row never committed
        db.session.commit()
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 0, result.output
    assert f"Files in the database that no row names: 1 (stored_files ids {ref.removeprefix('db:')})" \
        in result.output.splitlines()
