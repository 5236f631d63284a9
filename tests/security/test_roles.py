"""Roles over the whole URL map.

Every (endpoint, method) of the app is classified below as administrator-only or
open to every signed-in staff user. A new route fails the first test until it is
classified here, so nothing becomes reachable to dispatchers by omission.
"""
import pytest

from tests.security.conftest import routes, snapshot

# Without a session: the login form, and what monitoring polls (/metrics checks the caller's
# address instead: METRICS_ALLOWED, tests/web/test_health.py).
PUBLIC = {("auth.login", "GET"), ("auth.login", "POST"), ("health.healthz", "GET"), ("health.metrics", "GET")}

ADMIN_ONLY = {
    ("admin.users", "GET"),
    ("admin.users_new", "GET"), ("admin.users_new", "POST"),
    ("admin.users_edit", "GET"), ("admin.users_edit", "POST"),
    ("admin.users_delete", "POST"),
    ("admin.clients_delete", "POST"),
    ("admin.clients_binding_revoke", "POST"),
    ("admin.clients_import", "GET"), ("admin.clients_import", "POST"),
    ("admin.clients_import_template", "GET"),
    ("admin.categories_new", "GET"), ("admin.categories_new", "POST"),
    ("admin.categories_view", "POST"),
    ("admin.categories_add_sub", "POST"),
    ("admin.categories_toggle", "POST"),
    ("admin.categories_delete", "POST"),
    ("admin.categories_sub_new", "GET"), ("admin.categories_sub_new", "POST"),
    ("admin.categories_sub", "GET"), ("admin.categories_sub", "POST"),
    ("admin.categories_sub_toggle", "POST"),
    ("admin.categories_sub_delete", "POST"),
    ("admin.executors_delete", "POST"),
    ("admin.company_settings", "GET"), ("admin.company_settings_save", "POST"),
    ("admin.clients_binding_forget", "POST"),
    ("meters.import_page", "GET"), ("meters.import_page", "POST"),
    ("meters.import_template", "GET"),
}

# Dispatchers' daily work: the journal and requests, looking up reference data,
# fixing a client's phone, keeping the executor list current, warning residents of outages, the dashboard.
STAFF = {
    ("auth.logout", "POST"),
    ("auth.profile", "GET"), ("auth.profile", "POST"),
    ("journal.index", "GET"),
    ("admin.consents", "GET"), ("admin.consents_export", "GET"),
    ("incidents.index", "GET"),
    ("incidents.new", "GET"), ("incidents.new", "POST"),
    ("incidents.view", "GET"),
    ("incidents.change_status", "POST"),
    ("incidents.edit", "POST"),
    ("incidents.join", "POST"),
    ("incidents.link", "POST"),
    ("incidents.unlink", "POST"),
    ("incidents.send_message", "POST"),
    ("incidents.link_request", "POST"),
    ("journal.news", "GET"),
    ("journal.save_columns", "POST"),
    ("journal.subcategory_options", "GET"),
    ("journal.export_start", "POST"),
    ("journal.export_status", "GET"),
    ("journal.export_cancel", "POST"),
    ("journal.export_file", "GET"),
    ("journal.request_page", "GET"),
    ("journal.change_status", "POST"),
    ("journal.assign_executor", "POST"),
    ("journal.add_comment", "POST"),
    ("journal.thread", "GET"),
    ("journal.send_message", "POST"),
    ("journal.messages_read", "POST"),
    ("journal.photo", "GET"),
    ("journal.new_request", "GET"), ("journal.new_request", "POST"),
    ("journal.client_search", "GET"),
    ("journal.client_pick", "GET"),
    ("admin.clients", "GET"),
    ("admin.clients_view", "GET"),
    ("admin.clients_new", "GET"), ("admin.clients_new", "POST"),
    ("admin.clients_edit", "GET"), ("admin.clients_edit", "POST"),
    # Meter readings: the month, an entry taken by phone, the review, the exports, a client's meters.
    ("meters.index", "GET"), ("meters.summary", "GET"), ("meters.export", "GET"), ("meters.missing", "GET"),
    ("meters.enter", "GET"), ("meters.enter", "POST"), ("meters.review", "POST"), ("meters.photo", "GET"),
    ("meters.client_new", "GET"), ("meters.client_new", "POST"),
    ("meters.edit", "GET"), ("meters.edit", "POST"), ("meters.replace", "GET"), ("meters.replace", "POST"),
    ("admin.categories", "GET"),
    ("admin.categories_view", "GET"),
    ("admin.categories_subs", "GET"),
    ("admin.executors", "GET"),
    ("admin.executors_new", "GET"), ("admin.executors_new", "POST"),
    ("admin.executors_edit", "GET"), ("admin.executors_edit", "POST"),
    ("admin.executors_toggle", "POST"),
    # The executor's invitation to the bot and the binding: a dispatcher's daily work too.
    ("admin.executors_invite", "POST"), ("admin.executors_invitation_cancel", "POST"),
    ("admin.executors_invitation_qr", "GET"), ("admin.executors_unbind", "POST"),
    ("admin.executors_new_phone", "POST"),
    ("announcements.index", "GET"),
    ("announcements.new", "GET"), ("announcements.new", "POST"),
    ("announcements.edit", "GET"), ("announcements.edit", "POST"),
    ("announcements.audience_block", "GET"),
    ("announcements.view", "GET"),
    ("announcements.send", "POST"),
    ("announcements.cancel", "POST"),
    ("announcements.delete", "POST"),
    ("announcements.progress", "GET"),
    ("announcements.photo", "GET"), ("announcements.unreached_export", "GET"),
    ("journal.change_category", "POST"),
    ("dashboard.index", "GET"), ("dashboard.data", "GET"), ("dashboard.export", "GET"),
}

