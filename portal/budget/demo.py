"""Demo data of the Kinder- und Jugendbudget: eight Ortsteile sharing 21.000 € this year, with
the new stove in Taubach and the Hobby-Horse materials in Legefeld among the spendings.

Idempotent: budgets are looked up by (year, Ortsteil), requests by (budget, purpose).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.auth.models import User
from portal.budget.models import Booking, Budget, BudgetRequest, BudgetRequestEvent, RequestState
from portal.extensions import db, utcnow
from portal.formatting import jetzt
from portal.org.models import Ortsteil

#: Ortsteil slug -> budget in euros (together 21.000 €).
AMOUNTS = {"gaberndorf": 2500, "troebsdorf": 2400, "schoendorf": 3000, "suessenborn": 2300,
           "gelmeroda": 2600, "taubach": 3000, "legefeld": 2700, "niedergrunstedt": 2500}

#: (Ortsteil, purpose, age group, children, requested €, booked € or None, state)
REQUESTS = [
    ("taubach", "Neuer Herd für die Backgruppe im Gemeindehaus", "6–14 Jahre", 18, 1200, 1160, "abgerechnet"),
    ("taubach", "Ausflug in den Tierpark", "6–12 Jahre", 20, 400, None, "freigegeben"),
    ("taubach", "Bastelmaterial für die Weihnachtsfeier", "3–12 Jahre", 25, 250, None, "eingereicht"),
    ("legefeld", "Materialien für die große Hobby-Horse-Gruppe", "7–13 Jahre", 24, 650, 612.35, "abgerechnet"),
    ("legefeld", "Turnierhindernisse für das Hobby-Horse-Fest", "7–13 Jahre", 24, 300, None, "eingereicht"),
    ("gelmeroda", "Gartengeräte für das Kinderbeet", "5–10 Jahre", 12, 380, 365.90, "abgerechnet"),
    ("schoendorf", "Tanzworkshop in den Herbstferien", "10–16 Jahre", 15, 900, None, "freigegeben"),
    ("gaberndorf", "Familiencafé: Spiele und Bücherkiste", "0–10 Jahre", 30, 450, 449.80, "abgerechnet"),
]


def _cents(euros) -> int:
    return int(round(euros * 100))


def seed(password: str = "", reset_passwords: bool = False) -> None:
    year = jetzt().year
    ortsteile = {o.slug: o for o in db.session.scalars(select(Ortsteil))}
    budgets = {}
    for slug, amount in AMOUNTS.items():
        if slug not in ortsteile:
            continue
        o = ortsteile[slug]
        budget = db.session.scalar(select(Budget).where(Budget.year == year, Budget.ortsteil_id == o.id))
        if budget is None:
            budget = Budget(year=year, ortsteil_id=o.id, amount_cents=_cents(amount), committed_cents=0, spent_cents=0)
            db.session.add(budget)
            # Last year too, so that "Beträge übernehmen" has something to copy from.
            db.session.add(Budget(year=year - 1, ortsteil_id=o.id, amount_cents=_cents(amount),
                                  committed_cents=0, spent_cents=0))
        budgets[slug] = budget
    db.session.flush()
    users = {u.email: u for u in db.session.scalars(select(User))}
    leitung = users.get("leitung@portal.example")
    volunteers = {"taubach": users.get("ehrenamt.taubach@portal.example"),
                  "legefeld": users.get("ehrenamt.legefeld@portal.example")}
    for slug, purpose, ages, children, requested, booked, state in REQUESTS:
        budget = budgets.get(slug)
        if budget is None or db.session.scalar(select(BudgetRequest.id).where(
                BudgetRequest.budget_id == budget.id, BudgetRequest.purpose == purpose)):
            continue
        author = volunteers.get(slug)
        req = BudgetRequest(budget=budget, author_id=author.id if author else None, purpose=purpose,
                            age_group=ages, participants=children, amount_cents=_cents(requested),
                            needed_on=date(year, 10, 1), state=RequestState(state), approved_cents=0)
        db.session.add(req)
        req.events.append(BudgetRequestEvent(actor_id=author.id if author else None, at=utcnow(),
                                             action="eingereicht"))
        if state in ("freigegeben", "abgerechnet"):
            req.approved_cents = _cents(requested)
            req.events.append(BudgetRequestEvent(actor_id=leitung.id if leitung else None, at=utcnow(),
                                                 action="freigegeben"))
            budget.committed_cents += req.approved_cents
        if booked is not None:
            db.session.flush()
            db.session.add(Booking(request_id=req.id, amount_cents=_cents(booked), actor_id=author.id if author else None,
                                   note="Beleg liegt im Familienamt (Papier)", at=utcnow()))
            req.events.append(BudgetRequestEvent(actor_id=author.id if author else None, at=utcnow(), action="gebucht"))
            budget.committed_cents += _cents(booked) - req.approved_cents
            budget.spent_cents += _cents(booked)
    db.session.flush()
