"""A lean HTTP transport for telebot's Bot API calls (apihelper.CUSTOM_REQUEST_SENDER).

Through `requests`, one Bot API call costs more CPU than the handler that makes it:
per-call look-ups of proxies and ~/.netrc in the environment, re-encoding of the
URL telebot packs the parameters into, and charset detection on every JSON answer
(telebot logs `response.text`). At hundreds of updates a second that decides the
throughput. Here each thread keeps one keep-alive http.client connection per host
and sends the parameters as a JSON POST body, which the Bot API accepts for
every method (and is cheaper to build than form encoding, which quotes every byte
of the Russian texts and keyboards). Uploads and configured proxies still go
through `requests`. Errors are raised as `requests` exceptions, so telebot and
app.bot.sender treat them exactly as before.

`call` makes a Bot API call without telebot's method wrappers, for the replies whose
answer nobody reads: no Message objects built from it, no debug text formatted.
"""
import http.client
import json
import select
import socket
import ssl
import threading
from urllib.parse import urlsplit

import certifi
import requests
from telebot import apihelper

_local = threading.local()
_ssl_context: ssl.SSLContext | None = None
_fallback = threading.local()


class Response:
    """The part of requests.Response telebot reads."""

    def __init__(self, status: int, reason: str, headers, content: bytes):
        self.status_code, self.reason, self.headers, self.content = status, reason, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


def send(method, url, params=None, files=None, timeout=None, proxies=None):
    if files or proxies:
        return _requests_session().request(method, url, params=params, files=files, timeout=timeout,
                                           proxies=proxies)
    connect_timeout, read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    body = json.dumps({k: v for k, v in (params or {}).items() if v is not None}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    conn = _connection(parts.scheme, parts.netloc)
    try:
        if conn.sock is None:
            conn.timeout = connect_timeout
            conn.connect()
        conn.sock.settimeout(read_timeout)
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
    except (socket.timeout, TimeoutError) as exc:
        conn.close()
        raise requests.Timeout(f"{parts.netloc}: {exc}") from exc
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise requests.ConnectionError(f"{parts.netloc}: {exc!r}") from exc
    if response.will_close:
        conn.close()
    return Response(response.status, response.reason, response.headers, content)


def call(token: str, method: str, params: dict):
    """A Bot API method's `result` (parsed JSON), raising what telebot raises for a failed call."""
    url = (apihelper.API_URL or "https://api.telegram.org/bot{0}/{1}").format(token, method)
    response = send("post", url, params=params, timeout=(apihelper.CONNECT_TIMEOUT, apihelper.READ_TIMEOUT),
                      proxies=apihelper.proxy)
    return apihelper._check_result(method, response)["result"]


def _connection(scheme: str, netloc: str) -> http.client.HTTPConnection:
    """This thread's connection to the host; a kept-alive one the server has closed is replaced."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    conn = conns.get((scheme, netloc))
    if conn is not None and conn.sock is not None and _dropped(conn.sock):
        conn.close()
    if conn is None:
        if scheme == "https":
            conn = http.client.HTTPSConnection(netloc, context=_context())
        else:
            conn = http.client.HTTPConnection(netloc)
        conns[(scheme, netloc)] = conn
    return conn


def _dropped(sock) -> bool:
    """An idle keep-alive socket that is readable has been closed by the server."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _context() -> ssl.SSLContext:
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context(cafile=certifi.where())
    return _ssl_context


def _requests_session() -> requests.Session:
    session = getattr(_fallback, "session", None)
    if session is None:
        session = _fallback.session = requests.Session()
        session.trust_env = False  # proxies come from apihelper.proxy, decided once at start
    return session
