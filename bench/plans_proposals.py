"""Projektanträge: how the list pages reach their rows, checked on the SQL they run (not a test:
the tests check what users see and how many queries a page needs; this reads SQL text and
SQLite's query plans, which change with SQLAlchemy and SQLite versions).

    python -m bench.plans_proposals            # a fresh demo + small bench database in a temp dir
    python -m bench.plans_proposals --proposals 2000

Checks:
1. "Freigegebene Projekte" counts the running projects through the (state, ends_on) index.
2. The next page of a list continues after the last row (keyset: ``proposal.id <``/``>``), no OFFSET.
3. The 15 % page keeps the project hours: a second request does not sum the projects again,
   and a decision makes the next request sum them once more.
Prints one line per check; exit status 1 if one fails.
"""
from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
from pathlib import Path

from bench.sql import captured_sql, query_plan


PASSWORD = "bench-plans-1"
KOORDINATION = "koordination.nord@portal.example"
FACHKRAFT = "fachkraft@awo.example"
LEITUNG = "leitung@portal.example"
SUM_OF_PROJECTS = "proposal.hours_per_week"


def make_app(tmp: Path, proposals: int):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.demo import seed_demo
    from portal.extensions import db

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp / 'plans.db'}", "SQLALCHEMY_DATABASE_URI": "",
                      "UPLOAD_DIR": str(tmp / "uploads"), "WTF_CSRF_ENABLED": False, "PAGE_SIZE": 10,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1,
                      "MFA_REQUIRED": False})  # the Leitung's pages, not her second factor
    with app.app_context():
        upgrade()
        seed_demo(PASSWORD)
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["seed-bench", "--proposals", str(proposals), "--posts", "10",
                                                "--events", "10", "--users", "60", "--ags", "1",
                                                "--meetings", "5"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return app


def client(app, email: str):
    c = app.test_client()
    assert c.post("/login", data={"email": email, "password": PASSWORD}).status_code == 303, email
    return c


def statements(app, c, path: str, method: str = "GET", data=None) -> list[tuple[str, tuple]]:
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    with captured_sql(engine) as seen:
        response = c.open(path, method=method, data=data)
        assert response.status_code in (200, 303), (path, response.status_code)
    return seen


def check_running_projects_use_the_index(app) -> tuple[bool, str]:
    seen = [s for s in statements(app, client(app, KOORDINATION), "/proposals/approved")
            if s[0].lstrip().startswith("SELECT count(") and "FROM proposal" in s[0]]
    if not seen:
        return False, "no count of the approved projects"
    lines = query_plan(app, *seen[0])
    return any("ix_proposal_state_ends" in line for line in lines), " | ".join(lines)


def check_next_page_is_keyset(app) -> tuple[bool, str]:
    c = client(app, FACHKRAFT)
    html = c.get("/proposals/").get_data(as_text=True)
    found = re.search(r'href="([^"]*nach=\d+[^"]*)" rel="next"', html)
    if not found:
        return False, "the first page has no link to the next"
    seen = statements(app, c, found.group(1).replace("&amp;", "&"))
    listing = [s for s, _ in seen if "FROM proposal" in s and "LIMIT" in s and "count(" not in s]
    keyset = [s for s in listing if re.search(r"proposal\.id [<>] ", s)]
    offsets = [s for s, p in seen if re.search(r"OFFSET \?", s) and any(isinstance(v, int) and v > 0 for v in p[-1:])]
    return bool(keyset) and not offsets, f"{len(keyset)} keyset statement(s), {len(offsets)} with OFFSET > 0"


def check_project_hours_are_kept(app) -> tuple[bool, str]:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.proposals.models import Proposal, ProposalState

    leitung = client(app, LEITUNG)
    leitung.get("/proposals/target")
    kept = [s for s, _ in statements(app, leitung, "/proposals/target") if SUM_OF_PROJECTS in s]
    with app.app_context():
        waiting = db.session.scalar(select(Proposal).where(Proposal.state == ProposalState.EINGEREICHT).limit(1))
        pid, version = waiting.id, waiting.version
    statements(app, leitung, f"/proposals/{pid}/transition", "POST", {"action": "approve", "version": version})
    again = [s for s, _ in statements(app, leitung, "/proposals/target") if SUM_OF_PROJECTS in s]
    return not kept and len(again) == 1, f"kept: {len(kept)} sums, after a decision: {len(again)}"


CHECKS = [check_running_projects_use_the_index, check_next_page_is_keyset, check_project_hours_are_kept]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proposals", type=int, default=300)
    args = ap.parse_args()
    logging.disable(logging.INFO)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), args.proposals)
        for check in CHECKS:
            ok, detail = check(app)
            failed += not ok
            print(f"{'OK  ' if ok else 'FAIL'} {check.__name__}: {detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
