"""The journal's "new requests" poll: counts what arrived after the page was drawn,
under the page's filters, and links to it without redrawing the table by itself."""
import re
from html import unescape

import pytest

from app.extensions import db
from app.models import Category, Client
from tests import factories


def news_url(page: str) -> str:
    """The poll URL the journal page (or its htmx fragment) carries."""
    match = re.search(r'id="journal-news"[^>]*hx-get="([^"]+)"', page)
    assert match, "no news poll on the page"
    return unescape(match.group(1))


def file_request(app, category_name="Сантехника", description="Новая протечка"):
    with app.app_context():
        category = db.session.execute(db.select(Category).filter_by(name=category_name)).scalar_one()
        client = db.session.execute(db.select(Client).filter_by(account="100001")).scalar_one()
        return factories.request(client, category, description=description).number


def test_poll_is_empty_until_a_request_arrives_then_links_to_it(app, staff, journal):
    page = staff.page("/")
    assert 'hx-trigger="every 30s"' in page
    url = news_url(page)
    assert staff.page(url).strip() == ""

    number = file_request(app)
    file_request(app, description="Ещё одна")
    answer = staff.page(url)
    assert "Новых заявок: 2 — показать" in answer
    link = unescape(re.search(r'hx-get="([^"]+)"', answer).group(1))
    assert staff.numbers(link)[0] > number  # the newest of the two leads the journal


def test_poll_counts_only_requests_matching_the_filters(app, staff, journal):
    url = news_url(staff.page(f"/?category={journal.ids['category:electric']}&client=иванов&page=2"))
    assert "page=" not in url  # the link goes to the first page, where new requests are
    file_request(app, "Сантехника")
    assert staff.page(url).strip() == ""
    file_request(app, "Электрика")
    answer = staff.page(url)
    assert "Новых заявок: 1 — показать" in answer
    link = unescape(re.search(r'href="([^"]+)"', answer).group(1))
    assert f"category={journal.ids['category:electric']}" in link and "client=" in link


def test_htmx_fragment_carries_a_fresh_poll(app, staff, journal):
    before = news_url(staff.page("/"))
    file_request(app)
    fragment = staff.page("/?status=new", headers={"HX-Request": "true", "HX-Target": "journal-body"})
    after = news_url(fragment)
    assert "status=new" in after and after != before
    assert staff.page(after).strip() == ""  # what was new is already in the table


@pytest.mark.parametrize("after", ["", "-1", "abc", "1e3", "99999999999", "１２"])
def test_a_bad_starting_point_is_refused(staff, journal, after):
    assert staff.get(f"/journal/news?after={after}").status_code == 400


def test_bad_filter_values_do_not_break_the_poll(staff, journal):
    response = staff.get("/journal/news?after=0&created_at_from=31.02.2024&page=zz&status=nope")
    assert response.status_code == 200
    assert "Новых заявок: 9 — показать" in response.get_data(as_text=True)


def test_poll_interval_is_configurable(app, staff, journal):
    app.config["JOURNAL_NEWS_POLL_SECONDS"] = 5
    assert 'hx-trigger="every 5s"' in staff.page("/")
