"""Kinder- und Jugendbudget: overview, requests of the Ortsteile, decisions, bookings, export."""
from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import duplicates
from portal.budget import services
from portal.budget.forms import (AmountForm, AnswerForm, BookingForm, CounterBookingForm, DecisionForm,
                                 RequestForm)
from portal.budget.models import (Booking, BudgetRequest, can_decide_for, can_set_amounts,
                                  is_volunteer_of, uses_budget)
from portal.budget.money import euro, euro_short
from portal.csvexport import csv_response
from portal.errors import Invalid
from portal.extensions import db
from portal.formatting import jetzt
from portal.htmx import redirect_after_post
from portal.org.models import Ortsteil
from portal.paging import CURSOR_ARG, parse_cursor
from portal.uploads import UploadError, send_upload

bp = Blueprint("budget", __name__, url_prefix="/budget")

DECISIONS = {"freigegeben": "Freigegeben", "rueckfrage": "Rückfrage gestellt", "abgelehnt": "Abgelehnt"}


@bp.app_template_filter("euro")
def _euro_filter(cents):
    return euro(cents)


@bp.app_template_filter("euro_short")
def _euro_short_filter(cents):
    return euro_short(cents)


def _year() -> int:
    raw = request.args.get("jahr", "")
    if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return jetzt().year


def _require_user():
    if not uses_budget(current_user):
        abort(403)


def _request_or_404(request_id: int) -> BudgetRequest:
    req = db.session.get(BudgetRequest, request_id)
    if req is None or not req.can_view(current_user):
        abort(404)
    return req


def _ortsteil_or_404(slug: str) -> Ortsteil:
    ortsteil = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))
    if ortsteil is None:
        abort(404)
    return ortsteil


