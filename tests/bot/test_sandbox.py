"""`python -m devtools.sandbox`: the local API, the real worker and a terminal resident, driven by typed lines."""
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.extensions import db
from app.models import TelegramBinding
from devtools import sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only]


def test_sandbox_chat_identifies_a_resident(app, ctx):
    ctx.client(account="100001")
    ctx.category()
    typed = "\n".join(["/start", "#1", "#1", "12ab", "100001", "!contact", "#3", "!quit"]) + "\n"  # #3: «Мои заявки»
    result = CliRunner().invoke(sandbox.main, ["--user-id", "4242", "--phone", "+79005556677"], input=typed, obj=app)
    assert result.exit_code == 0, result.output
    out = result.output
    for fragment in ("ЛС 100001", "бот: Здравствуйте!", "[#1] Идентификация", "Согласие на обработку",
                     "[#1] Согласен", "Введите номер лицевого счёта",
                     "состоит только из цифр", "Лицевой счёт найден", "[#1] 📱 Отправить мой номер",
                     "Готово! Вы привязаны к лицевому счёту № 100001", "Телефон: +7 900 555-66-77",
                     "У вас пока нет заявок", "Песочница остановлена."):
        assert fragment in out, out
    pair = db.session.execute(select(TelegramBinding).where(TelegramBinding.telegram_user_id == 4242)).scalar_one()
    assert pair.phone == "+79005556677"
