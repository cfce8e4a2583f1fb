#!/usr/bin/env python3
"""AG 78: which SQL the pages send, and the plans of the statements that run on every request.

    .venv/bin/python bench/plans_ag.py

Seeds a throwaway SQLite database with the demo data and reports (exit status 1 if a check fails):
- the navigation badge "neu zu lesen" is counted once per full page and not for htmx fragments;
- the AG page, the meeting page and the search load people by name without their roles (the only
  ``user_role`` statement is the signed-in user's own);
- EXPLAIN QUERY PLAN of the badge's count and of the calendar's AG dates (indexes used, no scan of
  the meeting table).
These are statements about SQL text and plans, which tests do not assert (tests count queries).
"""
from __future__ import annotations

import logging
import re
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from flask_migrate import upgrade
    from sqlalchemy import event, select

    from portal import create_app
    from portal.demo import seed_demo
    from portal.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="plans-ag-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "plans", "DATABASE_URL": f"sqlite:///{tmp / 'portal.db'}",
                      "SQLALCHEMY_DATABASE_URI": "", "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": str(tmp / "uploads"),
                      "BASE_URL": "http://localhost", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8,
                      "ARGON2_PARALLELISM": 1})
    logging.disable(logging.INFO)
    with app.app_context():
        upgrade()
        seed_demo("demo-passwort")
        engine = db.engine
        from portal.ag.models import Meeting
        meeting_id = db.session.scalar(select(Meeting.id).where(Meeting.number == 5))

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, stmt, *a: statements.append(stmt))

    def sql_of(email: str, path: str, **headers) -> list[str]:
        client = app.test_client()
        client.post("/login", data={"email": email, "password": "demo-passwort"})
        client.get(path, headers=headers)  # warm
        statements.clear()
        assert client.get(path, headers=headers).status_code == 200, path
        return [s for s in statements if not re.match(r"\s*(PRAGMA|SAVEPOINT|RELEASE)", s, re.I)]

    failures = 0

    def check(ok: bool, what: str) -> None:
        nonlocal failures
        failures += not ok
        print(("ok   " if ok else "FAIL ") + what)

    member = "ag.mitglied@portal.example"
    badge = [s for s in sql_of(member, "/board/") if "ag_read_receipt" in s and "count(" in s]
    check(len(badge) == 1, f"badge counted once on a full page ({len(badge)})")
    fragment = sql_of(member, "/ag/search?q=workshop", **{"HX-Request": "true"})
    check(not any("ag_read_receipt" in s and "count(" in s for s in fragment), "no badge count for a fragment")
    for email, path in [(member, "/ag/hze/"), ("protokoll.ag78@portal.example", f"/ag/hze/meetings/{meeting_id}/"),
                        (member, "/ag/search?q=workshop")]:
        sql = sql_of(email, path)
        roles = sum("user_role" in s for s in sql)
        check(roles == 1, f"{path}: {len(sql)} statements, user_role read {roles}x (the signed-in user's own)")

    with app.app_context():
        from portal.ag import services
        from portal.auth.models import User

        user = db.session.scalar(select(User).where(User.email == member))
        for name, run in [
            ("badge count", lambda: services.unread_by_group(user)),
            ("calendar AG dates", lambda: services.meeting_dates_in(datetime.now(timezone.utc),
                                                                    datetime.now(timezone.utc) + timedelta(days=90))),
        ]:
            statements.clear()
            run()
            last = [s for s in statements if s.strip().upper().startswith("SELECT")][-1]
            with engine.connect() as con:
                # the values of the call are not kept: plan it with NULLs (the plan does not depend on them)
                plan = con.connection.driver_connection.execute(
                    "EXPLAIN QUERY PLAN " + last, [None] * last.count("?")).fetchall()
            lines = [row[-1] for row in plan]
            print(f"\n{name}:\n  " + "\n  ".join(lines))
            check(not any(line.startswith("SCAN ag_meeting") and "USING INDEX" not in line for line in lines),
                  f"{name}: ag_meeting read through an index")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
