"""Settings read from the environment at start-up."""
import pytest

from app import create_app


def test_an_unknown_time_zone_stops_the_app_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Europe/Atlantis")
    with pytest.raises(ValueError, match="TIMEZONE='Europe/Atlantis' is not a known time zone"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_the_time_zone_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Asia/Yekaterinburg")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert str(app.config["TZ"]) == "Asia/Yekaterinburg"


@pytest.mark.parametrize("value,store", [("", "database"), ("Directory", "directory"), (" database ", "database")])
def test_the_file_store_is_the_database_unless_said(tmp_path, monkeypatch, value, store):
    monkeypatch.setenv("FILE_STORE", value)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["FILE_STORE"] == store


def test_an_unknown_file_store_stops_the_app_naming_the_two(tmp_path, monkeypatch):
    monkeypatch.setenv("FILE_STORE", "nfs")
    with pytest.raises(ValueError, match="FILE_STORE='nfs': write database .* or directory"):
        create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
