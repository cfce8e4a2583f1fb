#!/usr/bin/env python3
"""How long the Bericht für den Jugendhilfeausschuss takes for one year at production size.

    .venv/bin/python bench/report_timing.py                  # production size (seeds bench/data/report-production.db)
    .venv/bin/python bench/report_timing.py --size small     # 1,000 posts, 500 proposals, 100 meetings: a quick check
    .venv/bin/python bench/report_timing.py --reuse          # keep a database seeded before

Seeds like bench/run.py (seed-demo, then seed-bench) and adds what seed-bench leaves out and the
report reads: HzE hours per Sozialraum and month and, for every Ortsteil, a year's Kinder- und
Jugendbudget with requests (approved, accounted, waiting) and bookings. Then builds the report for
the year with every Sozialraum and every section, and renders it as DOCX and ODT – ``--runs`` times
(the first run includes the cold start) – and prints the seconds per step and the document sizes.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import DATA, SIZES, portal_env, seed  # noqa: E402

#: Requests per Ortsteil and year (production: 30 Ortsteile x 40 = 1,200 requests).
REQUESTS = {"production": 40, "small": 10}


def add_report_data(year: int, per_ortsteil: int) -> str:
    """HzE hours and budgets of ``year`` where there are none yet (idempotent); returns a summary."""
    from sqlalchemy import func, select

    from portal.auth.models import Role, User, UserRole
    from portal.budget.models import Booking, Budget, BudgetRequest, RequestState
    from portal.extensions import db
    from portal.org.models import Ortsteil, Sozialraum
    from portal.proposals.models import HzeHours

    rnd = random.Random(year)
    at = datetime(year, 6, 1, 10, tzinfo=timezone.utc)
    leitung = db.session.scalar(select(User.id).join(UserRole).where(UserRole.role == Role.LEITUNG).limit(1))
    for raum_id in db.session.scalars(select(Sozialraum.id)):
        for month in range(1, 13):
            first = date(year, month, 1)
            if db.session.scalar(select(HzeHours.id).where(HzeHours.sozialraum_id == raum_id, HzeHours.month == first)):
                continue
            db.session.add(HzeHours(sozialraum_id=raum_id, month=first, hours=round(rnd.uniform(700, 1600), 1),
                                    updated_by_id=leitung, updated_at=at))
    states = [RequestState.ABGERECHNET] * 5 + [RequestState.FREIGEGEBEN] * 3 + [RequestState.EINGEREICHT,
                                                                               RequestState.ABGELEHNT]
    for ortsteil_id in db.session.scalars(select(Ortsteil.id).order_by(Ortsteil.id)):
        budget = db.session.scalar(select(Budget).where(Budget.year == year, Budget.ortsteil_id == ortsteil_id))
        if budget is None:
            budget = Budget(year=year, ortsteil_id=ortsteil_id, amount_cents=rnd.randint(20, 35) * 10_000,
                            committed_cents=0, spent_cents=0)
            db.session.add(budget)
            db.session.flush()
        have = db.session.scalar(select(func.count()).select_from(BudgetRequest)
                                 .where(BudgetRequest.budget_id == budget.id))
        for i in range(have, per_ortsteil):
            state = states[i % len(states)]
            amount = rnd.randint(20, 120) * 100
            if state in (RequestState.FREIGEGEBEN, RequestState.ABGERECHNET) and \
                    budget.committed_cents + amount > budget.amount_cents:
                state = RequestState.ABGELEHNT
            req = BudgetRequest(budget_id=budget.id, purpose=f"Material für die Kindergruppe ({i + 1})",
                                age_group="6–12 Jahre", participants=rnd.randint(5, 30), amount_cents=amount,
                                state=state, approved_cents=0, created_at=at)
            db.session.add(req)
            if state in (RequestState.FREIGEGEBEN, RequestState.ABGERECHNET):
                req.approved_cents = amount
                budget.committed_cents += amount
            if state == RequestState.ABGERECHNET:
                db.session.flush()
                db.session.add(Booking(request_id=req.id, amount_cents=amount, note="Beleg", at=at))
                budget.spent_cents += amount
    db.session.commit()
    n_requests = db.session.scalar(select(func.count()).select_from(BudgetRequest).join(Budget)
                                   .where(Budget.year == year))
    return f"{n_requests} Budgetanträge {year}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=SIZES, default="production")
    ap.add_argument("--year", type=int, default=None, help="Berichtsjahr (Vorgabe: das laufende Jahr)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--reuse", action="store_true", help="eine schon angelegte Datenbank weiterverwenden")
    a = ap.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    db_path = DATA / f"report-{a.size}.db"
    seed(db_path, a.size, a.reuse)
    os.environ.update({k: v for k, v in portal_env(db_path).items() if k.startswith("PORTAL_")})

    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.formatting import jetzt
    from portal.org.models import Sozialraum
    from portal.reports import render
    from portal.reports.data import SECTIONS, Period, build_report

    app = create_app()
    year = a.year or jetzt().year
    with app.app_context():
        print(add_report_data(year, REQUESTS[a.size]))
        raeume = db.session.scalars(select(Sozialraum.id)).all()
        period = Period(date(year, 1, 1), date(year, 12, 31), f"Jahr {year}")
        steps: dict[str, list[float]] = {"Daten": [], "DOCX": [], "ODT": [], "gesamt": []}
        for _ in range(a.runs):
            db.session.expire_all()
            t0 = time.perf_counter()
            report = build_report(period, raeume, list(SECTIONS))
            t1 = time.perf_counter()
            docx = render.to_docx(report, date(year, 12, 31))
            t2 = time.perf_counter()
            odt = render.to_odt(report, date(year, 12, 31))
            t3 = time.perf_counter()
            for key, value in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
                steps[key].append(value)
        projects = sum(len(area.projects) for area in report.areas)
        print(f"Bericht {year}, Größe {a.size}: {len(raeume)} Sozialräume, {projects} Projekte, "
              f"{len(report.meetings)} Sitzungen, {sum(len(m.decisions) for m in report.meetings)} Beschlüsse, "
              f"{len(report.budgets)} Budgets, {len(report.spendings)} freigegebene Budgetanträge")
        print(f"DOCX {len(docx) / 1024:.0f} KB, ODT {len(odt) / 1024:.0f} KB")
        for key, values in steps.items():
            print(f"  {key:7s} {statistics.median(values):6.2f} s (Median aus {len(values)}; "
                  f"erster Lauf {values[0]:.2f} s)")


if __name__ == "__main__":
    main()
