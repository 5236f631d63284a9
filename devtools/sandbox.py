"""`python -m devtools.sandbox`: chat with the bot in a terminal, no Telegram token needed.

It starts the local Bot API server and the real worker process (`bot_worker.py`)
on the configured database, and plays a resident with what you type:

    text                 sent as a message (/start, /help, /cancel too)
    #3                   press button 3 (buttons under the last message, then the keyboard)
    !contact [+7...]     share your own contact (the --phone number by default)
    !photo FILE [text]   send a photo from a file, with an optional caption
    !sticker  !voice     send a sticker or a voice message
    !quit                stop (Ctrl+D and Ctrl+C work too)

The worker's log goes to <instance>/bot-sandbox.log. It uses the app's settings (environment
and `.env`: DATABASE_URL, STORAGE_DIR...); the app itself knows nothing of this module.
"""
import sys
import threading
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Category, Client
from devtools.local_api import BotMessage, LocalBotApi, Resident
from devtools.worker_process import NotPolling, WorkerProcess

SHARE_PHONE_PREFIX = "📱"


class Chat:
    """The terminal side: prints the bot's messages and numbers the buttons to press."""

    def __init__(self, api: LocalBotApi, resident: Resident, out):
        self.api, self.resident, self.out = api, resident, out
        self.cursor = 0
        self.inline: BotMessage | None = None  # the newest message with inline buttons
        self.printed: dict[int, str] = {}  # message id -> the text shown
        self.lock = threading.Lock()
        self.seen = threading.Condition(self.lock)

    def choices(self) -> list[tuple[str, BotMessage | None]]:
        inline = [(text, self.inline) for text in (self.inline.buttons if self.inline else [])]
        return inline + [(text, None) for text in self.resident.keyboard]

    def pump(self, stop: threading.Event) -> None:
        """Print every new or edited bot message as it arrives."""
        while not stop.is_set():
            event = self.api.wait_event(self.resident.chat_id, self.cursor, 0.5)
            if event is None:
                continue
            kind, message = event
            with self.lock:
                self.cursor += 1
                if message.keyboard is not None and kind == "message":
                    self.resident.keyboard = message.keyboard
                if message.buttons:
                    self.inline = message
                elif self.inline is not None and self.inline.message_id == message.message_id:
                    self.inline = None
                if self.printed.get(message.message_id) != message.text:  # not just buttons removed
                    label = "бот (исправил сообщение)" if kind == "edit" else "бот"
                    self.out(f"\n{label}: {message.text}")
                    self.printed[message.message_id] = message.text
                options = self.choices()
                if options:
                    self.out("   " + "  ".join(f"[#{n}] {text}" for n, (text, _) in enumerate(options, 1)))
                self.seen.notify_all()

    def wait_reply(self, since: int, timeout: float = 10.0) -> None:
        """Hold the prompt until the bot has said something after event `since` (or timeout)."""
        with self.lock:
            self.seen.wait_for(lambda: self.cursor > since, timeout)
            self.seen.wait_for(lambda: False, 0.3)  # a reply is often two messages


def _hint() -> str:
    clients = db.session.execute(select(func.count()).select_from(Client)).scalar_one()
    categories = db.session.execute(select(func.count()).select_from(Category).where(Category.active)).scalar_one()
    if not clients or not categories:
        return "В базе нет клиентов или категорий: заполните справочники или выполните `flask seed-demo`."
    account = db.session.execute(select(Client.account).order_by(Client.id).limit(1)).scalar_one()
    return f"Для идентификации подойдёт, например, ЛС {account} (клиентов в базе: {clients})."


def run(app: Flask, user_id: int, name: str, phone: str) -> None:
    """Chat with the bot in this terminal as Telegram user `user_id` until !quit or end of input."""
    out = click.echo
    log_path = Path(app.instance_path) / "bot-sandbox.log"
    api = LocalBotApi().start()
    worker = WorkerProcess(api, log_path, app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path,
                           app.config["STORAGE_DIR"], BOT_POLL_TIMEOUT=5)
    stop = threading.Event()
    try:
        out("Запускаю бота…")
        try:
            worker.start()
        except NotPolling:
            raise click.ClickException(f"Бот не запустился, см. {log_path}") from None
        out(f"Песочница бота: вы — {name} (Telegram id {user_id}). {_hint()}")
        out("Пишите сообщения; #N — нажать кнопку N; !contact, !photo ФАЙЛ, !sticker, !voice; !quit — выход.")
        resident = Resident(api, user_id, name)
        chat = Chat(api, resident, out)
        threading.Thread(target=chat.pump, args=(stop,), daemon=True).start()
        _repl(chat, resident, phone)
    finally:
        stop.set()
        if worker.running:
            worker.stop(timeout=30)
        api.stop()
        out("Песочница остановлена.")


def _repl(chat: Chat, resident: Resident, phone: str) -> None:
    while True:
        click.echo("> ", nl=False)
        line = sys.stdin.readline()
        if not line:  # end of input
            return
        line = line.strip()
        if not line:
            continue
        if line == "!quit":
            return
        with chat.lock:
            since = chat.cursor
        try:
            if not _act(chat, resident, line, phone):
                continue
        except (OSError, ValueError, AssertionError) as exc:
            click.echo(f"Не получилось: {exc}")
            continue
        chat.wait_reply(since)


def _act(chat: Chat, resident: Resident, line: str, phone: str) -> bool:
    """Do what the line says; False when nothing was sent."""
    if line.startswith("#") and line[1:].isdigit():
        with chat.lock:
            options = chat.choices()
        number = int(line[1:])
        if not 1 <= number <= len(options):
            click.echo("Нет кнопки с таким номером.")
            return False
        text, message = options[number - 1]
        if message is not None:
            resident.press(text, message=message, wait=False)
        elif text.startswith(SHARE_PHONE_PREFIX):
            resident.share_contact(phone)
        else:
            resident.send(text)
        return True
    command, _, rest = line.partition(" ")
    if command == "!contact":
        resident.share_contact(rest.strip() or phone)
    elif command == "!photo":
        path, _, caption = rest.strip().partition(" ")
        resident.send_photo(Path(path).expanduser().read_bytes(), caption=caption or None)
    elif command == "!sticker":
        resident.send_sticker()
    elif command == "!voice":
        resident.send_voice()
    else:
        resident.send(line)
    return True


@click.command("sandbox")
@click.option("--user-id", default=100000001, show_default=True, help="Your Telegram user id in the sandbox.")
@click.option("--name", default="Жилец", show_default=True, help="Your first name in Telegram.")
@click.option("--phone", default="+79001234567", show_default=True, help="The number !contact shares.")
@click.pass_context
def main(ctx: click.Context, user_id: int, name: str, phone: str) -> None:
    """Chat with the bot in this terminal through a local Bot API server (no token needed)."""
    app = ctx.obj if isinstance(ctx.obj, Flask) else create_app()  # a test passes its own app
    with app.app_context():
        run(app, user_id, name, phone)


if __name__ == "__main__":
    main()
