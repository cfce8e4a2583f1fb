"""Fixtures: a fresh database per test (copied from a migrated, seeded template), or one per module
(``module_app``) for tests that cannot disturb each other; clients per role, query counting. ``pytest --db postgresql`` runs the same suite on a throwaway PostgreSQL
cluster that the harness starts and removes."""
from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from portal import create_app
from portal.extensions import db

DEMO_PASSWORD = "demo-passwort"

#: Test roles -> demo login (ag_mitglied/protokoll get their AG membership from the AG feature).
ROLE_LOGINS = {
    "admin": "admin@portal.example",
    "moderation": "moderation@portal.example",
    "leitung": "leitung@portal.example",
    "koordination": "koordination.nord@portal.example",
    "fachkraft": "fachkraft@awo.example",
    "fachkraft_caritas": "fachkraft@caritas.example",
    "ehrenamt": "ehrenamt.taubach@portal.example",
    "ehrenamt_legefeld": "ehrenamt.legefeld@portal.example",
    "ag_mitglied": "ag.mitglied@portal.example",
    "protokoll": "protokoll.ag78@portal.example",
}
ROLES = ["anonymous", *ROLE_LOGINS]

FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1}


def _reuse_url_builders() -> None:
    """Most tests build their own app, and ~95 % of create_app() is werkzeug compiling one URL
    builder per rule (an AST turned into code), the same code for the same rule every time. In the
    test process, builders are compiled once per rule and reused by every later app. The builder is
    a plain function of the rule's parts; werkzeug binds it to each new Rule (``__get__``), and it
    reads converters from that rule at call time."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict = {}

    def reused(self, append_unknown: bool = True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
               tuple((name, type(c), vars(c).get("regex")) for name, c in self._converters.items()),
               append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = reused


_reuse_url_builders()


def pytest_addoption(parser):
    parser.addoption("--db", default="sqlite", choices=["sqlite", "postgresql"],
                     help="database backend for the suite")


def base_config(url: str, tmp: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "SQLALCHEMY_DATABASE_URI": "",
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "BASE_URL": "http://localhost",
        # Leitung and Administration would first have to enrol a second factor; tests/test_mfa.py
        # switches the requirement on.
        "MFA_REQUIRED": False,
        **FAST_HASHING,
    }


def _seed(url: str, tmp: Path) -> None:
    """Migrate an empty database to head and load the demo data."""
    from flask_migrate import upgrade

    from portal.demo import seed_demo

    app = create_app(base_config(url, tmp))
    with app.app_context():
        upgrade()
        seed_demo(DEMO_PASSWORD)
        db.session.remove()
        db.engine.dispose()


# --- backends ----------------------------------------------------------------------------------

def _copy_uploads(template_tmp: Path, tmp_path: Path) -> None:
    """Files the demo data stored (e.g. photos of pinboard posts) belong to the database copy."""
    if (template_tmp / "uploads").exists():
        shutil.copytree(template_tmp / "uploads", tmp_path / "uploads", dirs_exist_ok=True)


class SQLiteBackend:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.template = tmp / "template.db"
        _seed(f"sqlite:///{self.template}", tmp)
        con = create_engine(f"sqlite:///{self.template}")
        with con.connect() as c:
            c.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        con.dispose()

    def new_database(self, tmp_path: Path) -> str:
        target = tmp_path / "portal.db"
        shutil.copyfile(self.template, target)
        _copy_uploads(self.tmp, tmp_path)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        pass

    def close(self) -> None:
        pass


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresBackend:
    """A throwaway cluster in a temp dir; every test gets a copy of a seeded template database."""

    def __init__(self, tmp: Path):
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        if not (initdb and pg_ctl):
            for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
                initdb, pg_ctl = str(d / "initdb"), str(d / "pg_ctl")
                break
        if not (initdb and Path(initdb).exists()):
            pytest.exit("--db postgresql: initdb/pg_ctl not found", returncode=1)
        self.tmp = tmp
        self.dir = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.port = _free_port()
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if as_postgres:
            shutil.chown(self.dir, "postgres")
        self.pg_ctl = [*as_postgres, pg_ctl, "-D", str(self.dir / "data")]
        subprocess.run([*as_postgres, initdb, "-D", str(self.dir / "data"), "--auth=trust", "-U", "postgres",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        subprocess.run([*self.pg_ctl, "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c full_page_writes=off -c synchronous_commit=off",
                        "-l", str(self.dir / "log"), "-w", "start"], check=True, capture_output=True)
        self.admin = create_engine(self._url("postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.execute(text("CREATE DATABASE portal_template"))
        _seed(self._url("portal_template"), tmp)
        self.counter = itertools.count()
        with self.admin.connect() as c:
            version = int(c.execute(text("SHOW server_version_num")).scalar())
        self.copy_strategy = " STRATEGY FILE_COPY" if version >= 150000 else ""

    def _url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def new_database(self, tmp_path: Path) -> str:
        name = f"test_{next(self.counter)}"
        with self.admin.connect() as c:
            # FILE_COPY copies the template's files instead of writing every block through the WAL
            # (PostgreSQL 15's default): 0.23 -> 0.08 s per test database of 12 MB.
            c.execute(text(f"CREATE DATABASE {name} TEMPLATE portal_template{self.copy_strategy}"))
        _copy_uploads(self.tmp, tmp_path)
        return self._url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    def close(self) -> None:
        self.admin.dispose()
        subprocess.run([*self.pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def backend(request, tmp_path_factory):
    kind = request.config.getoption("--db")
    tmp = tmp_path_factory.mktemp("template")
    b = PostgresBackend(tmp) if kind == "postgresql" else SQLiteBackend(tmp)
    yield b
    b.close()


# --- app and clients ----------------------------------------------------------------------------

@pytest.fixture
def app(backend, tmp_path):
    url = backend.new_database(tmp_path)
    app = create_app(base_config(url, tmp_path))
    # No app context stays pushed: each request gets its own, as in production (Flask-Login
    # caches the user in g). Tests open ``with app.app_context():`` to look at the database.
    yield app
    with app.app_context():
        db.engine.dispose()
    backend.drop(url)


@pytest.fixture(scope="module")
def module_app(backend, tmp_path_factory):
    """One database for a whole test module, for tests that only read or that each create and check
    their own objects (a copy per test costs ~0.1 s on PostgreSQL; the route matrix has 2,000 cases)."""
    tmp = tmp_path_factory.mktemp("module")
    url = backend.new_database(tmp)
    app = create_app(base_config(url, tmp))
    yield app
    with app.app_context():
        db.engine.dispose()
    backend.drop(url)


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, email: str, password: str = DEMO_PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 303, f"login as {email} failed: {response.status_code}"
    return client


@pytest.fixture
def client_as(app):
    """client_as("fachkraft") -> a test client signed in as that demo role."""

    def make(role: str):
        c = app.test_client()
        if role != "anonymous":
            login(c, ROLE_LOGINS.get(role, role))
        return c

    return make


def second_worker(app):
    """Another app on the same database: a second gunicorn worker with its own kept values."""
    from portal import create_app

    return create_app(base_config(app.config["DATABASE_URL"], Path(app.config["UPLOAD_DIR"]).parent))


def signed_in(app, role: str):
    """A test client of ``app`` signed in as the demo ``role``."""
    return login(app.test_client(), ROLE_LOGINS[role])


@contextmanager
def two_workers(app, role: str):
    """(first, second): the demo ``role`` signed in at ``app`` and at a second worker on the same
    database, for tests that a kept value follows a write in every worker."""
    other = second_worker(app)
    try:
        yield signed_in(app, role), signed_in(other, role)
    finally:
        with other.app_context():
            db.engine.dispose()


def get_user(role: str):
    """The User of a demo role (or of an e-mail address); call inside an app context."""
    from sqlalchemy import select

    from portal.auth.models import User

    return db.session.scalar(select(User).where(User.email == ROLE_LOGINS.get(role, role)))


# --- query counting -------------------------------------------------------------------------------

class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """with count_queries() as q: ...; q.count is the number of SQL statements run."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def before(conn, cursor, statement, *args):
            if not re.match(r"\s*(PRAGMA|SAVEPOINT|RELEASE)", statement, re.I):
                counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
