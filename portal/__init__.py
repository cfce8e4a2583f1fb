"""Trägerportal: an intranet portal for a youth-welfare office and its freie Träger."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal import access, assets, errors, formatting, http, navigation, ops, search, security
from portal.config import Defaults
from portal.extensions import csrf, db, login_manager, render_migration_item
from portal.extensions import htmx as htmx_extension  # portal.htmx is our module of that name

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: non-negative and at most 2**31 - 1 unless the rule says otherwise."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(test_config: dict | None = None) -> Flask:
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        instance_path=str(root / "instance"),
        instance_relative_config=True,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
    )
    _configure(app, test_config)

    db.init_app(app)
    if app.config["SCHEMA_COMMANDS"]:
        _init_migrations(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Bitte melde dich an, um diese Seite zu sehen."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    htmx_extension.init_app(app)

    ops.init_app(app)  # first: the request id exists before any other hook answers
    http.init_app(app)  # compression runs after every other after_request hook but the log line
    security.init_app(app)
    access.init_app(app)
    formatting.init_app(app)
    assets.init_app(app)
    navigation.init_app(app)
    errors.init_app(app)
    # Ids are 32-bit integers on PostgreSQL and at most 64 bits on SQLite: a larger number in a path
    # is no id of anything (404), not a database error.
    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    _register_models()
    _connect_features()

    from portal import cli
    from portal.notifications import cli as mail_cli
    from portal.search_index import cli as search_cli

    cli.init_app(app)
    mail_cli.init_app(app)  # flask mail send | mail digests
    search_cli.init_app(app)  # flask search reindex
    return app


def _init_migrations(app: Flask) -> None:
    """Flask-Migrate: ``flask db upgrade`` and the other schema commands (and the tests' upgrade())."""
    # Alembic announces each of its built-in plugins at INFO when imported; "Running upgrade …" stays.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from flask_migrate import Migrate

    from portal.search_index.models import include_object

    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True,
            render_item=render_migration_item, include_object=include_object)


def _configure(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="PORTAL")
    if test_config:
        app.config.from_mapping(test_config)

    # Database, uploads and backups hold personal data: readable by the portal's own user only.
    if app.config.get("UMASK") is not None:
        os.umask(app.config["UMASK"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path) / "secret_key")

    url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'portal.db'}"
    if url.startswith("postgres://"):  # the form many hosting platforms hand out
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", url)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config.get("SQLALCHEMY_DATABASE_URI") or url

    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")

    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _instance_secret_key(path: Path) -> str:
    """Read the instance's secret key, creating it (mode 600) on first start."""
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        search.register_sqlite_functions(dbapi_connection)


def _register_blueprints(app: Flask) -> None:
    from portal.admin.views import bp as admin_bp
    from portal.ag.views import bp as ag_bp
    from portal.auth.views import bp as auth_bp
    from portal.board.views import bp as board_bp
    from portal.budget.views import bp as budget_bp
    from portal.calendar.views import bp as calendar_bp
    from portal.join.views import bp as join_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.oparl.views import bp as oparl_bp
    from portal.pages.views import bp as pages_bp
    from portal.proposals.views import bp as proposals_bp
    from portal.reports.views import bp as reports_bp
    from portal.search_index.views import bp as search_bp

    for bp in (pages_bp, auth_bp, admin_bp, board_bp, calendar_bp, proposals_bp, ag_bp, notifications_bp,
               reports_bp, budget_bp, join_bp, search_bp, oparl_bp):
        app.register_blueprint(bp)


FEATURES = ("board", "calendar", "proposals", "ag", "budget")


