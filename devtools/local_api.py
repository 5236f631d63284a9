"""A local Telegram Bot API server for tests, benchmarks and the sandbox, and a simulated resident.

`LocalBotApi` is a small threaded HTTP server speaking the Bot API methods the
worker calls: getMe, getUpdates (offset confirms, limit, long-poll timeout),
sendMessage, sendPhoto (an upload or a known file id), editMessageText,
editMessageReplyMarkup, answerCallbackQuery,
getFile and file download, deleteWebhook, setMyCommands, sendChatAction. It
records what the bot sent to each chat and can inject faults: HTTP 500 or 502,
429 with retry_after, a delay, a connection dropped before or after the method ran,
a chat that blocked the bot.

`Resident` plays one Telegram user against it: send text, share a contact, send
a photo (hosted by the server), press an inline button by its text, and wait for
the bot's next message.

Point the worker at it with TELEGRAM_API_URL=<api.url>. Only standard library.
"""
import itertools
import json
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

TEXT_MAX = 4096
CAPTION_MAX = 1024


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


@dataclass
class Fault:
    method: str  # a Bot API method name, "file" for downloads, or "*"
    kind: str  # "500", "502", "429", "delay", "drop" (before the method runs), "drop_after" (after it)
    times: int = 1
    retry_after: int = 1
    seconds: float = 0.0


