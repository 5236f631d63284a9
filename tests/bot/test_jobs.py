"""Timed work of the bot worker (app.bot.jobs) and durable replies (app.bot.dialog.Turn)."""
from sqlalchemy import select

from app.bot.dialog import Turn
from app.bot.jobs import Job, JobRunner
from app.extensions import db
from app.models import Notification


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_jobs_run_on_their_own_period_and_a_failure_stops_no_other(app):
    runs, woken, clock = [], [], Clock()

    def fine(bot):
        runs.append("fine")

    def broken(bot):
        db.session.add(Notification(chat_id=1, text="never committed"))
        raise RuntimeError("boom")

    runner = JobRunner(app, bot=None, jobs=[Job("fine", 10, fine), Job("broken", 5, broken)],
                       after_each=lambda: woken.append(1), clock=clock)
    assert runner.run_due() == 5 and runs == []  # the first runs one period after the start
    clock.now = 5
    assert runner.run_due() == 5 and runs == []   # broken ran (and failed) alone
    clock.now = 10
    runner.run_due()
    assert runs == ["fine"] and woken == [1]      # woken after the job that committed only
    with app.app_context():
        assert db.session.execute(select(Notification)).first() is None  # the failed job's write rolled back



def test_a_durable_reply_takes_the_messages_said_before_it_into_the_outbox(app):
    with app.app_context():
        turn = Turn(bot=None, user_id=7, chat_id=7)
        turn.send("Шаг 1")
        turn.edit(10, "кнопки убраны")
        turn.send("Заявка № 5 принята", {"keyboard": [["Создать заявку"]]}, durable=True)
        turn.send("И ещё")
        db.session.commit()
        queued = db.session.execute(select(Notification).order_by(Notification.id)).scalars().all()
        assert [(n.text, n.kind) for n in queued] == [
            ("Шаг 1", "reply"), ("Заявка № 5 принята", "reply"), ("И ещё", "reply")]
        assert '"Создать заявку"' in queued[1].buttons
    assert turn.queued == 3 and [c.method for c in turn.calls] == ["edit_message_text"]
