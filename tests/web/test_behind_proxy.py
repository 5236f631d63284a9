"""TRUSTED_PROXIES under the real web process: waitress started as the Procfile starts it passes
X-Forwarded-For to the app, which believes it from a trusted proxy only (issue 17, defect 1)."""
import pytest

from tests.web_process import WebProcess

pytestmark = pytest.mark.sqlite_only

PROXY, STRANGER = "127.0.0.1", "127.0.0.2"


@pytest.fixture
def web(tmp_path, sqlite_template):
    process = WebProcess(tmp_path, sqlite_template, TRUSTED_PROXIES=PROXY)
    yield process
    process.close()


def forwarded_for(address: str) -> dict:
    return {"X-Forwarded-For": address}


def test_a_colleagues_typos_behind_the_proxy_do_not_lock_the_owner_out(web):
    wrong = [web.sign_in(web.browser(PROXY), "owner", "wrong", forwarded_for("10.1.2.3")) for _ in range(7)]
    assert wrong == [200] * 5 + [429] * 2  # LOGIN_MAX_ATTEMPTS: the pair (owner, 10.1.2.3) is locked
    assert web.sign_in(web.browser(PROXY), "owner", headers=forwarded_for("10.1.2.3")) == 429
    assert web.sign_in(web.browser(PROXY), "owner", headers=forwarded_for("10.1.2.4")) == 302, web.log()


def test_a_client_that_is_not_a_trusted_proxy_cannot_pick_its_address(web):
    for i in range(5):
        assert web.sign_in(web.browser(STRANGER), "owner", "wrong", forwarded_for(f"10.1.3.{i}")) == 200
    assert web.sign_in(web.browser(STRANGER), "owner", headers=forwarded_for("10.1.3.100")) == 429
    assert web.sign_in(web.browser(PROXY), "owner") == 302  # counted on the stranger's own address
