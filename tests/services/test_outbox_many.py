"""outbox.queue_many: many messages in one INSERT, as queue() would write them, after the rows queued before."""
from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from app.services.messaging import outbox
from app.telegram.limits import MESSAGE_TEXT_MAX


def test_many_messages_are_queued_whole_in_order_after_those_queued_before(app):
    with app.app_context():
        outbox.queue(1, "Раньше", kind="status")
        long_text = ("слово " * 1000).strip()  # 5 999 characters: two messages
        assert MESSAGE_TEXT_MAX < len(long_text) <= 2 * MESSAGE_TEXT_MAX
        assert outbox.queue_many([(2, "Первое", None), (3, long_text, None)], kind="status",
                                 priority=outbox.URGENT) == 3
        assert outbox.queue_many([]) == 0
        db.session.commit()
        rows = db.session.execute(select(Notification).order_by(Notification.id)).scalars().all()
        assert [(r.chat_id, r.status, r.priority, r.buttons) for r in rows] == [
            (1, "pending", outbox.URGENT, ""), (2, "pending", outbox.URGENT, ""),
            (3, "pending", outbox.URGENT, ""), (3, "pending", outbox.URGENT, "")]
        assert " ".join(r.text for r in rows[2:]) == long_text and all(r.created_at for r in rows)
