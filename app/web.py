"""App-wide web behaviour: the login wall, security headers, errors, template helpers."""
import hmac

from flask import Flask, abort, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.routing import IntegerConverter

from app import htmx
from app.forms import megabytes
from app.extensions import db, login
from app.models import StaffUser
from app.models.base import MAX_ID
from app.services.operations import bot_health
from app.services.requests import durations
from app.services.people.phones import display_phone
from app.services.requests.statuses import label as status_label
from app.timezone import format_local

# /healthz tells no data; /metrics checks the caller's address itself (app.health).
PUBLIC_ENDPOINTS = {"auth.login", "static", "health.healthz", "health.metrics"}

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@login.user_loader
def load_user(session_id: str):
    """The session or remember-me cookie holds StaffUser.get_id(): "<id>:<session token>". A deactivated
    account, or one whose password changed (a new token), loses its open sessions at once."""
    try:
        user = db.session.get(StaffUser, int(session_id.split(":", 1)[0]))
    except ValueError:
        return None
    if user is None or not user.active or not hmac.compare_digest(user.get_id().encode(), session_id.encode()):
        return None
    return user


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: ASCII digits up to MAX_ID. A longer number is simply not found
    (404); handed to the database it would overflow its integer type (a 500)."""

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(value) -> int | None:
    """An id from a query string or form field: a whole number 1..MAX_ID, or None."""
    text = str(value if value is not None else "").strip()
    if len(text) <= 10 and text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


def init_app(app: Flask) -> None:
    @app.before_request
    def require_login():
        """Nothing but the login page and static files is reachable without a session."""
        if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
            return None
        target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        if htmx.is_htmx():
            return htmx.redirect(target, 401)
        return redirect(target)

    @app.before_request
    def refuse_nul_characters():
        """No keyboard types a NUL and PostgreSQL text cannot hold one: refuse it plainly, not with a 500."""
        for values in (request.args, request.form):
            if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
                abort(400, "В запросе есть недопустимый символ (NUL). Уберите его и повторите.")
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.vary.add("HX-Request")  # fragments and full pages share URLs
        return response

    def error_page(code: int, title: str, message: str):
        def handler(error):
            text = getattr(error, "description", None) if code == 400 else None
            return render_template("error.html", code=code, title=title,
                                   message=text or message), code
        return handler

    app.register_error_handler(CSRFError, lambda e: (render_template(
        "error.html", code=400, title="Форма устарела",
        message="Страница была открыта слишком давно или форма отправлена не отсюда. "
                "Обновите страницу и повторите действие."), 400))
    app.register_error_handler(400, error_page(400, "Неверный запрос", "Проверьте введённые данные."))
    app.register_error_handler(403, error_page(403, "Доступ запрещён",
                                               "Это действие доступно только администратору."))
    app.register_error_handler(404, error_page(404, "Не найдено", "Такой страницы или записи нет."))
    app.register_error_handler(405, error_page(405, "Метод не поддерживается", "Так эту страницу открыть нельзя."))
    app.register_error_handler(413, lambda e: (render_template(
        "error.html", code=413, title="Файл слишком большой",
        message=f"Сервер не принимает отправленное больше {megabytes(app.config['MAX_CONTENT_LENGTH'])} МБ, "
                "поэтому его не прочитал. Вернитесь назад и выберите файл поменьше "
                f"(до {megabytes(app.config['MAX_UPLOAD_BYTES'])} МБ)."), 413))
    app.register_error_handler(500, error_page(500, "Ошибка сервера",
                                               "Что-то пошло не так. Попробуйте ещё раз или сообщите администратору."))

    @app.errorhandler(OperationalError)
    def database_unavailable(error):
        """The database is down or locked too long: say so plainly; the pool reconnects later."""
        app.logger.error("Database unavailable: %s", error)
        db.session.rollback()
        g._login_user = login.anonymous_user()  # render without asking the database again
        return render_template(
            "error.html", code=503, title="База данных временно недоступна",
            message="Не удалось обратиться к базе данных. Ваши данные не потеряны — "
                    "повторите действие через минуту."), 503, {"Retry-After": "30"}

    @app.context_processor
    def _bot_health():
        def bot_problem():
            """A warning for staff when residents cannot reach the bot (base.html, signed-in pages)."""
            return bot_health.problem(bool(app.config.get("TELEGRAM_BOT_TOKEN")), format_local)

        def staff_chat_problem():
            """A warning for staff when their Telegram chat does not take the alerts (base.html)."""
            return bot_health.staff_chat_problem(app.config.get("STAFF_CHAT_ID"), format_local)
        return {"bot_problem": bot_problem, "staff_chat_problem": staff_chat_problem}

    app.jinja_env.filters["dt"] = format_local
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["minutes"] = durations.text
    app.jinja_env.filters["megabytes"] = megabytes
