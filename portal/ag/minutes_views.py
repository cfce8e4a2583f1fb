"""AG 78 routes of a Niederschrift: publish, approve, back to draft; Berichtigungen; change
requests of members; read receipts and who has read."""
from __future__ import annotations

from flask import abort, flash, render_template

from portal.ag import minutes, services
from portal.ag.forms import ChangeRequestAnswerForm, ChangeRequestForm, CorrectionForm, TransitionForm
from portal.ag.models import MinutesStatus
from portal.ag.view_support import (actor, editor_ctx, item_choices, load_ctx, load_meeting, meeting_page_with_errors,
                                    meeting_url)
from portal.ag.views import bp
from portal.errors import Invalid
from portal.extensions import db
from portal.htmx import redirect_after_post


@bp.post("/<slug>/meetings/<int:meeting_id>/minutes/<name>")
def minutes_transition(slug: str, meeting_id: int, name: str):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    if name not in minutes.TRANSITIONS:
        abort(404)
    form = TransitionForm(prefix=f"transition-{name}")
    if form.validate_on_submit():
        try:
            transition = minutes.change_status(m, name, actor(), form.reason.data)
        except Invalid as e:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, e.message]
        else:
            db.session.commit()
            flash(transition.done, "success")
            return redirect_after_post(meeting_url(m, "niederschrift"))
    return meeting_page_with_errors(ctx, m, (f"transition-{name}", None), form)


@bp.route("/<slug>/meetings/<int:meeting_id>/corrections", methods=["GET", "POST"])
def correction_add(slug: str, meeting_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    if m.minutes_status != MinutesStatus.GENEHMIGT:
        abort(409, description="Berichtigungen gibt es nur für genehmigte Niederschriften. "
                               "Einen Entwurf kannst du direkt bearbeiten.")
    form = CorrectionForm()
    form.agenda_item.choices = item_choices(m, "– die ganze Niederschrift –")
    if form.validate_on_submit():
        minutes.add_correction(m, actor(), agenda_item_id=form.agenda_item.data or None, text=form.text.data)
        db.session.commit()
        flash("Die Berichtigung ist mit Datum angefügt.", "success")
        return redirect_after_post(meeting_url(m, "berichtigungen"))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/correction_form.html", ctx=ctx, group=ctx.group, meeting=m, form=form,
                           title=f"Berichtigung – {m.full_title}"), status


@bp.post("/<slug>/meetings/<int:meeting_id>/change-requests")
def change_request_add(slug: str, meeting_id: int):
    ctx = load_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    if not ctx.member:
        abort(403, description="Änderungswünsche können die Mitglieder der AG eintragen.")
    if m.minutes_status != MinutesStatus.VEROEFFENTLICHT:
        abort(409, description="Änderungswünsche sind nur möglich, solange die Niederschrift veröffentlicht und "
                               "noch nicht genehmigt ist.")
    form = ChangeRequestForm(prefix="change")
    form.agenda_item.choices = item_choices(m, "– bitte wählen –")
    if form.validate_on_submit():
        try:
            minutes.request_change(m, actor(), form.text.data, agenda_item_id=form.agenda_item.data)
        except Invalid as e:
            db.session.rollback()
            form.agenda_item.errors = [*form.agenda_item.errors, e.message]
        else:
            db.session.commit()
            flash("Dein Änderungswunsch ist eingetragen. Das Protokoll sieht ihn vor der Genehmigung.", "success")
            return redirect_after_post(meeting_url(m, "aenderungswuensche"))
    return meeting_page_with_errors(ctx, m, ("change", None), form)


@bp.post("/<slug>/meetings/<int:meeting_id>/change-requests/<int:request_id>/answer")
def change_request_answer(slug: str, meeting_id: int, request_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    request = next((c for c in m.change_requests if c.id == request_id), None)
    if request is None:
        abort(404)
    prefix = f"answer-{request.id}"
    form = ChangeRequestAnswerForm(prefix=prefix)
    if form.validate_on_submit():
        try:
            minutes.answer_change_request(request, actor(), form.status.data, form.answer.data)
        except Invalid as e:
            db.session.rollback()
            form.answer.errors = [*form.answer.errors, e.message]
        else:
            db.session.commit()
            flash("Der Änderungswunsch ist beantwortet.", "success")
            return redirect_after_post(meeting_url(m, "aenderungswuensche"))
    return meeting_page_with_errors(ctx, m, (prefix, None), form)


@bp.post("/<slug>/meetings/<int:meeting_id>/read")
def mark_read(slug: str, meeting_id: int):
    ctx = load_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    if not ctx.member:
        abort(403, description="Lesebestätigungen geben die Mitglieder der AG.")
    minutes.confirm_read(m, actor())
    db.session.commit()
    flash("Danke – du hast die Niederschrift als gelesen bestätigt.", "success")
    return redirect_after_post(meeting_url(m, "niederschrift"))


@bp.get("/<slug>/meetings/<int:meeting_id>/readers")
def readers(slug: str, meeting_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    rows = services.readers(m)
    return render_template("ag/readers.html", ctx=ctx, group=ctx.group, meeting=m, rows=rows,
                           read_count=sum(1 for _, r in rows if r and (not m.minutes_changed_at
                                                                       or r.read_at >= m.minutes_changed_at)),
                           title=f"Wer hat gelesen? – {m.full_title}")
