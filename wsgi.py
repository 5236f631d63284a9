"""The web process: `python wsgi.py` serves the app with waitress; the Procfile, run.sh and the
systemd unit (docs/operations.md) all start it so. Other WSGI servers can take `wsgi:app`."""
import os

from app import create_app

app = create_app()


def waitress_settings(config, environ=os.environ) -> dict:
    """waitress's settings from HOST, PORT and WEB_THREADS, and the app's own limits.

    waitress 3 deletes X-Forwarded-For from every request unless told otherwise, and its own
    `trusted_proxy` takes one address only: it passes the proxy headers on untouched, and
    TrustedProxyFix (app/proxy.py) believes them only from TRUSTED_PROXIES (addresses or networks).
    waitress buffers a request's body (to disk) before the app sees it, up to 1 GB by default, and
    answers a bigger one itself: the app's limit, MAX_REQUEST_BYTES, is made waitress's too (waitress
    refuses a body of max_request_body_size bytes or more, Flask one of more than its limit)."""
    return {
        "host": environ.get("HOST") or "127.0.0.1",
        "port": int(environ.get("PORT") or "8000"),
        "threads": int(environ.get("WEB_THREADS") or "8"),
        "clear_untrusted_proxy_headers": False,
        "max_request_body_size": config["MAX_CONTENT_LENGTH"] + 1,
    }


if __name__ == "__main__":
    from waitress import serve

    serve(app, **waitress_settings(app.config))
