#!/usr/bin/env python3
"""Pinnwand: checks on the SQL the board pages send (moved here from the tests, which assert
behaviour and query counts only).

    .venv/bin/python bench/plans_board.py                 # a fresh SQLite db: demo + seed-bench (small)
    .venv/bin/python bench/plans_board.py --db bench/data/bench-production.db

1. The overview (/board/) asks for the newest posts of every board in one statement, and SQLite
   reads each board through the index ix_board_post_ortsteil_list (no SCAN of board_post).
2. The first page of a board takes the newest post id for the poller from the page itself
   (no max(board_post.id) query).
3. "Mehr laden" and the filters (htmx fragments) read neither the calendar nor the board settings.

Exit status 1 if a check fails.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from bench.sql import captured_sql, query_plan

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EHRENAMT = "ehrenamt.taubach@portal.example"
HX_MORE = {"HX-Request": "true", "HX-Target": "post-list"}
HX_LIST = {"HX-Request": "true", "HX-Target": "board-posts"}


def make_app(db_path: Path | None, tmp: Path):
    from portal import create_app

    fresh = db_path is None
    db_path = db_path or tmp / "plans.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "plans", "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": f"sqlite:///{db_path}", "SQLALCHEMY_DATABASE_URI": "",
                      "UPLOAD_DIR": str(tmp / "uploads"), "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8,
                      "ARGON2_PARALLELISM": 1})
    if fresh:
        from flask_migrate import upgrade

        from portal.demo import seed_demo

        with app.app_context():
            upgrade()
            seed_demo("demo-passwort")
        result = app.test_cli_runner().invoke(args=["seed-bench", "--ortsteile", "30", "--users", "120",
                                                    "--posts", "2000", "--events", "50", "--proposals", "20"])
        assert result.exit_code == 0, result.output
    return app


def statements(app, client, path: str, headers=None) -> list[tuple[str, tuple]]:
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    with captured_sql(engine) as seen:
        status = client.get(path, headers=headers or {}).status_code
        assert status == 200, f"{path}: {status}"
    return seen


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, help="an existing SQLite database (e.g. one bench/run.py seeded)")
    a = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(a.db, Path(tmp))
        client = app.test_client()
        client.post("/login", data={"email": EHRENAMT, "password": "demo-passwort"})

        overview = [s for s in statements(app, client, "/board/") if "FROM ortsteil JOIN board_post" in s[0]]
        steps = query_plan(app, *overview[0]) if overview else []
        print("Übersicht:", len(overview), "Anweisung(en);", "\n  ".join(["Plan:", *steps]))
        if len(overview) != 1:
            failures.append("the overview should ask for its posts in one statement")
        if not any("ix_board_post_ortsteil_list" in s for s in steps):
            failures.append("the overview does not read the boards through ix_board_post_ortsteil_list")
        if any(re.fullmatch(r"SCAN board_post", s.strip()) for s in steps):
            failures.append("the overview scans board_post")

        first = statements(app, client, "/board/taubach")
        if any("max(board_post.id)" in s for s, _ in first):
            failures.append("the first page asks for max(board_post.id)")
        html = client.get("/board/taubach").get_data(as_text=True)
        cursor = re.search(r"nach=(\d+)", html)
        fragments = [("/board/taubach?kategorie=frage", HX_LIST)]
        if cursor:
            fragments.append((f"/board/taubach?nach={cursor.group(1)}", HX_MORE))
        for path, headers in fragments:
            touched = [s for s, _ in statements(app, client, path, headers)
                       if "calendar_" in s or "board_settings" in s]
            print(f"{path}: {len(touched)} Anweisungen zu Kalender/Einstellungen")
            if touched:
                failures.append(f"{path} reads the calendar or the board settings")
    for failure in failures:
        print("FEHLER:", failure)
    print("ok" if not failures else f"{len(failures)} Fehler")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
