"""Operations of the Kinder- und Jugendbudget: check the rule, change state, record history,
flush, send the event; never commit (the view does, once).

Never overspent: every change of the bound money goes through ``_bind``, one conditional UPDATE
on the budget row (``committed + delta <= amount``) inside the transaction. The database
serialises concurrent UPDATEs of one row (SQLite: the write lock; PostgreSQL: the row lock, and
the condition is re-checked on the newest row version), so of two approvals that together do not
fit exactly one succeeds; the other gets a Conflict (409). A CHECK constraint backs it up.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import duplicates, signals
from portal.auth.models import Role
from portal.budget.models import (Booking, Budget, BudgetRequest, BudgetRequestEvent, RequestState,
                                  can_decide_for, can_set_amounts, is_volunteer_of)
from portal.budget.money import euro
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db, utcnow
from portal.org.models import Ortsteil
from portal.paging import Page, keyset_page
from portal.uploads import save_upload

RECEIPT_TYPES = {"pdf", "jpg", "jpeg", "png"}
RECEIPT_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_SUBDIR = "budget"

STALE = ("Der Antrag wurde inzwischen von jemand anderem bearbeitet; deine Aktion wurde nicht "
         "ausgeführt. Bitte lade die Seite neu.")


def _bind(budget_id: int, delta: int, spent_delta: int = 0) -> None:
    """Add ``delta`` cents to the bound money, only if the budget still covers it."""
    try:
        result = db.session.execute(
            update(Budget)
            .where(Budget.id == budget_id, Budget.committed_cents + delta <= Budget.amount_cents)
            .values(committed_cents=Budget.committed_cents + delta,
                    spent_cents=Budget.spent_cents + spent_delta)
            .execution_options(synchronize_session=False))
    except OperationalError:  # SQLite gave up waiting for the write lock
        db.session.rollback()
        raise Conflict("Das Budget wird gerade von jemand anderem gebucht. Bitte versuche es gleich noch einmal.") from None
    if result.rowcount != 1:
        db.session.rollback()
        budget = db.session.get(Budget, budget_id)
        left = euro(budget.left_cents) if budget else "0,00 €"
        raise Conflict(f"Das Budget reicht dafür nicht: frei sind nur noch {left}.")
    budget = db.session.get(Budget, budget_id)
    if budget is not None:
        db.session.refresh(budget)


# --- budgets ---------------------------------------------------------------------------------------

def budget_for(ortsteil_id: int, year: int) -> Budget | None:
    return db.session.scalar(select(Budget).where(Budget.ortsteil_id == ortsteil_id, Budget.year == year))


def set_amount(user, ortsteil: Ortsteil, year: int, amount_cents: int) -> Budget:
    if not can_set_amounts(user):
        raise NotAllowed()
    if amount_cents < 0:
        raise Invalid("Der Betrag darf nicht negativ sein.")
    budget = budget_for(ortsteil.id, year)
    created = False
    if budget is None:  # the same form sent twice at once: the second changes the first one's row
        budget, created = duplicates.add_once(
            Budget(year=year, ortsteil_id=ortsteil.id, amount_cents=amount_cents, committed_cents=0, spent_cents=0),
            lambda: db.session.scalar(select(Budget).where(Budget.ortsteil_id == ortsteil.id, Budget.year == year)
                                      .execution_options(populate_existing=True)))
    if not created:
        # Conditional as well: never below what approved requests already bind.
        result = db.session.execute(
            update(Budget).where(Budget.id == budget.id, Budget.committed_cents <= amount_cents)
            .values(amount_cents=amount_cents).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            db.session.rollback()
            raise Invalid(f"Für {ortsteil.name} sind schon mehr Mittel gebunden; der Betrag darf nicht kleiner sein.")
        db.session.refresh(budget)
    signals.budget_set.send(budget, actor=user)
    return budget


def copy_last_year(user, year: int) -> int:
    """Take over last year's amounts for every Ortsteil that has none for ``year`` yet."""
    if not can_set_amounts(user):
        raise NotAllowed()
    have = set(db.session.scalars(select(Budget.ortsteil_id).where(Budget.year == year)))
    copied = 0
    for old in db.session.scalars(select(Budget).where(Budget.year == year - 1).order_by(Budget.id)):
        if old.ortsteil_id in have:
            continue
        budget, created = duplicates.add_once(
            Budget(year=year, ortsteil_id=old.ortsteil_id, amount_cents=old.amount_cents, committed_cents=0,
                   spent_cents=0),
            lambda: budget_for(old.ortsteil_id, year))  # a parallel copy was first: keep its row
        if created:
            signals.budget_set.send(budget, actor=user)
            copied += 1
    return copied


# --- requests --------------------------------------------------------------------------------------

@dataclass
class RequestValues:
    purpose: str
    description: str
    age_group: str
    participants: int | None
    amount_cents: int
    needed_on: date | None


