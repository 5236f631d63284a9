"""The notice's report per recipient: who was not reached and why (name, ЛС, address, phone, reason),
on the notice's page and as an .xlsx file, so the office can phone them."""
import io

from openpyxl import load_workbook
from sqlalchemy import delete, update

from app.extensions import db
from app.models import Announcement, Notification, TelegramBinding
from app.services.messaging import announcements
from app.services.messaging.announcements import Unreached
from app.services.messaging.audience import Audience
from tests import factories
from tests.announcements.data import bind

SADOVAYA_17 = Audience("Самара", "ул. Садовая", ("17",))
BOT_PHONE = "+79120000000"  # the phone the residents of tests/announcements/data.py gave the bot


def sent(where: Audience, expected: int) -> Announcement:
    notice = Announcement(text="Отключение холодной воды 12 марта с 9 до 18.", audience=where.to_json(),
                          created_by_id=factories.staff("operator").id)
    db.session.add(notice)
    db.session.commit()
    announcements.send(notice, factories.staff("operator"), expected=expected)
    db.session.commit()
    return notice


def outcome(**chats) -> None:
    """c1001="blocked" (failed, why), c1002="sent", c1006="pending"..."""
    for name, what in chats.items():
        status, failure = (what, "") if what in ("sent", "pending") else ("failed", what)
        db.session.execute(update(Notification).where(Notification.chat_id == int(name[1:]))
                           .values(status=status, failure=failure))
    db.session.commit()


def entry(account: str, address: str, reason: str) -> Unreached:
    return Unreached(f"Жилец {account}", account, address, BOT_PHONE, reason)


def test_everyone_not_reached_is_listed_by_address_with_the_reason(residents):
    notice = sent(Audience(), 7)
    outcome(c1001="blocked", c1002="sent", c1003="chat_gone", c1004="rejected", c1005="gave_up", c1006="pending",
            c1007="sent")
    announcements.cancel(notice, factories.staff("operator"))  # 1006's message waited: cancelled
    db.session.commit()
    assert announcements.unreached(notice) == [
        entry("200005", "г. Самара, ул. Ленина, д. 5, кв. 12", "отправка остановлена"),
        # Chat 1001 is bound to two flats: each account is listed.
        entry("200001", "г. Самара, ул. Садовая, д. 17, кв. 12", "житель заблокировал бота"),
        entry("200002", "г. Самара, ул. Садовая, д. 17, кв. 12", "чат удалён или недоступен"),
        entry("200008", "г. Самара, ул. Садовая, д. 17, кв. 12", "житель заблокировал бота"),
        entry("200003", "г. Самара, ул. Садовая, д. 17А, кв. 12", "Telegram отклонил сообщение"),
        entry("200004", "г. Самара, ул. Садовая, д. 19, кв. 12", "Telegram долго не отвечал, попытки прекращены"),
    ]


def test_accounts_at_the_notices_addresses_and_a_chat_no_longer_bound(residents):
    """Chat 1001 also holds an account on ул. Ленина: the notice was about Садовая 17, so only its
    flats there are listed. Chat 1003 was unbound since: listed without an account, saying so."""
    bind(residents["200005"], 1001)
    notice = sent(SADOVAYA_17, 3)
    outcome(c1001="blocked", c1002="sent", c1003="chat_gone")
    db.session.execute(delete(TelegramBinding).where(TelegramBinding.chat_id == 1003))
    db.session.commit()
    assert announcements.unreached(notice) == [
        entry("200001", "г. Самара, ул. Садовая, д. 17, кв. 12", "житель заблокировал бота"),
        entry("200008", "г. Самара, ул. Садовая, д. 17, кв. 12", "житель заблокировал бота"),
        Unreached("—", "", "", "", "чат удалён или недоступен (чат больше не привязан к лицевому счёту)"),
    ]


