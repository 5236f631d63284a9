"""A notice to 10 000 residents: sent at Telegram's ceiling while request messages still go first.

    .venv/bin/python bench/announcements.py                      # SQLite and PostgreSQL, 10 000 residents
    .venv/bin/python bench/announcements.py --backend sqlite --residents 2000
    .venv/bin/python bench/announcements.py --backend postgresql --pg-url postgresql://root@127.0.0.1:5432/test

For each database backend (a fresh SQLite file; a private PostgreSQL database on the --pg-url /
TEST_DATABASE_URL server, dropped afterwards):

1. Seeds N residents bound to the bot (clients made as `flask seed-demo` makes them, one Telegram
   chat each; 1 % of them also hold a second account in the same house, which must not bring a
   second message), and times queueing the notice to everyone (app.services.messaging.announcements.send:
   one INSERT ... SELECT in one transaction).
2. The real worker (`python bot_worker.py`, NOTIFY_RATE as configured, 25 by default) sends it to
   the local Bot API, which answers 429 (retry_after) a few times during the run. Meanwhile a
   request's status notification is queued every --urgent-every seconds, as the web app does.
3. Prints the notice's send rate (overall, and outside the pauses Telegram asked for), the most
   messages in any 1-second window (Telegram allows about 30), the request notifications'
   latency from commit to Telegram (target: within 2 s), and whether every resident got the
   notice exactly once.

Target (issue 11): >= 25 messages/s with the 429 injection; request notifications within 2 s.
"""
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import Announcement, Client, Notification, StaffUser, TelegramBinding  # noqa: E402
from app.services.messaging import announcements
from app.services.operations import demo_data
from app.services.messaging import outbox  # noqa: E402
from bench.bot import Database, arguments, cpu_seconds, max_in_window, speed_check, start_worker  # noqa: E402
from devtools.databases import postgres_reachable  # noqa: E402
from devtools.local_api import LocalBotApi  # noqa: E402

FIRST_CHAT = 7_000_000
NOTICE = "Плановое отключение холодной воды: 12 марта с 09:00 до 18:00. Приносим извинения за неудобства."
STATUS = "Статус вашей заявки № {n} изменён: в работе."


class RecordingApi(LocalBotApi):
    """The local Bot API, also noting when each message arrived, notice or request (its 429s: `floods`)."""

    def __init__(self):
        super().__init__()
        self.notices: list[tuple[float, int]] = []   # (monotonic time, chat id)
        self.statuses: dict[int, float] = {}          # request number -> when it arrived
        self.sends: list[float] = []                  # every message, notice or request

    def api_sendMessage(self, params):
        result = super().api_sendMessage(params)
        now, text = time.monotonic(), params.get("text") or ""
        with self.lock:
            self.sends.append(now)
            if text == NOTICE:
                self.notices.append((now, int(params["chat_id"])))
            elif text.startswith("Статус вашей заявки № "):
                self.statuses[int(text.split("№ ")[1].split()[0])] = now
        return result


def seed(database: Database, residents: int) -> int:
    """Residents bound to the bot, one chat each (and 1 % with a second account in their house);
    returns the number of distinct chats."""
    rng = random.Random(11)
    clients = demo_data.client_rows(rng, residents)
    second = [dict(c, account=str(900_000_000 + i), apartment=c["apartment"] + "к")
              for i, c in enumerate(clients[:: 100])]
    with database.app.app_context():
        db.session.execute(Client.__table__.insert(), clients + second)
        ids = dict(db.session.execute(select(Client.account, Client.id)).all())
        chat_of = {c["account"]: FIRST_CHAT + i for i, c in enumerate(clients)}
        chat_of.update({s["account"]: chat_of[c["account"]] for s, c in zip(second, clients[:: 100])})
        db.session.execute(TelegramBinding.__table__.insert(), [
            {"client_id": ids[account], "telegram_user_id": chat, "chat_id": chat, "phone": "+79120000000"}
            for account, chat in chat_of.items()])
        db.session.add(StaffUser(login="bench", full_name="Диспетчер", password_hash="!"))
        db.session.commit()
    return residents


def queue_notice(database: Database, expected: int) -> tuple[int, float]:
    """Send the notice to everyone as the «Отправить» button does; returns (its id, seconds taken)."""
    with database.app.app_context():
        staff = db.session.execute(select(StaffUser)).scalar_one()
        notice = Announcement(text=NOTICE, audience="{}", created_by_id=staff.id)
        db.session.add(notice)
        db.session.commit()
        started = time.perf_counter()
        queued = announcements.send(notice, staff, expected)
        db.session.commit()
        return notice.id, time.perf_counter() - started if queued == expected else float("nan")


def urgent_loop(database: Database, chats: int, every: float, stop: threading.Event, queued: dict) -> None:
    """A dispatcher moving requests along: a status notification every `every` seconds."""
    rng, n = random.Random(5), 0
    while not stop.wait(every):
        n += 1
        with database.app.app_context():
            outbox.queue(FIRST_CHAT + rng.randrange(chats), STATUS.format(n=n))
            db.session.commit()
        queued[n] = time.monotonic()


def pending(database: Database, notice_id: int) -> int:
    return database.count(Notification, Notification.announcement_id == notice_id,
                          Notification.status == outbox.PENDING)