def _event(req: BudgetRequest, user, action: str, reason: str = "") -> None:
    # No autoflush while loading the history: the request's versioned UPDATE must happen in
    # _flush_request, where losing a race becomes a Conflict.
    with db.session.no_autoflush:
        req.events.append(BudgetRequestEvent(actor_id=user.id if user else None, at=utcnow(), action=action,
                                             reason=reason))


def file_request(user, ortsteil: Ortsteil, year: int, values: RequestValues) -> BudgetRequest:
    if not is_volunteer_of(user, ortsteil):
        raise NotAllowed()
    budget = budget_for(ortsteil.id, year)
    if budget is None:
        raise Invalid(f"Für {ortsteil.name} gibt es für {year} noch kein Budget.")
    if values.amount_cents <= 0:
        raise Invalid("Bitte einen Betrag über 0 € angeben.")
    duplicates.one_at_a_time(user)
    twin = db.session.scalar(select(BudgetRequest).where(
        BudgetRequest.author_id == user.id, BudgetRequest.budget_id == budget.id,
        BudgetRequest.purpose == values.purpose, BudgetRequest.amount_cents == values.amount_cents,
        BudgetRequest.description == values.description, BudgetRequest.created_at >= duplicates.since())
        .order_by(BudgetRequest.id.desc()).limit(1))
    if twin is not None:  # the same form sent twice: answer with the request the first one filed
        duplicates.answered_with_twin(twin)
        return twin
    req = BudgetRequest(budget=budget, author_id=user.id, purpose=values.purpose, description=values.description,
                        age_group=values.age_group, participants=values.participants,
                        amount_cents=values.amount_cents, needed_on=values.needed_on,
                        state=RequestState.EINGEREICHT, approved_cents=0)
    db.session.add(req)
    _event(req, user, "eingereicht")
    db.session.flush()
    signals.budget_request_changed.send(req, actor=user, action="eingereicht", reason="")
    return req


def _check_version(req: BudgetRequest, version: int | None) -> None:
    if version is not None and version != req.version:
        raise Conflict(STALE)


def _flush_request() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(STALE) from None


def decide(user, req: BudgetRequest, action: str, *, version: int | None, reason: str = "") -> BudgetRequest:
    """approve / return (Rückfrage) / reject. Approval binds the amount in the budget."""
    if not can_decide_for(user, req.budget.ortsteil):
        raise NotAllowed()
    _check_version(req, version)
    if req.state not in (RequestState.EINGEREICHT, RequestState.RUECKFRAGE):
        raise Conflict(f"Der Antrag ist schon {req.state.label}.")
    reason = (reason or "").strip()
    if action in ("rueckfrage", "abgelehnt") and not reason:
        raise Invalid("Bitte eine Begründung angeben.")
    if action == "freigegeben":
        req.state = RequestState.FREIGEGEBEN
        req.approved_cents = req.amount_cents
    elif action == "rueckfrage":
        req.state = RequestState.RUECKFRAGE
    elif action == "abgelehnt":
        req.state = RequestState.ABGELEHNT
    else:
        raise Invalid("Unbekannte Entscheidung.")
    _event(req, user, action, reason)
    _flush_request()  # the request's version first: of two decisions on it, one wins
    if action == "freigegeben":
        _bind(req.budget_id, req.amount_cents)
    signals.budget_request_changed.send(req, actor=user, action=action, reason=reason)
    return req


def answer(user, req: BudgetRequest, *, version: int | None, text: str, amount_cents: int | None) -> BudgetRequest:
    """The volunteer answers a Rückfrage (optionally with a new amount); it waits again."""
    if not req.can_answer(user):
        raise NotAllowed()
    _check_version(req, version)
    text = (text or "").strip()
    if not text:
        raise Invalid("Bitte eine Antwort schreiben.")
    if amount_cents is not None:
        if amount_cents <= 0:
            raise Invalid("Bitte einen Betrag über 0 € angeben.")
        req.amount_cents = amount_cents
    req.state = RequestState.EINGEREICHT
    _event(req, user, "beantwortet", text)
    _flush_request()
    signals.budget_request_changed.send(req, actor=user, action="beantwortet", reason=text)
    return req


def book(user, req: BudgetRequest, *, version: int | None, amount_cents: int, receipt, note: str = "") -> Booking:
    """Book what was really spent, with the receipt. The difference to the approved amount goes
    back to the budget (or, when more was spent, must still fit)."""
    if not req.can_book(user):
        raise NotAllowed()
    _check_version(req, version)
    if amount_cents <= 0:
        raise Invalid("Bitte den ausgegebenen Betrag angeben.")
    stored = save_upload(receipt, UPLOAD_SUBDIR, RECEIPT_TYPES, RECEIPT_MAX_BYTES)
    booking = Booking(request_id=req.id, amount_cents=amount_cents, note=(note or "").strip()[:300],
                      receipt_storage_name=stored.storage_name, receipt_name=stored.original_name,
                      receipt_type=stored.content_type, actor_id=user.id, at=utcnow())
    db.session.add(booking)
    req.state = RequestState.ABGERECHNET
    _event(req, user, "gebucht", f"{euro(amount_cents)} (freigegeben: {euro(req.approved_cents)})")
    _flush_request()
    _bind(req.budget_id, amount_cents - req.approved_cents, spent_delta=amount_cents)
    signals.budget_booked.send(booking, actor=user)
    return booking