def _connect_features() -> None:
    """Where the parts of the portal meet, in one place: navigation badges, the sections of the
    DSGVO export, other features' dates in the calendar, and which writes invalidate which
    per-worker cache. Listeners of the domain events (portal.signals) connect here too."""
    from portal.ag import services as ag
    from portal.ag.models import Meeting, MeetingReply, Membership, ReadReceipt, WorkingGroup
    from portal.auth.models import User, UserRole
    from portal.board.models import BoardSettings, Post, Report
    from portal.budget.models import Budget, BudgetRequest
    from portal.auth.services import register_personal_data
    from portal.board import services as board
    from portal.budget import services as budget
    from portal.calendar import services as calendar
    from portal.calendar.models import Event, OccurrenceChange
    from portal.calendar.sources import register_source
    from portal.caching import invalidate_on_write
    from portal.navigation import register_badge, register_fact
    from portal.notifications import services as notifications
    from portal.notifications.listeners import connect_listeners
    from portal.notifications.models import Notification
    from portal.org.models import Ortsteil, Sozialraum, Traeger
    from portal.pages.dashboard import sections_for
    from portal.proposals import services as proposals
    from portal.proposals.models import HzeHours, Proposal, ProposalEvent
    from portal.search_index import services as search_index
    from portal.search_index.models import SearchEntry

    register_badge("board", board.moderation_badge, "zu prüfen")
    register_badge("proposals", proposals.waiting_count, "warten auf Entscheidung")
    register_badge("ag", ag.unread_count, "neu zu lesen")
    register_badge("budget", budget.waiting_count, "Budget-Anträge warten")
    register_fact("bell", notifications.unread_count)
    register_fact("sections", sections_for)

    register_personal_data("pinnwand", board.personal_data)
    register_personal_data("kalender", calendar.personal_data)
    register_personal_data("projektantraege", proposals.personal_data)
    register_personal_data("ag_78", ag.personal_data)
    register_personal_data("benachrichtigungen", notifications.personal_data)
    register_personal_data("jugendbudget", budget.personal_data)

    register_source(ag.calendar_events)

    # The month view, agenda and feeds show events, AG dates and the names of places and Träger.
    invalidate_on_write("calendar", Event, OccurrenceChange, Meeting, WorkingGroup, Ortsteil, Sozialraum, Traeger)
    # Project hours of the 15 % page: proposals (hours, run, Sozialraum, state).
    invalidate_on_write("project_hours", Proposal, ProposalEvent)
    # What the layout shows per person (portal.navigation): the badges (moderation queue, waiting
    # proposals and budget requests, unread minutes), the bell, the usable sections (AG membership,
    # a volunteer's Ortsteile).
    invalidate_on_write("layout", User, UserRole, Notification, Post, Report, Proposal, Membership, Meeting,
                        ReadReceipt, WorkingGroup, BudgetRequest, Budget, Ortsteil, collections=(User,))
    # The start page's blocks (portal.pages.dashboard) besides the calendar and the project hours:
    # to-dos (proposals, moderation, minutes, invitations and replies, unread minutes), unread
    # notifications, the person's places and AGs, the HzE hours of the 15 % bars.
    invalidate_on_write("start_page", User, UserRole, Notification, Post, Report, Proposal, Membership, Meeting,
                        MeetingReply, ReadReceipt, WorkingGroup, HzeHours, Ortsteil, Sozialraum, collections=(User,))

    # The cards of "Freigegebene Projekte" (portal.proposals.views._approved_listing): the proposal, its
    # Träger, Ortsteile and Sozialraum.
    invalidate_on_write("approved_projects", Proposal, Traeger, Ortsteil, Sozialraum, collections=(Proposal,))
    # The board overview's cards (portal.board.views._overview_cards): posts, board settings, places.
    invalidate_on_write("board_overview", Post, BoardSettings, Ortsteil, Sozialraum)
    # The search's place filter (portal.search_index.services.place_choices): places, AGs, members.
    invalidate_on_write("search_places", Sozialraum, Ortsteil, WorkingGroup, Membership)
    # The indexed words a long prefix expands to (portal.search_index.services._words_beginning).
    invalidate_on_write("search_terms", SearchEntry)

    # Benachrichtigungen: who hears what (portal/notifications/listeners.py).
    connect_listeners()
    # Portal-wide search: the index follows the domain events (portal/search_index/services.py).
    search_index.connect_listeners()


def _register_models() -> None:
    """Import every models module so that metadata (and Alembic) sees all tables."""
    import importlib
    import importlib.util

    import portal.auth.mfa  # noqa: F401  (recovery_code)
    import portal.auth.models  # noqa: F401
    import portal.join.models  # noqa: F401  (Einladungslinks)
    import portal.caching  # noqa: F401  (cache_generation)
    import portal.notifications.models  # noqa: F401
    import portal.org.models  # noqa: F401
    import portal.pages.models  # noqa: F401
    import portal.search_index.models  # noqa: F401

    for feature in FEATURES:
        if importlib.util.find_spec(f"portal.{feature}.models") is not None:
            importlib.import_module(f"portal.{feature}.models")
