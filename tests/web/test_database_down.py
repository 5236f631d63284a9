"""When the database cannot be reached the web app says so and recovers by itself."""
import os

from sqlalchemy import make_url

from app import create_app
from app.extensions import db
from tests.conftest import StaffClient, base_config
from tests.tcp_proxy import TcpProxy

MESSAGE = "База данных временно недоступна"


def _assert_unavailable(response):
    assert response.status_code == 503
    assert MESSAGE in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "30"


def test_database_outage_gives_503_then_recovers(app, staff_client, database_url, tmp_path):
    browser = staff_client("admin")
    assert browser.get("/").status_code == 200
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # The disk holding the file goes away: new connections cannot open it.
        path = url.database
        with app.app_context():
            db.engine.dispose()
        os.rename(path, path + ".away")
        os.mkdir(path)
        try:
            _assert_unavailable(browser.get("/"))
        finally:
            os.rmdir(path)
            os.rename(path + ".away", path)
        assert browser.get("/").status_code == 200
        return
    # PostgreSQL: the app talks to the server through a proxy that the test cuts.
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        web = create_app(base_config(tmp_path / "proxied", proxied))
        web_client = StaffClient.signed_in(web, "admin")
        assert web_client.get("/").status_code == 200
        proxy.cut()
        _assert_unavailable(web_client.get("/"))
        proxy.restore()
        assert web_client.get("/").status_code == 200
        with web.app_context():
            db.engine.dispose()
    finally:
        proxy.close()