# A form that would pass most validations, so a missing role check shows as a change, not a form error.
FORM = {
    "name": "Захват", "full_name": "Захват Захватов", "position": "Взломщик", "login": "intruder",
    "role": "admin", "active": "y", "password": "long-enough-1", "password2": "long-enough-1",
    "account": "999999", "street": "ул. Чужая", "house": "1", "sort_order": "0",
}


@pytest.mark.sqlite_only  # the URL map does not depend on the database
def test_every_route_is_classified(app):
    found = {(rule.endpoint, method) for rule, method in routes(app)}
    unclassified = found - ADMIN_ONLY - STAFF - PUBLIC
    assert not unclassified, (
        f"classify these routes in {__file__} (ADMIN_ONLY or STAFF): {sorted(unclassified)}")
    assert not (ADMIN_ONLY | STAFF | PUBLIC) - found, "classified routes that no longer exist"
    assert not ADMIN_ONLY & STAFF


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_operator_gets_403_on_every_admin_only_route(app, world, operator, method):
    form = dict(FORM, category_id=str(world.ids["category_id"]))
    before = snapshot(app)
    checked, wrong = 0, []
    for rule, m in routes(app):
        if m != method or (rule.endpoint, m) not in ADMIN_ONLY:
            continue
        url = world.url(rule)
        response = operator.get(url) if method == "GET" else operator.post(url, form)
        checked += 1
        if response.status_code != 403 or "только администратору" not in response.get_data(as_text=True):
            wrong.append((rule.endpoint, method, url, response.status_code))
    assert checked >= (8 if method == "GET" else 15)
    assert not wrong, wrong
    assert snapshot(app) == before


def test_admin_opens_every_admin_only_page(app, world, admin):
    """So the 403s above come from the role check, not from wrong URLs."""
    wrong = [(rule.endpoint, response.status_code) for rule, method in routes(app)
             if (rule.endpoint, method) in ADMIN_ONLY and method == "GET"
             for response in [admin.get(world.url(rule))] if response.status_code != 200]
    assert not wrong


def test_operator_opens_every_staff_page(app, world, operator):
    wrong = []
    for rule, method in routes(app):
        if (rule.endpoint, method) not in STAFF or method != "GET":
            continue
        query = "?after=0" if rule.endpoint == "journal.news" else ""  # the poll needs its starting point
        response = operator.get(world.url(rule) + query)
        # No export was started; the world's notice is a draft, which has no report to export.
        expected = 404 if "job_id" in rule.arguments or rule.endpoint == "announcements.unreached_export" else 200
        if response.status_code != expected:
            wrong.append((rule.endpoint, response.status_code))
    assert not wrong


def test_operator_is_not_refused_staff_actions(app, world, operator):
    """Their forms may reject the data, but never with 403."""
    form = dict(FORM, category_id=str(world.ids["category_id"]))
    skip = {"auth.logout", "journal.export_start"}  # ends the session / starts a background job
    wrong = []
    for rule, method in routes(app):
        if (rule.endpoint, method) in STAFF and method == "POST" and rule.endpoint not in skip:
            response = operator.post(world.url(rule), form)
            if response.status_code in (403, 500):
                wrong.append((rule.endpoint, response.status_code))
    assert not wrong
