"""A double click on «Отправить жителю» under waitress: two posts of the same form at the same moment,
on two threads of the server, make one message and one outbox row (issue 17)."""
import threading

import requests
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, RequestMessage
from tests import factories
from tests.journal.test_conversation import message_form
from tests.load.conftest import WebServer, add_staff


def test_two_posts_of_one_message_form_at_once_send_one_message(tmp_path, database_url):
    web = WebServer(tmp_path, database_url, threads=4)
    browsers = []
    try:
        add_staff(web.app, "dispatcher")
        with web.app.app_context():
            request_id = factories.request(author_telegram_id=900, author_chat_id=900).id
            db.session.commit()
        first = web.session("dispatcher")
        second = requests.Session()  # the same browser: its cookies, another connection
        second.trust_env = False
        second.cookies.update(first.cookies)
        browsers += [first, second]
        url = f"{web.url}/requests/{request_id}/messages"
        form = {**message_form(first.get(f"{web.url}/requests/{request_id}", timeout=30).text),
                "text": "Мастер придёт в 10"}
        both = threading.Barrier(2)
        answers = []

        def click(browser):
            both.wait()
            answers.append(browser.post(url, data=form, allow_redirects=False, timeout=60).status_code)

        clicks = [threading.Thread(target=click, args=(browser,)) for browser in (first, second)]
        for thread in clicks:
            thread.start()
        for thread in clicks:
            thread.join()
        assert answers == [303, 303]
        with web.app.app_context():
            assert db.session.execute(select(RequestMessage.text)).scalars().all() == ["Мастер придёт в 10"]
            assert len(db.session.execute(select(Notification).where(Notification.kind == "message")).all()) == 1
    finally:
        for browser in browsers:  # their keep-alive connections first, then the server
            browser.close()
        web.close()
