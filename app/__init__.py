"""Application factory for the staff web app (and the app context the bot worker uses)."""
import os
import secrets
from pathlib import Path

from dotenv import load_dotenv
from flask import Flask

from app.config import BASE_DIR, Config
from app.database import configure_engine
from app.extensions import csrf, db, login, migrate
from app.form_data import AppRequest
from app.proxy import TrustedProxyFix, trusted_networks
from app.timezone import zone


def create_app(config: dict | None = None) -> Flask:
    load_dotenv(BASE_DIR / ".env")
    cfg = Config(**(config or {}))
    app = Flask(
        __name__,
        instance_path=cfg.INSTANCE_PATH,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
    )
    app.request_class = AppRequest
    app.config.from_object(cfg)
    app.config["TZ"] = zone(app.config["TIMEZONE"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app)
    proxies = trusted_networks(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, proxies)

    db.init_app(app)
    from app.search import include_in_autogenerate
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True,
                     include_name=include_in_autogenerate)
    login.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    from app import cli, health, web
    app.url_map.converters["int"] = web.IdConverter  # before any route is registered
    from app.auth import bp as auth_bp
    from app.admin import bp as admin_bp
    from app.journal import bp as journal_bp
    from app.announcements import bp as announcements_bp
    from app.dashboard import bp as dashboard_bp
    from app.meters import bp as meters_bp
    from app.incidents import bp as incidents_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(journal_bp)
    app.register_blueprint(announcements_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(meters_bp)
    app.register_blueprint(incidents_bp)
    health.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app


def _instance_secret(app: Flask) -> str:
    """Without SECRET_KEY in the environment, keep a random one in the instance folder."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        os.chmod(path, 0o600)
    return path.read_text().strip()
