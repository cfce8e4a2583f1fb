#!/usr/bin/env python3
"""Query plans of the statements the benchmark found slow, on the seeded bench database (SQLite).

    .venv/bin/python bench/plans.py            # prints each checked statement's plan, exit 1 on a miss

These checks read SQL text and EXPLAIN QUERY PLAN: they belong to the benchmark, not to the tests
(which assert behaviour and query counts). Run after `bench/run.py` seeded bench/data/.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: (page path, role, which statements, index the plan must use)
CHECKS = [
    ("/board/", "ehrenamt.taubach@portal.example",
     lambda sql: "FROM ortsteil JOIN board_post" in sql, "ix_board_post_ortsteil_list"),
    ("/proposals/approved", "koordination.nord@portal.example",
     lambda sql: sql.lstrip().startswith("SELECT count(") and "proposal" in sql, "ix_proposal_state_ends"),
]


def main() -> int:
    db_path = ROOT / "bench" / "data" / "bench-production.db"
    if not db_path.exists():
        sys.exit(f"{db_path} fehlt: erst `.venv/bin/python bench/run.py` (legt sie an)")
    from bench.run import portal_env

    os.environ.update({k: v for k, v in portal_env(db_path).items() if k.startswith("PORTAL_")})
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app()
    misses = 0
    for path, email, wanted, index in CHECKS:
        client = app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": email, "password": "demo-passwort", "csrf_token": token})
        seen = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            if wanted(statement):
                seen.append((statement, parameters))

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", capture)
        try:
            client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        with app.app_context():
            for statement, parameters in seen:
                plan = [row[-1] for row in db.session.connection().exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, tuple(parameters))]
                ok = any(index in line for line in plan) and not any(
                    re.fullmatch(r"SCAN board_post|SCAN proposal", line.strip()) for line in plan)
                misses += not ok
                print(f"{'ok  ' if ok else 'MISS'} {path}: {index}\n    " + "\n    ".join(plan))
        if not seen:
            misses += 1
            print(f"MISS {path}: no statement matched")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
