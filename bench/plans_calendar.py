#!/usr/bin/env python3
"""The calendar's SQL, as the benchmark cares about it: which statements a page runs, the query
plan of the window query, and how often a feed is built. These checks read SQL text, query plans
and monkeypatched counters, so they live here, not in tests/ (the tests count queries only).

    .venv/bin/python bench/plans_calendar.py            # demo data in a temporary SQLite database

Prints one line per check and exits with 1 if one fails.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from bench.sql import captured_sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAILED: list[str] = []


def check(name: str, ok: bool, detail: object = "") -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f"\n     {detail}" if detail and not ok else ""))
    if not ok:
        FAILED.append(name)


def main() -> int:
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from portal import create_app
    from portal.auth.models import User
    from portal.calendar import feeds, ical, occurrences, queries, services
    from portal.calendar.models import Event
    from portal.demo import seed_demo
    from portal.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="plans-calendar-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "plans", "DATABASE_URL": f"sqlite:///{tmp / 'portal.db'}",
                      "SQLALCHEMY_DATABASE_URI": "", "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": str(tmp / "uploads"),
                      "BASE_URL": "http://localhost", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8,
                      "ARGON2_PARALLELISM": 1})
    with app.app_context():
        upgrade()
        seed_demo("demo-passwort")
        engine = db.engine

    client = app.test_client()
    client.post("/login", data={"email": "ehrenamt.taubach@portal.example", "password": "demo-passwort"})

    # 1. A kept month or agenda page reads no events and no single-date changes.
    for url in ("/calendar/?month=2026-12", "/calendar/agenda?from=2026-12-01"):
        with captured_sql(engine) as cold:
            client.get(url)
        with captured_sql(engine) as warm:
            client.get(url)
        reads = [s for s, _ in warm if "FROM calendar_event" in s or "calendar_occurrence_change" in s]
        check(f"{url}: kept page reads no events ({len(cold)} queries cold, {len(warm)} warm)", not reads, reads)

    # 2. The window query uses the span index.
    with app.app_context():
        start, end, _ = occurrences.month_window(2026, 12)
        stmt = select(Event.id).where(*queries.touching(start, end, queries.Filters()))
        compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
        plan = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
        check("window query uses ix_calendar_event_span", any("ix_calendar_event_span" in p for p in plan), plan)

        # 3. An agenda page reads the events once (not a second time for the whole quarter).
        with app.test_request_context("/"):
            with captured_sql(engine) as agenda:
                occurrences.agenda_page(occurrences.today_local(), None, queries.Filters())
        event_reads = [s for s, _ in agenda if s.lstrip().startswith("SELECT calendar_event.id, calendar_event.uid")]
        check("agenda page: one pass over the events", len(event_reads) == 1, event_reads)

        user = db.session.scalar(select(User).where(User.email == "fachkraft@awo.example"))
        _, token = services.create_feed_token(user)
        db.session.commit()

    # 4. A feed is built once until a write raises the calendar's cache generation.
    builds = []
    real_build = ical.build
    ical.build = lambda *a, **kw: builds.append(1) or real_build(*a, **kw)
    try:
        anonymous = app.test_client()
        first, second = anonymous.get(f"/calendar/feed/{token}.ics"), anonymous.get(f"/calendar/feed/{token}.ics")
        check("feed built once for two polls", len(builds) == 1 and first.data == second.data, builds)
        with app.app_context():
            event = db.session.scalar(select(Event).where(Event.span_end > feeds.feed_window()[0]).limit(1))
            event.title = event.title + " (geändert)"
            db.session.commit()
        anonymous.get(f"/calendar/feed/{token}.ics")
        check("feed built again after a write", len(builds) == 2, builds)
    finally:
        ical.build = real_build

    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
