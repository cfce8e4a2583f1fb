"""The migrations build the schema from empty, and it matches the models exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from portal import create_app
from portal.extensions import db
from portal.search_index.models import include_object
from tests.conftest import base_config


def test_upgrade_from_empty_matches_the_models(app):
    # the app fixture's database was built by `upgrade()` from empty (see conftest._seed)
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_downgrade_to_empty_and_upgrade_again(backend, tmp_path):
    url = backend.new_database(tmp_path)
    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "user" in inspect(db.engine).get_table_names()
        db.engine.dispose()
    backend.drop(url)


def test_web_workers_leave_the_schema_commands_out_and_the_cli_keeps_them(tmp_path):
    """wsgi.py (what gunicorn serves) loads no Alembic (10 MiB per worker) and freezes its start-up
    objects for the garbage collector; `flask --app portal db upgrade` still migrates."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_SECRET_KEY": "x" * 32,
           "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads")}
    probe = ("import gc, sys, wsgi; "
             "print('alembic' in sys.modules, 'migrate' in wsgi.app.extensions, gc.get_freeze_count() > 1000, "
             "gc.get_threshold()[0] > 700)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True", "True"]
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run([str(flask), "--app", "portal", "db", "upgrade"], cwd=root, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "portal.db") as connection:
        assert connection.execute("SELECT count(*) FROM user").fetchone() == (0,)


def test_0023_gives_existing_search_entries_ids_that_sort_like_the_list(app):
    """An index built before 0023 keeps its entries: their ids become entry_id(...) – also for a date
    before 1970 whose new id equals an old one, a date after 2106 and a fraction of a second – and
    the full-text index finds them under the new ids."""
    from datetime import datetime, timezone

    from sqlalchemy import text

    from portal.search_index import services as search
    from portal.search_index.models import Kind, entry_id
    from tests.conftest import get_user

    utc = timezone.utc
    rows = [  # old id, kind, object id, date as stored, the same date in Python
        (1, Kind.POST, 3, "1965-05-01 10:00:00", datetime(1965, 5, 1, 10, 0, tzinfo=utc)),  # new id 24
        (24, Kind.EVENT, 7, "2026-03-01 17:00:00.999600", datetime(2026, 3, 1, 17, 0, 0, 999600, tzinfo=utc)),
        (2, Kind.AGENDA, 2, "2200-01-20 08:30:00", datetime(2200, 1, 20, 8, 30, tzinfo=utc)),
    ]
    with app.app_context():
        downgrade(revision="0022")
        for old_id, kind, object_id, stored, _ in rows:
            db.session.execute(text("INSERT INTO search_entry (id, kind, object_id, title, body, happened_at, terms) "
                                    "VALUES (:id, :kind, :object_id, :title, '', :at, 'zauberkist')"),
                               dict(id=old_id, kind=kind.value, object_id=object_id, title=f"{kind.value} {object_id}",
                                    at=stored))
        db.session.commit()
        upgrade()
        ids = dict(db.session.execute(text("SELECT title, id FROM search_entry")).all())
        assert ids == {f"{kind.value} {object_id}": entry_id(kind, object_id, at) for _, kind, object_id, _, at in rows}
        assert max(ids.values()) < 2**63
        found = search.search(get_user("moderation"), search.Query(q="Zauberkiste"))
        # newest first; the TOP of no AG is hidden (no public TOP behind it), the Moderation sees every post
        assert [e.title for e in found.items] == ["termin 7", "beitrag 3"]
        db.session.rollback()
