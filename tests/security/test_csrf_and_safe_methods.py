"""What CSRF protection rests on, over the whole URL map: a GET changes nothing, and a POST
carrying another session's token is refused (a missing token is in test_sweep.py)."""
from tests.security.conftest import routes, snapshot


def test_get_requests_change_nothing(app, world, admin):
    before = snapshot(app)
    seen = 0
    for rule, method in routes(app):
        if method == "GET":  # once each: a toggle reached twice would hide itself
            assert admin.get(world.url(rule)).status_code < 500, rule.rule
            seen += 1
    assert seen >= 25
    assert snapshot(app) == before


def test_a_token_from_another_session_is_refused(app, world, admin, operator):
    before = snapshot(app)
    foreign = admin.csrf_token()
    wrong = []
    for rule, method in routes(app):
        if method != "POST":
            continue
        for data, headers in (({"csrf_token": foreign}, {}), ({}, {"X-CSRFToken": foreign, "HX-Request": "true"})):
            response = operator.open(world.url(rule), method="POST", data=data, headers=headers)
            if response.status_code != 400:
                wrong.append((rule.endpoint, response.status_code))
    assert not wrong
    assert snapshot(app) == before