def test_a_chat_whose_accounts_all_moved_elsewhere_still_lists_them(residents):
    notice = sent(SADOVAYA_17, 3)
    outcome(c1002="blocked", c1001="sent", c1003="sent")
    db.session.execute(update(TelegramBinding).where(TelegramBinding.chat_id == 1002)
                       .values(client_id=residents["200005"].id))  # now bound only to a flat on ул. Ленина
    db.session.commit()
    assert announcements.unreached(notice) == [
        entry("200005", "г. Самара, ул. Ленина, д. 5, кв. 12", "житель заблокировал бота")]


def test_the_final_report_lists_them_on_the_page_and_links_the_excel_file(residents, operator):
    notice = sent(SADOVAYA_17, 3)
    outcome(c1001="sent", c1002="pending", c1003="pending")
    html = operator.page(f"/announcements/{notice.id}")
    assert 'id="unreached"' not in html  # while sending: the progress only
    outcome(c1002="blocked", c1003="sent")
    html = operator.page(f"/announcements/{notice.id}")
    assert 'id="unreached-count">1<' in html
    assert ("<tr><td>Жилец 200002</td><td>200002</td><td>г. Самара, ул. Садовая, д. 17, кв. 12</td>\n"
            '        <td class="nowrap">+7 912 000-00-00</td><td>житель заблокировал бота</td></tr>') in html
    assert f'href="/announcements/{notice.id}/unreached.xlsx"' in html
    assert f'href="/announcements/{notice.id}#unreached" id="unreached-link"' in operator.page(
        f"/announcements/{notice.id}/progress")


def test_a_notice_everyone_received_says_so(residents, operator):
    notice = sent(SADOVAYA_17, 3)
    outcome(c1001="sent", c1002="sent", c1003="sent")
    html = operator.page(f"/announcements/{notice.id}")
    assert 'id="unreached-count">0<' in html and "Объявление получили все" in html
    assert "unreached.xlsx" not in html and 'id="unreached-link"' not in html


def test_the_excel_file_lists_every_one_as_text(app, residents, operator):
    """Every resident not reached, in the page's order; an account keeps its zeros and a name that
    looks like a formula stays text (app/xlsx.py)."""
    client = factories.client("000123", "=HYPERLINK(\"http://evil\")", city="Самара", street="ул. Садовая",
                              house="17", house_letter="", apartment="3")
    bind(client, 1010)
    notice = sent(SADOVAYA_17, 4)
    outcome(c1001="sent", c1002="blocked", c1003="sent", c1010="chat_gone")
    response = operator.get(f"/announcements/{notice.id}/unreached.xlsx")
    assert response.status_code == 200
    day = f"{notice.sent_at.astimezone(app.config['TZ']):%Y-%m-%d}"
    assert f'filename="unreached_{day}_{notice.id}.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))["Не получили"]
    rows = list(sheet.iter_rows())
    assert rows[1][1].value == "Отключение холодной воды 12 марта с 9 до 18."
    assert [c.value for c in rows[3]] == ["Житель", "Лицевой счёт", "Адрес", "Телефон", "Причина"]
    assert [[c.value for c in row] for row in rows[4:]] == [
        ['=HYPERLINK("http://evil")', "000123", "г. Самара, ул. Садовая, д. 17, кв. 3", "+7 912 000-00-00",
         "чат удалён или недоступен"],
        ["Жилец 200002", "200002", "г. Самара, ул. Садовая, д. 17, кв. 12", "+7 912 000-00-00",
         "житель заблокировал бота"],
    ]
    assert all(c.data_type == "s" for row in rows[4:] for c in row)
    assert rows[4][0].quotePrefix and not rows[5][0].quotePrefix
    assert sheet.freeze_panes == "A5"


def test_a_draft_has_no_such_file(residents, operator):
    notice = Announcement(text="Черновик", audience=SADOVAYA_17.to_json(), created_by_id=factories.staff("operator").id)
    db.session.add(notice)
    db.session.commit()
    assert operator.get(f"/announcements/{notice.id}/unreached.xlsx").status_code == 404
