"""«Возможно, авария»: N new requests of one category from one house within M minutes are announced in
the open journal (with «Объединить») and, once, in the staff chat; the thresholds are company settings."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from tests.conftest import StaffClient
from tests.incidents.conftest import seed_riser
from tests.incidents.test_web import make

CHAT = -100500


def warnings_in_chat(app) -> list[str]:
    with app.app_context():
        return db.session.execute(select(Notification.text).where(
            Notification.chat_id == CHAT, Notification.kind == "possible_incident")).scalars().all()


@pytest.mark.app_config(STAFF_CHAT_ID=CHAT)
def test_the_journal_and_the_staff_chat_announce_a_probable_incident_once(app, staff):
    with app.app_context():
        riser = seed_riser()  # six requests from ул. Ленина, 24 (one phoned in) and one from № 30, within a minute
    news = staff.page("/journal/news?after=0")
    line = re.search(r'<span class="news-suspect" role="alert" data-suspect="([\d,]+)">([^<]+)', news)
    assert line.group(2).strip() == "Возможно, авария: 6 заявок «Водоснабжение» по ул. Ленина, 24 за 1 мин"
    ids = [int(i) for i in line.group(1).split(",")]
    assert ids == riser.ids[:5] + [riser.phoned]
    assert "/incidents/new?" + "&amp;".join(f"request={i}" for i in ids) + '">Объединить</a>' in news
    # The staff chat heard it once, when the third request came.
    assert warnings_in_chat(app) == ["Возможно, авария: 3 заявки «Водоснабжение» по ул. Ленина, 24 за 1 мин"]
    # Merged into an incident: nothing left to announce, and the next request of the house is not news.
    make(staff, riser, ids)
    assert "news-suspect" not in staff.page("/journal/news?after=0")


def test_the_thresholds_are_company_settings(app, staff, riser):
    assert "Возможно, авария: 6 заявок" in staff.page("/journal/news?after=0")
    admin = StaffClient.signed_in(app, "admin")
    page = admin.page("/admin/company")
    assert "Возможные аварии" in page and 'name="incident_warning_requests"' in page
    response = admin.post("/admin/company/incidents", data={"incident_warning_requests": "1",
                                                             "incident_warning_minutes": "60"})
    assert response.status_code == 422 and "От 2 до 100." in response.get_data(as_text=True)
    response = admin.post("/admin/company/incidents", data={"incident_warning_requests": "7",
                                                             "incident_warning_minutes": "30"})
    assert response.status_code == 302
    assert "news-suspect" not in staff.page("/journal/news?after=0")
    admin.post("/admin/company/incidents", data={"incident_warning_requests": "6", "incident_warning_minutes": "30"})
    assert "Возможно, авария: 6 заявок" in staff.page("/journal/news?after=0")