def _version(form) -> int | None:
    raw = (form.version.data or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else -1


# --- overview ----------------------------------------------------------------------------------------

def _rows(year: int):
    rows = services.overview(current_user, year)
    top = max([b.amount_cents for _, b in rows if b] + [1])
    return rows, top


@bp.get("/")
def index():
    _require_user()
    year = _year()
    rows, top = _rows(year)
    return render_template("budget/index.html", year=year, rows=rows, top=top,
                           page=services.requests_of(current_user, year, after=parse_cursor(request.args.get(CURSOR_ARG))),
                           can_set=can_set_amounts(current_user), amount_form=AmountForm(formdata=None),
                           own=[o for o, b in rows if b and is_volunteer_of(current_user, o)])


@bp.get("/print")
def print_view():
    _require_user()
    year = _year()
    rows, top = _rows(year)
    return render_template("budget/print.html", year=year, rows=rows, top=top, printed=jetzt(),
                           page=services.requests_of(current_user, year, limit=1000))


@bp.get("/export.csv")
def export_csv():
    _require_user()
    year = _year()
    rows = [[year, o.name, o.sozialraum.name, euro(b.amount_cents, False), euro(b.approved_open_cents, False),
             euro(b.spent_cents, False), euro(b.left_cents, False)]
            for o, b in services.overview(current_user, year) if b is not None]
    return csv_response(["Jahr", "Ortsteil", "Sozialraum", "Budget", "Freigegeben (offen)", "Ausgegeben", "Frei"],
                        rows, f"jugendbudget-{year}.csv")


@bp.post("/amounts/<slug>")
def set_amount(slug: str):
    if not can_set_amounts(current_user):
        abort(403)
    ortsteil = _ortsteil_or_404(slug)
    year = _year()
    form = AmountForm()
    if not form.validate():
        abort(422, description="Bitte einen Betrag in Euro angeben, z. B. 2.500 oder 2.500,00.")
    try:
        services.set_amount(current_user, ortsteil, year, form.amount.data)
    except Invalid as e:
        abort(422, description=e.message)
    db.session.commit()
    flash(f"Budget {year} für {ortsteil.name}: {euro(form.amount.data)}.", "success")
    return redirect_after_post(url_for("budget.index", jahr=year))


@bp.post("/copy")
def copy_last_year():
    if not can_set_amounts(current_user):
        abort(403)
    year = _year()
    copied = services.copy_last_year(current_user, year)
    db.session.commit()
    flash(f"{copied} Beträge aus {year - 1} übernommen." if copied else
          f"Nichts übernommen: {year - 1} hat keine Beträge, oder {year} hat sie schon.", "success")
    return redirect_after_post(url_for("budget.index", jahr=year))


# --- requests ----------------------------------------------------------------------------------------

@bp.route("/<slug>/new", methods=["GET", "POST"])
def new_request(slug: str):
    ortsteil = _ortsteil_or_404(slug)
    if not is_volunteer_of(current_user, ortsteil):
        abort(403)
    year = _year()
    budget = services.budget_for(ortsteil.id, year)
    form = RequestForm()
    if request.method == "POST" and form.validate():
        values = services.RequestValues(purpose=form.purpose.data.strip(), description=form.description.data or "",
                                        age_group=(form.age_group.data or "").strip(),
                                        participants=form.participants.data, amount_cents=form.amount.data,
                                        needed_on=form.needed_on.data)
        try:
            req = services.file_request(current_user, ortsteil, year, values)
        except Invalid as e:
            form.amount.errors = [*form.amount.errors, e.message]
        else:
            db.session.commit()
            flash("Dieser Antrag war schon eingereicht (das Formular wurde zweimal abgeschickt)."
                  if duplicates.is_twin(req) else "Dein Antrag ist eingereicht. Die Koordination entscheidet darüber.",
                  "success")
            return redirect_after_post(url_for("budget.detail", request_id=req.id))
    status = 422 if request.method == "POST" else 200
    return render_template("budget/new.html", form=form, ortsteil=ortsteil, year=year, budget=budget), status


def _detail(req: BudgetRequest, status: int = 200, **forms):
    decision = forms.get("decision") or DecisionForm(formdata=None, version=str(req.version))
    answer = forms.get("answer") or AnswerForm(formdata=None, version=str(req.version))
    booking = forms.get("booking") or BookingForm(formdata=None, version=str(req.version))
    counter = forms.get("counter") or CounterBookingForm(formdata=None, version=str(req.version))
    for f in (decision, answer, booking, counter):
        f.version.data = str(req.version)
    cancelled = {b.corrects_id for b in req.bookings if b.corrects_id}
    return render_template("budget/detail.html", req=req, budget=req.budget, decision=decision, answer=answer,
                           booking=booking, counter=counter, cancelled=cancelled,
                           can_decide=req.can_decide(current_user)), status


@bp.get("/requests/<int:request_id>")
def detail(request_id: int):
    return _detail(_request_or_404(request_id))


@bp.post("/requests/<int:request_id>/decide")
def decide(request_id: int):
    req = _request_or_404(request_id)
    if not can_decide_for(current_user, req.budget.ortsteil):
        abort(403)
    form = DecisionForm()
    action = request.form.get("action", "")
    if action not in DECISIONS:
        abort(422, description="Bitte Freigeben, Rückfrage oder Ablehnen wählen.")
    if not form.validate():
        return _detail(req, 422, decision=form)
    try:
        services.decide(current_user, req, action, version=_version(form), reason=form.reason.data or "")
    except Invalid as e:
        form.reason.errors = [*form.reason.errors, e.message]
        return _detail(req, 422, decision=form)
    db.session.commit()
    flash(f"{DECISIONS[action]}: „{req.purpose}“.", "success")
    return redirect_after_post(url_for("budget.detail", request_id=req.id))


@bp.post("/requests/<int:request_id>/answer")
def answer(request_id: int):
    req = _request_or_404(request_id)
    if not req.can_answer(current_user):
        abort(403)
    form = AnswerForm()
    if not form.validate():
        return _detail(req, 422, answer=form)
    try:
        services.answer(current_user, req, version=_version(form), text=form.text.data, amount_cents=form.amount.data)
    except Invalid as e:
        form.text.errors = [*form.text.errors, e.message]
        return _detail(req, 422, answer=form)
    db.session.commit()
    flash("Deine Antwort ist gespeichert; der Antrag wartet wieder auf die Entscheidung.", "success")
    return redirect_after_post(url_for("budget.detail", request_id=req.id))


@bp.post("/requests/<int:request_id>/book")
def book(request_id: int):
    req = _request_or_404(request_id)
    if not req.can_book(current_user):
        abort(403)
    form = BookingForm()
    if not form.validate():
        return _detail(req, 422, booking=form)
    try:
        services.book(current_user, req, version=_version(form), amount_cents=form.amount.data,
                      receipt=form.receipt.data, note=form.note.data or "")
    except UploadError as e:
        form.receipt.errors = [*form.receipt.errors, str(e)]
        return _detail(req, e.status, booking=form)
    except Invalid as e:
        form.amount.errors = [*form.amount.errors, e.message]
        return _detail(req, 422, booking=form)
    db.session.commit()
    flash(f"Gebucht: {euro(form.amount.data)}. Der Rest geht zurück ins Budget.", "success")
    return redirect_after_post(url_for("budget.detail", request_id=req.id))


@bp.post("/requests/<int:request_id>/bookings/<int:booking_id>/cancel")
def cancel_booking(request_id: int, booking_id: int):
    req = _request_or_404(request_id)
    if not req.can_counter_book(current_user):
        abort(403)
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.request_id != req.id:
        abort(404)
    form = CounterBookingForm()
    if not form.validate():
        return _detail(req, 422, counter=form)
    try:
        services.counter_book(current_user, req, booking, version=_version(form), reason=form.reason.data)
    except Invalid as e:
        form.reason.errors = [*form.reason.errors, e.message]
        return _detail(req, 422, counter=form)
    db.session.commit()
    flash("Gegenbuchung gespeichert; die Freigabe gilt wieder.", "success")
    return redirect_after_post(url_for("budget.detail", request_id=req.id))


@bp.get("/requests/<int:request_id>/bookings/<int:booking_id>/receipt")
def receipt(request_id: int, booking_id: int):
    req = _request_or_404(request_id)
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.request_id != req.id or not booking.receipt_storage_name:
        abort(404)
    return send_upload(booking.receipt_storage_name, booking.receipt_name, booking.receipt_type)


@bp.app_template_global("uses_budget")
def _uses_budget(user) -> bool:
    return uses_budget(user)
