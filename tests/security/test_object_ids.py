"""Ids in URLs over the whole URL map: a missing, foreign, out-of-range or malformed id
is a plain 404 (never a 500, never another object), by GET and by POST with a valid token."""
import pytest

from tests.security.conftest import int_arguments, routes

BAD_IDS = ["999999", "0", str(2**31), str(2**70), "-1", "abc", "1.5", "\uff11", "9" * 5000]


def id_routes(app):
    return [(rule, method) for rule, method in routes(app) if int_arguments(rule)]


@pytest.mark.sqlite_only  # the URL map does not depend on the database
def test_the_sweep_sees_the_routes_with_ids(app):
    assert len({rule.endpoint for rule, _ in id_routes(app)}) >= 20


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bad_ids_are_404(app, world, admin, method):
    wrong = []
    for rule, m in id_routes(app):
        if m != method:
            continue
        for name in int_arguments(rule):  # one argument at a time, the others real
            for bad in BAD_IDS:
                url = world.url(rule, **{name: bad})
                response = admin.get(url) if method == "GET" else admin.post(url, {"text": "x", "name": "x"})
                if response.status_code != 404:
                    wrong.append((url[:80], response.status_code))
    assert not wrong


def test_nested_object_of_another_parent_is_404(app, world, admin):
    """A binding of another client, a photo of another request: not reachable through this one."""
    nested = [(rule, method) for rule, method in id_routes(app) if len(int_arguments(rule)) > 1]
    assert nested
    for rule, method in nested:
        parent, child = int_arguments(rule)
        assert child in world.other, f"add a {child} of another {parent} to the `world` fixture"
        url = world.url(rule, **{child: world.other[child]})
        response = admin.get(url) if method == "GET" else admin.post(url)
        assert response.status_code == 404, (method, url, response.status_code)
        if method == "GET":  # the same child through its own parent is there
            own = world.url(rule, **{parent: world.other[parent], child: world.other[child]})
            assert admin.get(own).status_code == 200, own


PHOTO_TAILS = [
    "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%252f..%252fetc%252fpasswd",
    "....//....//etc/passwd", "..%5C..%5Cetc%5Cpasswd", "%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    "{photo}/../../../etc/passwd", "{photo}%2F..%2F..%2Fetc%2Fpasswd", "{photo}%00.jpg", "/etc/passwd",
    "{photo}.jpg", "{photo}/", "%2Fetc%2Fpasswd",
]


def test_photo_urls_with_paths_are_404(app, world, operator):
    base = f"/requests/{world.ids['request_id']}/photos/"
    assert operator.get(base + str(world.ids["photo_id"])).status_code == 200  # the real photo is served
    for tail in PHOTO_TAILS:
        response = operator.get(base + tail.format(photo=world.ids["photo_id"]))
        assert response.status_code == 404, tail
        assert b"root:" not in response.data


IDS_IN_FORMS_AND_QUERIES = [
    ("POST", "/admin/subcategories/new", {"name": "Новая", "category_id": str(2**70)}),
    ("POST", "/admin/subcategories/{sub_id}", {"name": "Новая", "category_id": str(2**40)}),
    ("POST", "/admin/subcategories/{sub_id}", {"name": "Новая", "category_id": "-1"}),
    ("POST", "/requests/new", {"client_id": str(2**70), "category": str(2**70), "subcategory": str(2**63),
                               "description": "x"}),
    ("POST", "/requests/new", {"client_id": "{client_id}", "category": "{category_id}",
                               "subcategory": str(2**40), "description": "x"}),
    ("POST", "/requests/{request_id}/executor", {"executor": str(2**70)}),
    ("POST", "/requests/{request_id}/executor", {"executor": "-1"}),
    ("GET", "/admin/subcategories?category=" + str(2**70), None),
    ("GET", "/admin/subcategories?category=" + str(2**40), None),
    ("GET", "/admin/subcategories?category=-5", None),
    ("GET", "/admin/subcategories/new?category=" + str(2**70), None),
    ("GET", "/journal/subcategories?category=" + str(2**70), None),
    ("GET", "/journal/subcategories?category=" + str(2**40), None),
    ("GET", "/?category=" + str(2**70), None),
    ("GET", "/?subcategory=" + str(2**40), None),
    ("GET", "/?executor=" + str(2**63), None),
    ("GET", "/?number=" + str(2**70), None),
    ("GET", "/?number=" + str(2**63), None),
]


def test_ids_in_forms_and_query_strings_never_fail(app, world, admin):
    wrong = []
    for method, url, data in IDS_IN_FORMS_AND_QUERIES:
        url = url.format(**world.ids)
        if method == "GET":
            response = admin.get(url)
        else:
            response = admin.post(url, {k: v.format(**world.ids) for k, v in data.items()})
        if response.status_code not in (200, 400):
            wrong.append((method, url, data, response.status_code))
    assert not wrong
