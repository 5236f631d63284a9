"""A lean HTTP transport for telebot's Bot API calls (apihelper.CUSTOM_REQUEST_SENDER).

Through `requests`, one Bot API call costs more CPU than the handler that makes it:
per-call look-ups of proxies and ~/.netrc in the environment, re-encoding of the
URL telebot packs the parameters into, and charset detection on every JSON answer
(telebot logs `response.text`). At hundreds of updates a second that decides the
throughput. Here each thread keeps one keep-alive HTTP/1.1 connection per host (TCP_NODELAY,
the request written in one piece) and reads the answer itself: the Bot API's answers are
small JSON with a Content-Length, and http.client's e-mail header parser cost more than the
call. Parameters go as a JSON POST body, which the Bot API accepts for every method (and is
cheaper to build than form encoding, which quotes every byte of the Russian texts and
keyboards). Uploads and configured proxies still go through `requests`. Errors are raised
as `requests` exceptions, so telebot and app.bot.sender treat them exactly as before.

`call` makes a Bot API call without telebot's method wrappers, for the replies whose
answer nobody reads: no Message objects built from it, no debug text formatted.
"""
import json
import select
import socket
import ssl
import threading
from urllib.parse import urlsplit

import certifi
import requests
from requests.structures import CaseInsensitiveDict
from telebot import apihelper

_local = threading.local()
_ssl_context: ssl.SSLContext | None = None
_fallback = threading.local()
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class Response:
    """The part of requests.Response telebot reads."""

    def __init__(self, status: int, reason: str, headers, content: bytes):
        self.status_code, self.reason, self.headers, self.content = status, reason, headers, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


class BadResponse(OSError):
    """The server's answer is not HTTP/1.x as we read it (or it closed the connection mid-answer)."""


def send(method, url, params=None, files=None, timeout=None, proxies=None):
    if files or proxies:
        return _requests_session().request(method, url, params=params, files=files, timeout=timeout,
                                           proxies=proxies)
    connect_timeout, read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    body = _encoder.encode({k: v for k, v in (params or {}).items() if v is not None}).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nAccept-Encoding: identity\r\n\r\n")
    conn = _connection(parts.scheme, parts.netloc)
    try:
        if conn.sock is None:
            conn.connect(connect_timeout)
        conn.sock.settimeout(read_timeout)
        conn.sock.sendall(head.encode("latin-1") + body)
        response, keep = conn.read_response()
    except (socket.timeout, TimeoutError) as exc:
        conn.close()
        raise requests.Timeout(f"{parts.netloc}: {exc}") from exc
    except (OSError, ValueError) as exc:
        conn.close()
        raise requests.ConnectionError(f"{parts.netloc}: {exc!r}") from exc
    if not keep:
        conn.close()
    return response


class _Connection:
    """One keep-alive HTTP/1.1 connection: a request written whole, its answer read by Content-Length
    (or chunks, or to the end when the server gives neither)."""

    def __init__(self, scheme: str, netloc: str):
        self.tls = scheme == "https"
        parts = urlsplit(f"//{netloc}")
        self.host, self.port = parts.hostname, parts.port or (443 if self.tls else 80)
        self.sock: socket.socket | None = None
        self.buffer = b""

    def connect(self, timeout) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            sock = _context().wrap_socket(sock, server_hostname=self.host)
        self.sock, self.buffer = sock, b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock, self.buffer = None, b""

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise BadResponse("connection closed by the server")
        self.buffer += chunk

    def _take_line(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._more()
        line, self.buffer = self.buffer[:end], self.buffer[end + 2:]
        return line

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_response(self) -> tuple[Response, bool]:
        """The answer, and whether the connection may be used again."""
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._more()
        head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4:]
        status_line, *header_lines = head.split("\r\n")
        version, status, *reason = status_line.split(" ", 2)
        if not version.startswith("HTTP/1.") or not status.isdigit():
            raise BadResponse(f"not an HTTP/1.x status line: {status_line[:80]!r}")
        headers = CaseInsensitiveDict()
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip()] = value.strip()
        keep = version != "HTTP/1.0" and headers.get("Connection", "").lower() != "close"
        if headers.get("Transfer-Encoding", "").lower() == "chunked":
            content = self._chunked()
        elif "Content-Length" in headers:
            content = self._take(int(headers["Content-Length"]))
        else:  # the answer ends when the server closes the connection
            content, keep = self._to_the_end(), False
        return Response(int(status), reason[0] if reason else "", headers, content), keep

    def _chunked(self) -> bytes:
        chunks = []
        while size := int(self._take_line().split(b";")[0], 16):
            chunks.append(self._take(size))
            self._take_line()
        while self._take_line():  # trailers, up to the empty line
            pass
        return b"".join(chunks)

    def _to_the_end(self) -> bytes:
        while chunk := self.sock.recv(65536):
            self.buffer += chunk
        content, self.buffer = self.buffer, b""
        return content


def call(token: str, method: str, params: dict):
    """A Bot API method's `result` (parsed JSON), raising what telebot raises for a failed call."""
    url = (apihelper.API_URL or "https://api.telegram.org/bot{0}/{1}").format(token, method)
    response = send("post", url, params=params, timeout=(apihelper.CONNECT_TIMEOUT, apihelper.READ_TIMEOUT),
                      proxies=apihelper.proxy)
    return apihelper._check_result(method, response)["result"]


def _connection(scheme: str, netloc: str) -> _Connection:
    """This thread's connection to the host; a kept-alive one the server has closed is replaced."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    conn = conns.get((scheme, netloc))
    if conn is not None and conn.sock is not None and _dropped(conn.sock):
        conn.close()
    if conn is None:
        conn = conns[(scheme, netloc)] = _Connection(scheme, netloc)
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
