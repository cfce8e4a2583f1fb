"""Budgets and requests for tests (no demo titles)."""
from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import User
from portal.budget.models import Budget, BudgetRequest, BudgetRequestEvent, RequestState
from portal.extensions import db, utcnow
from portal.formatting import jetzt
from portal.org.models import Ortsteil

_counter = iter(range(1, 10**9))


def ortsteil(slug: str) -> Ortsteil:
    return db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))


def make_budget(slug: str = "taubach", euros: int | None = 1000, year: int | None = None) -> Budget:
    """The Ortsteil's budget of ``year`` (this year); ``euros`` sets its amount (None keeps it)."""
    year = year or jetzt().year
    o = ortsteil(slug)
    budget = db.session.scalar(select(Budget).where(Budget.ortsteil_id == o.id, Budget.year == year))
    if budget is None:
        budget = Budget(year=year, ortsteil_id=o.id, amount_cents=0, committed_cents=0, spent_cents=0)
        db.session.add(budget)
    if euros is not None or not budget.amount_cents:
        budget.amount_cents = max((euros or 1000) * 100, budget.committed_cents)
    db.session.flush()
    return budget


def make_request(slug: str = "taubach", euros: int = 100, state: RequestState = RequestState.EINGEREICHT,
                 author: str = "ehrenamt.taubach@portal.example", budget_euros: int | None = None,
                 year: int | None = None) -> BudgetRequest:
    budget = make_budget(slug, budget_euros, year)
    user = db.session.scalar(select(User).where(User.email == author))
    req = BudgetRequest(budget=budget, author_id=user.id if user else None, purpose=f"Testkauf {next(_counter)}",
                        amount_cents=euros * 100, state=state, approved_cents=0)
    req.events.append(BudgetRequestEvent(actor_id=req.author_id, at=utcnow(), action="eingereicht"))
    if state in (RequestState.FREIGEGEBEN,):
        req.approved_cents = euros * 100
        budget.committed_cents += euros * 100
    db.session.add(req)
    db.session.flush()
    return req
