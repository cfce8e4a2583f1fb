#!/usr/bin/env python3
"""Benachrichtigungen: the bell's query plan and the time to write and send 1,000 digests.

    .venv/bin/python bench/plans_notify.py            # a fresh SQLite db in a temp dir
    .venv/bin/python bench/plans_notify.py --people 1000 --per-person 12

1. The bell (unread count) is one statement per full page, answered from the index
   ix_notification_user_unread (SQLite: SEARCH ... USING COVERING INDEX, no SCAN of notification).
   An htmx fragment sends no count at all.
2. ``build_digests`` for N people with M notifications each from yesterday, then ``send_outbox``
   to an aiosmtpd server in this process: both figures are printed (seconds).

Exit status 1 if a check fails.
"""
from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_app(tmp: Path):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.demo import seed_demo

    app = create_app({"TESTING": True, "SECRET_KEY": "plans", "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{tmp / 'plans.db'}", "SQLALCHEMY_DATABASE_URI": "",
                      "UPLOAD_DIR": str(tmp / "uploads"), "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8,
                      "ARGON2_PARALLELISM": 1, "BASE_URL": "http://portal.example"})
    with app.app_context():
        upgrade()
        seed_demo("demo-passwort")
    return app


def check_bell(app) -> list[str]:
    from sqlalchemy import event, select

    from portal.auth.models import User
    from portal.extensions import db
    from portal.notifications.services import notify

    problems = []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ehrenamt.taubach@portal.example"))
        for i in range(50):
            notify([user], "post_commented", subject_key=f"post:{i}", subject_title="T", text=f"Eintrag {i}",
                   url="/board/")
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "ehrenamt.taubach@portal.example", "password": "demo-passwort"})
    seen: list[tuple[str, tuple]] = []

    def before(conn, cursor, statement, parameters, *args):
        seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    client.get("/impressum")
    page = [s for s in seen if "notification" in s[0] and "count(" in s[0].lower()]
    seen.clear()
    client.get("/notifications/", headers={"HX-Request": "true"})
    fragment = [s for s in seen if "notification" in s[0] and "count(" in s[0].lower()]
    event.remove(engine, "before_cursor_execute", before)
    if len(page) != 1:
        problems.append(f"bell: {len(page)} count statements on a full page, expected 1")
    if fragment:
        problems.append("bell: an htmx fragment counted the unread notifications")
    if page:
        with app.app_context():
            raw = db.engine.raw_connection()
            try:
                plan = raw.cursor().execute("EXPLAIN QUERY PLAN " + page[0][0], tuple(page[0][1])).fetchall()
            finally:
                raw.close()
        details = " | ".join(str(row[-1]) for row in plan)
        print(f"bell plan: {details}")
        if "ix_notification_user_unread" not in details or "SCAN notification" in details:
            problems.append(f"bell: not answered from ix_notification_user_unread: {details}")
    return problems


def digests(app, people: int, per_person: int) -> None:
    from aiosmtpd.controller import Controller

    from portal.auth.models import Role, User
    from portal.extensions import db
    from portal.formatting import BERLIN
    from portal.notifications.mail import build_digests, send_outbox
    from portal.notifications.models import Notification

    now = datetime(2027, 3, 10, 6, tzinfo=BERLIN)
    yesterday = (now - timedelta(hours=12)).astimezone(timezone.utc)
    with app.app_context():
        users = []
        for i in range(people):
            u = User(email=f"leser{i}@bench.example", display_name=f"Leser {i}")
            u.set_roles([Role.EHRENAMT])
            users.append(u)
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all(Notification(user_id=u.id, kind="board_post", subject_key=f"board:{j % 4}",
                                        subject_title=f"Pinnwand {j % 4}", text=f"Neu: Beitrag {j}", url="/board/",
                                        created_at=yesterday + timedelta(minutes=j))
                           for u in users for j in range(per_person))
        db.session.commit()

        started = time.perf_counter()
        written = build_digests(now=now)
        db.session.commit()
        built = time.perf_counter() - started
        print(f"digests: {written} written for {people} people x {per_person} notifications in {built:.2f} s")

        class Sink:
            count = 0

            async def handle_DATA(self, server, session, envelope):
                Sink.count += 1
                return "250 OK"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        controller = Controller(Sink(), hostname="127.0.0.1", port=port)
        controller.start()
        app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
        started = time.perf_counter()
        result = send_outbox(batch=100)
        sent = time.perf_counter() - started
        controller.stop()
        print(f"send: {result.sent} mails over SMTP (localhost) in {sent:.2f} s; server received {Sink.count}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--per-person", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        problems = check_bell(app)
        digests(app, args.people, args.per_person)
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()
    for p in problems:
        print("FAIL", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
