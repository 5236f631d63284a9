"""Failed sign-ins are counted per (login, address), per address and per login
(app/auth/login_throttle.py); the address is the client's own: X-Forwarded-For counts
only when it comes from a trusted proxy (app/proxy.py)."""
import pytest

from app import create_app
from tests.conftest import StaffClient, base_config

PROXY = "10.0.0.1"
TOO_MANY = "Слишком много неудачных попыток. Подождите 15 мин. и попробуйте снова."

pytestmark = pytest.mark.app_config(
    TRUSTED_PROXIES="10.0.0.0/30, ::1", LOGIN_MAX_ATTEMPTS=3,
    LOGIN_MAX_ATTEMPTS_PER_LOGIN=6, LOGIN_MAX_ATTEMPTS_PER_ADDRESS=10,
)


def via_proxy(address: str) -> dict:
    """A request that the trusted proxy forwards from `address` (after a value the client made up)."""
    return {"environ_base": {"REMOTE_ADDR": PROXY}, "headers": {"X-Forwarded-For": f"192.0.2.99, {address}"}}


def sign_in(app, login, password=None, **request) -> int:
    """The status of one sign-in attempt from a new browser: 302 in, 200 wrong password, 429 refused."""
    response = StaffClient(app).login(login, password, **request)
    if response.status_code == 429:
        assert TOO_MANY in response.get_data(as_text=True)
    return response.status_code


def test_typos_lock_out_only_their_own_login_not_a_colleague_at_the_same_address(app):
    """Behind a proxy every request may come from one address: one person's typos must not lock the office."""
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert sign_in(app, "operator", "wrong") == 200
    assert sign_in(app, "operator") == 429  # even the right password waits now
    assert sign_in(app, "admin") == 302


def test_the_pair_limit_holds_one_login_at_one_address(app):
    limit = app.config["LOGIN_MAX_ATTEMPTS"]
    for _ in range(limit - 1):
        assert sign_in(app, "admin", "wrong", **via_proxy("198.51.100.1")) == 200
    assert sign_in(app, "admin", **via_proxy("198.51.100.1")) == 302  # under the limit; a success starts afresh
    for _ in range(limit):
        assert sign_in(app, "admin", "wrong", **via_proxy("198.51.100.1")) == 200
    assert sign_in(app, "admin", **via_proxy("198.51.100.1")) == 429
    assert sign_in(app, "admin", **via_proxy("198.51.100.2")) == 302  # the same person at another desk


def test_an_address_trying_many_logins_is_stopped(app):
    for i in range(app.config["LOGIN_MAX_ATTEMPTS_PER_ADDRESS"]):
        assert sign_in(app, f"guess{i}", "wrong", **via_proxy("198.51.100.7")) == 200
    assert sign_in(app, "admin", **via_proxy("198.51.100.7")) == 429
    assert sign_in(app, "admin", **via_proxy("198.51.100.8")) == 302


def test_one_login_tried_from_many_addresses_is_stopped(app):
    for i in range(app.config["LOGIN_MAX_ATTEMPTS_PER_LOGIN"]):
        assert sign_in(app, "admin", "wrong", **via_proxy(f"198.51.100.{i}")) == 200
    assert sign_in(app, "admin", **via_proxy("198.51.100.200")) == 429
    assert sign_in(app, "operator", **via_proxy("198.51.100.201")) == 302  # other logins are not affected


def _made_up_addresses_do_not_help(app, peer: str):
    """A client that is not a trusted proxy names a new address in X-Forwarded-For at every attempt."""
    def attempt(i, password=None):
        return sign_in(app, "admin", password, environ_base={"REMOTE_ADDR": peer},
                       headers={"X-Forwarded-For": f"198.51.100.{i}"})

    for i in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert attempt(i, "wrong") == 200
    assert attempt(100) == 429  # counted on its own address all along


def test_x_forwarded_for_from_an_untrusted_client_is_ignored(app):
    _made_up_addresses_do_not_help(app, "192.0.2.7")


@pytest.mark.app_config(TRUSTED_PROXIES="")
def test_x_forwarded_for_is_ignored_without_trusted_proxies(app):
    _made_up_addresses_do_not_help(app, PROXY)


@pytest.mark.sqlite_only
def test_a_mistyped_trusted_proxy_stops_the_app_with_the_settings_name(tmp_path):
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    config["TRUSTED_PROXIES"] = "10.0.0.1, 10.0.0.300"
    with pytest.raises(ValueError, match="TRUSTED_PROXIES: '10.0.0.300' is not an IP address or network"):
        create_app(config)