def run_backend(backend: str, args) -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"bench-notice-{backend}-"))
    print(f"\n== {backend} ==", flush=True)
    database = Database(backend, root, args.pg_url)
    api = RecordingApi().start()
    worker, stop = None, threading.Event()
    try:
        chats = seed(database, args.residents)
        worker = start_worker(database, api, None)
        notice_id, queue_seconds = queue_notice(database, chats)
        print(f"  queued: {chats} residents' messages in one transaction in {queue_seconds:.2f} s", flush=True)
        queued: dict[int, float] = {}
        threading.Thread(target=urgent_loop, args=(database, chats, args.urgent_every, stop, queued),
                         daemon=True).start()
        cpu0, started = cpu_seconds(worker.proc.pid), time.monotonic()
        floods = 0
        deadline = started + chats / 5 + 120
        while time.monotonic() < deadline:
            sent = len(api.notices)
            if floods < args.floods and sent >= (floods + 1) * chats // (args.floods + 1):
                api.inject("sendMessage", "429", retry_after=args.retry_after)
                floods += 1
            if sent >= chats and not pending(database, notice_id):
                break
            time.sleep(0.05)
        stop.set()
        api.wait_until(lambda: all(n in api.statuses for n in list(queued)), 10)  # the last ones
        cpu = cpu_seconds(worker.proc.pid) - cpu0
        worker.stop()
        return report(database, api, notice_id, chats, queued, cpu, args) | {"problems": worker.problems()}
    finally:
        stop.set()
        if worker is not None and worker.running:
            worker.stop()
        api.stop()
        database.drop()
        if args.keep:
            print(f"  kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def report(database, api, notice_id, chats, queued, cpu, args) -> dict:
    notices = sorted(t for t, _ in api.notices)
    first, last = notices[0], notices[-1]
    times = [t for t in sorted(api.sends) if first <= t <= last]  # the notice's and requests' meanwhile
    span = last - first
    paused = 0.0
    for flood in api.floods:  # how long sending stood still after each 429
        after = [t for t in times if t > flood]
        paused += (after[0] - flood) if after else 0.0
    overall = (len(times) - 1) / span if span else 0.0
    outside = (len(times) - 1) / (span - paused) if span > paused else 0.0
    notice_rate = (len(notices) - 1) / span if span else 0.0
    latencies = sorted(api.statuses[n] - queued[n] for n in queued if n in api.statuses)
    # a late one that waited out a 429 (Telegram stops every send of the bot for retry_after)
    late_in_pause = sum(1 for n in queued if n in api.statuses and api.statuses[n] - queued[n] > 2.0
                        and any(queued[n] - 1 <= f <= api.statuses[n] for f in api.floods))
    lost_urgent = [n for n in queued if n not in api.statuses]
    per_chat = Counter(chat for _, chat in api.notices)
    with database.app.app_context():
        statuses = dict(db.session.execute(
            select(Notification.status, func.count()).where(Notification.announcement_id == notice_id)
            .group_by(Notification.status)).all())
    once = len(per_chat) == chats and set(per_chat.values()) == {1} and statuses == {"sent": chats}
    result = {
        "overall": overall, "outside": outside, "notice": notice_rate, "peak": max_in_window(times),
        "floods": len(api.floods),
        "paused": paused, "p50": statistics.median(latencies) if latencies else 0.0,
        "max": latencies[-1] if latencies else 0.0, "late": sum(lat > 2.0 for lat in latencies),
        "late_in_pause": late_in_pause,
        "urgent": len(latencies), "lost_urgent": len(lost_urgent), "once": once, "cpu": cpu,
    }
    print(f"  sending: {len(notices)} notice and {len(times) - len(notices)} request messages in {span:.1f} s -> "
          f"{outside:.1f} msg/s outside the pauses Telegram asked for, {overall:.1f} msg/s overall "
          f"({len(api.floods)} x 429, retry_after {args.retry_after} s: {paused:.1f} s standing still); "
          f"the notice alone {notice_rate:.1f} msg/s; most in any 1 s window: {result['peak']} (Telegram: ~30)")
    print(f"  request notifications queued meanwhile: {len(latencies)}, commit -> Telegram p50 "
          f"{result['p50']:.2f} s, max {result['max']:.2f} s, over 2 s: {result['late']} "
          f"({late_in_pause} of them waited out a 429), "
          f"not delivered: {len(lost_urgent)}")
    print(f"  every resident once: {'yes' if once else 'NO'} ({len(per_chat)} chats, {len(notices)} messages, "
          f"rows {statuses}); worker CPU {cpu:.1f} s")
    return result


def main() -> int:
    parser = arguments(__doc__, residents=10_000)
    parser.add_argument("--floods", type=int, default=3, help="429 answers injected during the run")
    parser.add_argument("--retry-after", type=int, default=1, help="their retry_after, seconds")
    parser.add_argument("--urgent-every", type=float, default=1.5, help="seconds between request notifications")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (worker log)")
    args = parser.parse_args()
    print(f"bench/announcements.py: {args.residents} residents, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}, speed check {speed_check() * 1000:.0f} ms (lower is faster)")
    summary = []
    for backend in (["sqlite", "postgresql"] if args.backend == "both" else [args.backend]):
        if backend == "postgresql" and not postgres_reachable(args.pg_url):
            continue
        summary.append((backend, run_backend(backend, args)))
    print(f"\n== summary: {args.residents} residents, NOTIFY_RATE {os.environ.get('NOTIFY_RATE', 25)} ==")
    print(f"{'backend':<11} {'msg/s':>6} {'w/ 429':>7} {'notice':>7} {'max 1 s':>8} {'req p50':>8} "
          f"{'req max':>8} {'> 2 s':>6} {'once':>5}")
    failed = False
    for backend, r in summary:
        print(f"{backend:<11} {r['outside']:>6.1f} {r['overall']:>7.1f} {r['notice']:>7.1f} {r['peak']:>8} "
              f"{r['p50']:>7.2f}s {r['max']:>7.2f}s {r['late']:>6} {'yes' if r['once'] else 'NO':>5}")
        failed |= not r["once"] or bool(r["lost_urgent"]) or bool(r["problems"])
        for line in r["problems"][:3]:
            print("   worker:", line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