def counter_book(user, req: BudgetRequest, booking: Booking, *, version: int | None, reason: str) -> Booking:
    """Cancel a booking by a counter-booking; the request is approved (unbooked) again."""
    if not req.can_counter_book(user):
        raise NotAllowed()
    _check_version(req, version)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Bitte angeben, warum die Buchung storniert wird.")
    if booking.request_id != req.id or booking.amount_cents <= 0 or any(
            b.corrects_id == booking.id for b in req.bookings):
        raise Conflict("Diese Buchung kann nicht (mehr) storniert werden.")
    counter = Booking(request_id=req.id, amount_cents=-booking.amount_cents, corrects_id=booking.id,
                      note=reason[:300], actor_id=user.id, at=utcnow())
    db.session.add(counter)
    req.state = RequestState.FREIGEGEBEN
    _event(req, user, "gegengebucht", reason)
    _flush_request()
    _bind(req.budget_id, req.approved_cents - booking.amount_cents, spent_delta=-booking.amount_cents)
    signals.budget_booked.send(counter, actor=user)
    return counter


# --- queries ---------------------------------------------------------------------------------------

def visible_ortsteile(user) -> list[Ortsteil]:
    """The Ortsteile whose budget ``user`` sees (same rule as models.can_see_ortsteil)."""
    stmt = select(Ortsteil).order_by(Ortsteil.name)
    if user.has_role(Role.ADMIN, Role.LEITUNG):
        return list(db.session.scalars(stmt))
    ids = {o.id for o in user.ortsteile} if user.has_role(Role.EHRENAMT) else set()
    conds = [Ortsteil.id.in_(ids)] if ids else []
    if user.has_role(Role.KOORDINATION) and user.sozialraum_id:
        conds.append(Ortsteil.sozialraum_id == user.sozialraum_id)
    if not conds:
        return []
    from sqlalchemy import or_
    return list(db.session.scalars(stmt.where(or_(*conds))))


def overview(user, year: int) -> list[tuple[Ortsteil, Budget | None]]:
    """Rows of the overview: two queries, whatever the number of Ortsteile."""
    ortsteile = visible_ortsteile(user)
    budgets = {b.ortsteil_id: b for b in db.session.scalars(
        select(Budget).where(Budget.year == year, Budget.ortsteil_id.in_([o.id for o in ortsteile])))}
    return [(o, budgets.get(o.id)) for o in ortsteile]


def requests_of(user, year: int, after: int | None = None, limit: int = 50) -> Page:
    """The year's requests of the Ortsteile ``user`` sees, newest first, one keyset page."""
    ids = [o.id for o in visible_ortsteile(user)]
    stmt = (select(BudgetRequest).join(Budget).where(Budget.year == year, Budget.ortsteil_id.in_(ids))
            .options(selectinload(BudgetRequest.budget).selectinload(Budget.ortsteil)))
    return keyset_page(stmt, [(BudgetRequest.id, "desc")], after, limit, id_column=BudgetRequest.id)


def waiting_count(user) -> int:
    """Badge: requests waiting for this user's decision."""
    if not user.has_role(Role.ADMIN, Role.LEITUNG, Role.KOORDINATION):
        return 0
    stmt = select(func.count()).select_from(BudgetRequest).join(Budget).join(Ortsteil).where(
        BudgetRequest.state == RequestState.EINGEREICHT)
    if not user.has_role(Role.ADMIN, Role.LEITUNG):
        stmt = stmt.where(Ortsteil.sozialraum_id == user.sozialraum_id)
    return db.session.scalar(stmt) or 0


def banner_for(user, ortsteil: Ortsteil, year: int) -> Budget | None:
    """The board's "Budget 2026: noch 840 € frei" for the Ortsteil's volunteers: one query."""
    if not is_volunteer_of(user, ortsteil) and not can_decide_for(user, ortsteil):
        return None
    return budget_for(ortsteil.id, year)


def personal_data(user) -> dict:
    rows = db.session.scalars(select(BudgetRequest).where(BudgetRequest.author_id == user.id)
                              .order_by(BudgetRequest.id))
    return {"antraege": [{"zweck": r.purpose, "betrag": euro(r.amount_cents), "status": r.state.label,
             "eingereicht_am": r.created_at.isoformat()} for r in rows]}
