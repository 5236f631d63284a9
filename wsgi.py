"""WSGI entry point: `waitress-serve --call wsgi:create_app` or `python wsgi.py`."""
import os

from app import create_app

app = create_app()

if __name__ == "__main__":
    from waitress import serve

    serve(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        threads=int(os.environ.get("WEB_THREADS", "8")),
    )
