"""«Сводка» in a real browser: every chart drawn by the vendored Chart.js with its table, the period
and category changed without reloading, no console errors (so no CSP violation either)."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journal import log_in
from tests.dashboard import seed

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only]

CHARTS = ["intake", "statuses", "time_by_category", "time_by_executor", "overdue_by_executor", "addresses",
          "ratings", "ratings_by_executor", "incidents"]
PAINTED = """canvas => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i]) return true;
  return false;
}"""


@pytest.fixture
def history(app, monkeypatch):
    return seed.history(app, monkeypatch)


def test_every_chart_is_drawn_with_its_table(page, history):
    log_in(page)
    page.click("nav.mainnav a:text('Сводка')")
    page.fill("input[name=from]", "2024-01-20")
    page.fill("input[name=to]", "2024-04-05")
    page.click("#dashboard-form button[type=submit]")
    expect(page.locator("#tile-filed .value")).to_have_text("150")
    expect(page).to_have_url(re.compile(r"/dashboard\?from=2024-01-20&to=2024-04-05$"))
    data = page.evaluate("url => fetch(url).then(r => r.json())", "/dashboard/data?from=2024-01-20&to=2024-04-05")
    for chart in data["charts"]:
        canvas = page.locator(f"#chart-{chart['key']} canvas")
        page.wait_for_function(PAINTED, arg=canvas.element_handle())
        datasets = canvas.evaluate("canvas => Chart.getChart(canvas).data.datasets.length")
        assert datasets == len(chart["series"]), chart["key"]
        rows = page.locator(f"#chart-{chart['key']} .table-box tbody tr")
        expect(rows).to_have_count(len(chart["table"]["rows"]))
    assert [c["key"] for c in data["charts"]] == CHARTS
    expect(page.locator("#chart-addresses .table-box tbody tr").first.locator("td").nth(1)).not_to_have_text("0")
    expect(page.locator("#dashboard-export")).to_have_attribute(
        "href", "/dashboard/export?from=2024-01-20&to=2024-04-05")


def test_a_category_and_a_quick_period_redraw_without_reloading(page, history):
    log_in(page)
    page.goto("/dashboard?from=2024-01-20&to=2024-04-05")
    expect(page.locator("#tile-filed .value")).to_have_text("150")
    page.evaluate("window.stayed = true")  # gone if the page reloaded
    page.select_option("select[name=category]", label="Лифт")
    expect(page.locator("#chart-intake .table-box th")).to_have_text(["День", "Лифт", "Всего"])
    filed = int(page.locator("#tile-filed .value").inner_text())
    assert 0 < filed < 150
    expect(page).to_have_url(re.compile(r"category=\d+"))

    page.click("button[data-days='7']")  # the last week up to today: nothing was filed then
    expect(page.locator("#tile-filed .value")).to_have_text("0")
    expect(page.locator("button[data-days='7']")).to_have_class("active")
    expect(page.locator("#chart-statuses .empty")).to_be_visible()
    expect(page.locator("#chart-statuses .chart-box")).to_be_hidden()
    assert page.evaluate("window.stayed") is True


def test_a_bad_date_is_explained(page, history):
    log_in(page)
    page.goto("/dashboard?from=2024-03-10&to=2024-03-01")
    expect(page.locator("#dashboard-errors")).to_contain_text("Начало периода позже его конца")
    expect(page.locator("#tile-filed .value")).to_have_text("0")  # the last 30 days: nothing filed