@dataclass
class BotMessage:
    """A message the bot sent, as it looks now (edits applied)."""

    chat_id: int
    message_id: int
    text: str  # a photo's caption
    reply_markup: dict | None = None
    edits: int = 0
    photo: str | None = None  # the file id of a photo message (its bytes: LocalBotApi.file_bytes)
    parse_mode: str | None = None  # as the bot asked (None: plain text, nothing in it is markup)

    @property
    def buttons(self) -> list[str]:
        """Texts of the inline buttons under the message."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b.get("text", "") for row in rows for b in row]

    @property
    def keyboard(self) -> list[str] | None:
        """Texts of the reply keyboard it sets; [] when it removes the keyboard; None if untouched."""
        markup = self.reply_markup or {}
        if markup.get("remove_keyboard"):
            return []
        if "keyboard" in markup:
            return [b if isinstance(b, str) else b.get("text", "") for row in markup["keyboard"] for b in row]
        return None

    def button_data(self, text: str) -> str | None:
        for row in (self.reply_markup or {}).get("inline_keyboard") or []:
            for b in row:
                if b.get("text") == text:
                    return b.get("callback_data")
        return None

    def to_api(self, bot_user: dict) -> dict:
        result = {"message_id": self.message_id, "from": bot_user, "date": int(time.time()),
                  "chat": {"id": self.chat_id, "type": "private"}, "text": self.text}
        if self.photo is not None:
            del result["text"]
            result["photo"] = [{"file_id": self.photo, "file_unique_id": "U" + self.photo,
                                "width": 1280, "height": 960}]
            if self.text:
                result["caption"] = self.text
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            result["reply_markup"] = self.reply_markup
        return result


@dataclass
class _Chat:
    cond: threading.Condition  # shares the server's lock; wakes only this chat's waiters
    messages: dict[int, BotMessage] = field(default_factory=dict)
    events: list[tuple[str, int]] = field(default_factory=list)  # ("message"|"edit", message_id)
    answers: dict[str, dict] = field(default_factory=dict)  # callback_query_id -> answerCallbackQuery params


class LocalBotApi:
    def __init__(self, token: str = "123456:LOCAL-TEST-TOKEN", host: str = "127.0.0.1", port: int = 0):
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Бот УК",
                         "username": "uk_local_bot", "can_join_groups": False,
                         "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)  # updates and pollers
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self.updates: list[dict] = []  # not yet confirmed by an offset
        self.redeliver: list[dict] = []  # confirmed, but delivered once more (at-least-once delivery)
        self.chats: dict[int, _Chat] = {}
        self.callback_chats: dict[str, int] = {}  # callback_query_id -> chat id
        self.files: dict[str, dict] = {}  # file_id -> {"content", "file_path", "unique_id"}
        self.faults: list[Fault] = []
        self.floods: list[float] = []  # when each injected 429 was answered (time.monotonic())
        self.blocked: set[int] = set()
        self.calls: dict[str, int] = {}
        self.pollers = 0  # getUpdates calls waiting right now
        self.closing = False
        self._server = _Server((host, port), _Handler)
        self._server.api = self
        self._thread: threading.Thread | None = None

    # --- lifecycle ---
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalBotApi":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="local-bot-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- the resident side ---
    def next_message_id(self) -> int:
        return next(self._ids)

    def push_update(self, payload: dict, duplicate: bool = False) -> int:
        """Queue an update ({"message": ...} or {"callback_query": ...}); `duplicate` delivers it twice."""
        with self.cond:
            update = {"update_id": next(self._update_ids), **payload}
            call = payload.get("callback_query")
            if call:
                self.callback_chats[call["id"]] = call["message"]["chat"]["id"]
            if duplicate:
                update["_duplicate"] = True
            self.updates.append(update)
            self.cond.notify_all()
            return update["update_id"]

    def add_file(self, content: bytes, ext: str = ".jpg") -> dict:
        """Host a file as Telegram would; returns its file_id, file_unique_id, file_path, file_size."""
        file_id = "F" + secrets.token_hex(12)
        info = {"file_id": file_id, "file_unique_id": "U" + secrets.token_hex(6),
                "file_path": f"photos/file_{len(self.files)}{ext}", "file_size": len(content)}
        with self.cond:
            self.files[file_id] = {**info, "content": content}
        return info

    def messages(self, chat_id: int) -> list[BotMessage]:
        with self.lock:
            return list(self._chat(chat_id).messages.values())

    def wait_event(self, chat_id: int, index: int, timeout: float) -> tuple[str, BotMessage] | None:
        """The chat's event number `index` (a new or edited bot message), waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            chat = self._chat(chat_id)
            while len(chat.events) <= index:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                chat.cond.wait(left)
            kind, message_id = chat.events[index]
            return kind, chat.messages[message_id]

    def wait_answer(self, chat_id: int, callback_id: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            chat = self._chat(chat_id)
            while callback_id not in chat.answers:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                chat.cond.wait(left)
            return chat.answers[callback_id]

    def wait_until(self, predicate, timeout: float, check_every: float = 0.05) -> bool:
        """Wait until predicate() is true; it is checked on every server event and every `check_every` s."""
        deadline = time.monotonic() + timeout
        while not predicate():  # called without the lock: it may be slow (a database query)
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with self.cond:
                self.cond.wait(min(left, check_every))
        return True

    def wait_polling(self, timeout: float = 30) -> bool:
        """Wait until the bot is long-polling with nothing left to fetch (it is idle and ready)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not (self.pollers > 0 and not self.updates and not self.redeliver):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    # --- faults ---
    def inject(self, method: str, kind: str, times: int = 1, **options) -> None:
        with self.cond:
            self.faults.append(Fault(method, kind, times, **options))

    def clear_faults(self) -> None:
        with self.cond:
            self.faults.clear()

    def block(self, chat_id: int, blocked: bool = True) -> None:
        with self.cond:
            (self.blocked.add if blocked else self.blocked.discard)(chat_id)

    def _take_fault(self, method: str) -> Fault | None:
        with self.cond:
            for fault in self.faults:
                if fault.method in (method, "*") and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    if fault.kind == "429":
                        self.floods.append(time.monotonic())
                    return fault
        return None

    # --- the Bot API ---
    def _chat(self, chat_id: int) -> _Chat:
        """The chat's record (call with the lock held)."""
        chat = self.chats.get(int(chat_id))
        if chat is None:
            chat = self.chats[int(chat_id)] = _Chat(threading.Condition(self.lock))
        return chat

    def call(self, method: str, params: dict):
        with self.cond:
            self.calls[method] = self.calls.get(method, 0) + 1
        handler = getattr(self, "api_" + method, None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params)

    def api_getMe(self, params):
        return self.bot_user

    def api_deleteWebhook(self, params):
        return True

    def api_setMyCommands(self, params):
        return True

    def api_sendChatAction(self, params):
        return True

    def api_getUpdates(self, params):
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self.cond:
            if offset:
                confirmed = [u for u in self.updates if u["update_id"] < offset]
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                for update in confirmed:
                    if update.pop("_duplicate", False):
                        self.redeliver.append(update)
            self.pollers += 1
            self.cond.notify_all()  # wait_polling() watches this
            try:
                while not (self.updates or self.redeliver or self.closing):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self.cond.wait(left)
            finally:
                self.pollers -= 1
            again, self.redeliver = self.redeliver[:limit], self.redeliver[limit:]
            batch = again + self.updates[:limit - len(again)]
            self.cond.notify_all()
            return [{k: v for k, v in u.items() if not k.startswith("_")} for u in batch]

    def api_sendMessage(self, params):
        chat_id = int(params["chat_id"])
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > TEXT_MAX:
            raise ApiError(400, "Bad Request: message is too long")
        return self._deliver(chat_id, text, params)

    def api_sendPhoto(self, params):
        chat_id = int(params["chat_id"])
        caption = params.get("caption") or ""
        if len(caption) > CAPTION_MAX:
            raise ApiError(400, "Bad Request: message caption is too long")
        photo = params.get("photo")
        if isinstance(photo, dict):  # uploaded: hosted from now on under a new file id
            if not photo["content"]:
                raise ApiError(400, "Bad Request: file must be non-empty")
            file_id = self.add_file(photo["content"], ".jpg")["file_id"]
        else:
            with self.cond:
                known = photo in self.files
            if not known:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            file_id = photo
        return self._deliver(chat_id, caption, params, photo=file_id)

    def _deliver(self, chat_id: int, text: str, params, photo=None) -> dict:
        """The bot's message lands in the chat (unless the user blocked the bot)."""
        with self.cond:
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            message = BotMessage(chat_id, self.next_message_id(), text, _markup(params), photo=photo,
                                 parse_mode=params.get("parse_mode"))
            chat = self._chat(chat_id)
            chat.messages[message.message_id] = message
            chat.events.append(("message", message.message_id))
            chat.cond.notify_all()
            return message.to_api(self.bot_user)

    def file_bytes(self, file_id: str) -> bytes | None:
        with self.cond:
            info = self.files.get(file_id)
        return info["content"] if info else None

    def _edit(self, params, text: str | None, markup: dict | None):
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        with self.cond:
            if chat_id in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            message = self._chat(chat_id).messages.get(message_id)
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            new_text = message.text if text is None else text
            if new_text == message.text and (markup or None) == (message.reply_markup or None):
                raise ApiError(400, "Bad Request: message is not modified: specified new message content "
                                    "and reply markup are exactly the same as a current content and reply "
                                    "markup of the message")
            message.text, message.reply_markup = new_text, markup
            message.edits += 1
            self._chat(chat_id).events.append(("edit", message_id))
            self._chat(chat_id).cond.notify_all()
            return message.to_api(self.bot_user)

    def api_editMessageText(self, params):
        text = params.get("text") or ""
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._edit(params, text, _markup(params))

    def api_editMessageReplyMarkup(self, params):
        return self._edit(params, None, _markup(params))

    def api_answerCallbackQuery(self, params):
        callback_id = str(params["callback_query_id"])
        with self.cond:
            chat = self._chat(self.callback_chats.pop(callback_id, 0))
            chat.answers[callback_id] = dict(params)
            chat.cond.notify_all()
        return True

    def api_getFile(self, params):
        with self.cond:
            info = self.files.get(params.get("file_id", ""))
        if info is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {k: v for k, v in info.items() if k != "content"}

    def file_content(self, file_path: str) -> bytes | None:
        with self.cond:
            for info in self.files.values():
                if info["file_path"] == file_path:
                    return info["content"]
        return None


def _multipart(raw: bytes, content_type: str) -> dict:
    """Fields of a multipart/form-data body (an uploaded file: {"filename", "content"})."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            fields[name] = {"filename": part.get_filename(), "content": content}
        else:
            fields[name] = content.decode()
    return fields


def _markup(params: dict) -> dict | None:
    raw = params.get("reply_markup")
    if not raw:
        return None
    return raw if isinstance(raw, dict) else json.loads(raw)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    api: LocalBotApi

    def handle_error(self, request, client_address):
        """A client that went away (the worker stopped mid long-poll) is not an error here."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as telebot's requests session expects
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms stalls

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read the recorded calls instead
        pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self):
        api: LocalBotApi = self.server.api
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        params.update(self._body())
        file_prefix = f"/file/bot{api.token}/"
        method_prefix = f"/bot{api.token}/"
        if url.path.startswith(file_prefix):
            method = "file"
        elif url.path.startswith(method_prefix):
            method = url.path[len(method_prefix):]
        elif url.path.startswith("/bot") or url.path.startswith("/file/bot"):
            return self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        else:
            return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

        fault = api._take_fault(method)
        if fault is not None and fault.kind != "drop_after":
            if fault.kind == "drop":
                self.close_connection = True
                return
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "429":
                return self._json(429, {"ok": False, "error_code": 429,
                                        "description": f"Too Many Requests: retry after {fault.retry_after}",
                                        "parameters": {"retry_after": fault.retry_after}})
            elif fault.kind == "502":
                return self._send(502, b"<html>502 Bad Gateway</html>", "text/html")
            else:
                return self._json(500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})

        if method == "file":
            content = api.file_content(unquote(url.path[len(file_prefix):]))
            if content is None:
                return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return self._send(200, content, "application/octet-stream")
        try:
            result = api.call(method, params)
            if fault is not None and fault.kind == "drop_after":  # done, but the answer is lost
                self.close_connection = True
                return
        except ApiError as exc:
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            return self._json(exc.code, body)
        except (KeyError, ValueError) as exc:
            return self._json(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"})
        return self._json(200, {"ok": True, "result": result})

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        raw = self.rfile.read(length)
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            value = json.loads(raw or b"{}")
            return value if isinstance(value, dict) else {}
        if kind.startswith("application/x-www-form-urlencoded"):
            return {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        if kind.startswith("multipart/form-data"):
            return _multipart(raw, kind)
        return {}

    def _json(self, status: int, body: dict):
        self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, content: bytes, kind: str):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


class NoReply(AssertionError):
    pass


class Resident:
    """A Telegram user talking to the bot through a LocalBotApi (private chat: chat id = user id)."""

    def __init__(self, api: LocalBotApi, user_id: int, first_name: str = "Жилец", timeout: float = 10.0):
        self.api = api
        self.user_id = self.chat_id = user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}
        self.timeout = timeout
        self.cursor = 0  # events of the chat already read
        self.keyboard: list[str] = []  # the reply keyboard the client shows now
        self.transcript: list[str] = []

    # --- talking ---
    def _message(self, **content) -> dict:
        return {"message_id": self.api.next_message_id(), "from": self.user, "date": int(time.time()),
                "chat": {"id": self.chat_id, "type": "private", "first_name": self.user["first_name"]},
                **content}

    def _push(self, duplicate: bool = False, **content) -> int:
        self.transcript.append(f"> {content.get('text') or next(iter(content))}")
        return self.api.push_update({"message": self._message(**content)}, duplicate=duplicate)

    def send(self, text: str, duplicate: bool = False) -> int:
        extra = {}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push(duplicate=duplicate, text=text, **extra)

    def share_contact(self, phone: str, own: bool = True, duplicate: bool = False) -> int:
        contact = {"phone_number": phone, "first_name": self.user["first_name"]}
        if own:
            contact["user_id"] = self.user_id
        else:
            contact["user_id"] = self.user_id + 1_000_000
        return self._push(duplicate=duplicate, contact=contact)

    def send_photo(self, content: bytes, caption: str | None = None, media_group_id: str | None = None,
                   duplicate: bool = False) -> dict:
        info = self.api.add_file(content, ".jpg")
        sizes = [{"file_id": "T" + info["file_id"], "file_unique_id": "T" + info["file_unique_id"],
                  "width": 90, "height": 90, "file_size": 100},
                 {"file_id": info["file_id"], "file_unique_id": info["file_unique_id"],
                  "width": 1280, "height": 960, "file_size": len(content)}]
        extra = {"caption": caption} if caption else {}
        if media_group_id:
            extra["media_group_id"] = media_group_id
        self._push(duplicate=duplicate, photo=sizes, **extra)
        return info

    def send_document(self, content: bytes, file_name: str, mime_type: str, file_size: int | None = None,
                      caption: str | None = None, media_group_id: str | None = None) -> dict:
        """A file sent "as a document" (file_size may claim more than `content`, to test limits)."""
        info = self.api.add_file(content, "." + file_name.rpartition(".")[2])
        document = {"file_id": info["file_id"], "file_unique_id": info["file_unique_id"],
                    "file_name": file_name, "mime_type": mime_type, "file_size": file_size or len(content)}
        extra = {"caption": caption} if caption else {}
        if media_group_id:
            extra["media_group_id"] = media_group_id
        self._push(document=document, **extra)
        return info

    def send_sticker(self) -> int:
        return self._push(sticker={"file_id": "S1", "file_unique_id": "S1u", "type": "regular",
                                   "width": 512, "height": 512, "is_animated": False, "is_video": False,
                                   "emoji": "😀"})

    def send_voice(self) -> int:
        return self._push(voice={"file_id": "V1", "file_unique_id": "V1u", "duration": 3,
                                 "mime_type": "audio/ogg"})

    def send_location(self) -> int:
        return self._push(location={"latitude": 53.2, "longitude": 50.1})

    def press(self, text: str, message: BotMessage | None = None, duplicate: bool = False,
              wait: bool = True) -> dict | None:
        """Press the inline button `text` (on `message`, or the newest message showing it).

        Waits for the bot's answerCallbackQuery (the bot answers after its other calls) and returns it.
        """
        if message is None:
            candidates = [m for m in self.api.messages(self.chat_id) if text in m.buttons]
            if not candidates:
                raise NoReply(f"no inline button {text!r} in the chat\n" + self.dump())
            message = candidates[-1]
        data = message.button_data(text)
        if data is None:
            raise NoReply(f"message {message.message_id} has no button {text!r}: {message.buttons}")
        return self.press_data(data, message, duplicate=duplicate, wait=wait, label=text)

    def press_data(self, data: str, message: BotMessage, duplicate: bool = False, wait: bool = True,
                   label: str | None = None) -> dict | None:
        """Press a button carrying `data` on `message` (a forged one too, as a modified client sends)."""
        callback_id = secrets.token_hex(8)
        self.transcript.append(f"> [{label or data}]")
        self.api.push_update({"callback_query": {
            "id": callback_id, "from": self.user, "chat_instance": str(self.chat_id), "data": data,
            "message": message.to_api(self.api.bot_user),
        }}, duplicate=duplicate)
        if not wait:
            return None
        answer = self.api.wait_answer(self.chat_id, callback_id, self.timeout)
        if answer is None:
            raise NoReply(f"the button {label or data!r} was not answered in {self.timeout} s\n" + self.dump())
        return answer

    # --- reading ---
    def next_message(self, timeout: float | None = None) -> BotMessage:
        """The bot's next new message in this chat (edits of older ones are skipped)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            event = self.api.wait_event(self.chat_id, self.cursor, max(0.0, deadline - time.monotonic()))
            if event is None:
                raise NoReply(f"no reply from the bot in {timeout or self.timeout} s\n" + self.dump())
            self.cursor += 1
            kind, message = event
            if kind == "message":
                if message.keyboard is not None:
                    self.keyboard = message.keyboard
                self.transcript.append(f"< {message.text}")
                return message

    def expect(self, *fragments: str, timeout: float | None = None) -> BotMessage:
        """The next message, which must contain every fragment."""
        message = self.next_message(timeout)
        missing = [f for f in fragments if f not in message.text]
        if missing:
            raise AssertionError(f"expected {missing!r} in the bot's reply:\n{message.text}\n\n" + self.dump())
        return message

    def wait_for(self, fragment: str, timeout: float | None = None) -> BotMessage:
        """Skip messages until one contains the fragment."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            message = self.next_message(max(0.01, deadline - time.monotonic()))
            if fragment in message.text:
                return message

    def message(self, message_id: int) -> BotMessage:
        return next(m for m in self.api.messages(self.chat_id) if m.message_id == message_id)

    def dump(self) -> str:
        return "transcript:\n" + "\n".join(self.transcript[-30:])
