"""AG 78 routes of a meeting: the meeting and its print view, date and place, attendance, the
agenda with the minutes text of each TOP, decisions and tasks."""
from __future__ import annotations

from flask import abort, flash, render_template, request, url_for

from portal.ag import invitations, meetings, services
from portal.ag.forms import ActionItemForm, AgendaItemForm, AttendanceForm, DecisionForm, MeetingForm, MinutesForm
from portal.ag.models import ActionItem, AgendaItem, Decision, Function, Meeting, MeetingStatus, Presence
from portal.ag.view_support import (actor, Ctx, editor_ctx, load_ctx, load_item, load_meeting, meeting_page_ctx,
                                    meeting_page_with_errors, meeting_url, refuse_frozen)
from portal.ag.views import bp
from portal.errors import Conflict, Invalid
from portal.extensions import db, utcnow
from portal.htmx import redirect_after_post, render, wants_fragment


# --- the meeting ----------------------------------------------------------------------------------

@bp.get("/<slug>/meetings/<int:meeting_id>/")
def meeting(slug: str, meeting_id: int):
    ctx = load_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    return render_template("ag/meeting.html", **meeting_page_ctx(ctx, m))


@bp.get("/<slug>/meetings/<int:meeting_id>/print")
def meeting_print(slug: str, meeting_id: int):
    ctx = load_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    if not m.minutes_visible(ctx.editor):
        abort(403, description="Die Niederschrift ist noch ein Entwurf und noch nicht veröffentlicht.")
    page = meeting_page_ctx(ctx, m)
    names = lambda *functions: [ms.user.display_name for ms in page["members"] if ms.function in functions]  # noqa: E731
    return render_template("ag/print.html", chairs=names(Function.SPRECHER) or names(Function.STELLV_SPRECHER),
                           secretaries=names(Function.PROTOKOLL), printed_at=utcnow(), **page)


@bp.route("/<slug>/meetings/new", methods=["GET", "POST"])
def meeting_new(slug: str):
    return _meeting_form(editor_ctx(slug), Meeting())


@bp.route("/<slug>/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def meeting_edit(slug: str, meeting_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    refuse_frozen(ctx, m, allowed=meetings.UNTIL_APPROVED)
    return _meeting_form(ctx, m)


def _meeting_form(ctx: Ctx, meeting: Meeting):
    is_new = meeting.id is None
    form = MeetingForm(obj=meeting if request.method == "GET" and not is_new else None)
    if request.method == "GET":
        form.number.data = services.next_number(ctx.group) if is_new else meeting.number
        form.status.data = (MeetingStatus.GEPLANT if is_new else meeting.status).value
    if form.validate_on_submit():
        try:
            meetings.save_meeting(ctx.group, meeting, actor(), number=form.number.data, day=form.date.data,
                                  start_time=form.start_time.data, end_time=form.end_time.data,
                                  place=form.place.data, status=MeetingStatus(form.status.data))
        except Invalid as e:
            db.session.rollback()
            form.number.errors = [*form.number.errors, e.message]
        else:
            db.session.commit()
            flash(f"{meeting.number}. Sitzung gespeichert.", "success")
            return redirect_after_post(url_for("ag.meeting", slug=ctx.group.slug, meeting_id=meeting.id))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/meeting_form.html", form=form, ctx=ctx, group=ctx.group,
                           meeting=None if is_new else meeting,
                           title="Sitzung anlegen" if is_new else f"{meeting.number}. Sitzung bearbeiten"), status


# --- attendance --------------------------------------------------------------------------------

@bp.route("/<slug>/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(slug: str, meeting_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    refuse_frozen(ctx, m)
    members = services.members_on(ctx.group.id, m.date)
    form = AttendanceForm(obj=m if request.method == "GET" else None)
    # Recorded attendance, else the replies to the invitation (Vertretung: the deputy is there).
    current = {a.membership_id: a.presence for a in m.attendance} or invitations.prefilled_presence(members, m.replies)
    chosen = {ms.id: current.get(ms.id, Presence.ANWESEND) for ms in members}
    errors: dict[int, str] = {}
    if request.method == "POST":
        for ms in members:
            try:
                chosen[ms.id] = Presence(request.form.get(f"m-{ms.id}", ""))
            except ValueError:
                errors[ms.id] = "Bitte wähle anwesend, entschuldigt oder fehlt."
            else:
                if chosen[ms.id] == Presence.VERTRETEN and not ms.deputy_on(m.date):
                    errors[ms.id] = "Für dieses Mitglied ist zum Sitzungstag keine Stellvertretung eingetragen."
        if form.validate_on_submit() and not errors:
            meetings.save_attendance(m, actor(), chosen, form.guests.data or "")
            db.session.commit()
            q = services.quorum(m, members)
            flash(f"Anwesenheit gespeichert: {q.voting_present} von {q.voting_members} stimmberechtigten "
                  f"Mitgliedern anwesend – {'beschlussfähig' if q.reached else 'nicht beschlussfähig'}.", "success")
            return redirect_after_post(meeting_url(m, "anwesenheit"))
    status = 422 if request.method == "POST" else 200
    return render_template("ag/attendance.html", ctx=ctx, group=ctx.group, meeting=m, members=members,
                           chosen=chosen, errors=errors, form=form, Presence=Presence, from_replies=bool(m.replies)
                           and not m.attendance,
                           title=f"Anwesenheit – {m.full_title}"), status


# --- agenda and minutes text ----------------------------------------------------------------------

@bp.post("/<slug>/meetings/<int:meeting_id>/agenda")
def agenda_add(slug: str, meeting_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    refuse_frozen(ctx, m)
    form = AgendaItemForm(prefix="agenda")
    if not form.validate_on_submit():
        return meeting_page_with_errors(ctx, m, ("agenda", None), form)
    item = meetings.add_agenda_item(m, actor(), title=form.title.data, description=form.description.data,
                                    public=form.is_public)
    db.session.commit()
    flash(f"{item.label} „{item.title}“ angelegt.", "success")
    return redirect_after_post(meeting_url(m, f"top-{item.id}"))


@bp.route("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>", methods=["GET", "POST"])
def agenda_edit(slug: str, meeting_id: int, item_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    item = load_item(m, item_id)
    refuse_frozen(ctx, m)
    form = MinutesForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(item.version)
        form.public.data = "oe" if item.public else "n"
    if form.validate_on_submit():
        try:
            meetings.update_agenda_item(item, actor(), version=form.version.data, title=form.title.data,
                                        description=form.description.data, minutes=form.minutes.data,
                                        public=form.is_public)
        except Conflict:
            # Someone saved in between: show their text, keep ours in the form, save again deliberately.
            db.session.rollback()
            form.version.data = str(item.version)
            return render_template("ag/agenda_form.html", ctx=ctx, group=ctx.group, meeting=m, item=item, form=form,
                                   conflict=True, title=f"{item.label} bearbeiten – {m.full_title}"), 409
        db.session.commit()
        flash(f"{item.label} gespeichert.", "success")
        return redirect_after_post(meeting_url(m, f"top-{item.id}"))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/agenda_form.html", ctx=ctx, group=ctx.group, meeting=m, item=item, form=form,
                           title=f"{item.label} bearbeiten – {m.full_title}"), status


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/move")
def agenda_move(slug: str, meeting_id: int, item_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    item = load_item(m, item_id)
    refuse_frozen(ctx, m)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    meetings.move_agenda_item(item, actor(), direction)
    db.session.commit()
    return redirect_after_post(meeting_url(m, "tagesordnung"),
                               trigger={"announce": f"„{item.title}“ ist jetzt {item.label}."})


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/delete")
def agenda_delete(slug: str, meeting_id: int, item_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    item = load_item(m, item_id)
    refuse_frozen(ctx, m)
    title = item.title
    meetings.delete_agenda_item(item, actor())
    db.session.commit()
    flash(f"„{title}“ ist von der Tagesordnung entfernt.", "success")
    return redirect_after_post(meeting_url(m, "tagesordnung"))


# --- decisions and tasks --------------------------------------------------------------------------

def _item_response(ctx: Ctx, m: Meeting, item: AgendaItem, status: int = 200, forms=None, trigger=None):
    """The TOP's region for htmx, the whole meeting page otherwise."""
    page_ctx = meeting_page_ctx(ctx, m, forms=forms or {})
    return render("ag/meeting.html", "ag/_agenda_item.html", status=status, trigger=trigger, item=item, **page_ctx)


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/decisions")
def decision_add(slug: str, meeting_id: int, item_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    item = load_item(m, item_id)
    refuse_frozen(ctx, m)
    form = DecisionForm(prefix=f"decision{item.id}")
    if form.validate_on_submit():
        try:
            decision = meetings.add_decision(item, actor(), text=form.text.data, yes=form.yes.data,
                                             no=form.no.data, abstain=form.abstain.data)
        except Invalid as e:
            db.session.rollback()
            form.yes.errors = [*form.yes.errors, e.message]
        else:
            db.session.commit()
            message = f"Beschluss unter {item.label} eingetragen: {decision.result_label}."
            if wants_fragment():
                return _item_response(ctx, m, item, trigger={"decision-added": True, "announce": message})
            flash(message, "success")
            return redirect_after_post(meeting_url(m, f"top-{item.id}"))
    return _item_response(ctx, m, item, 422, forms={("decision", item.id): form})


@bp.post("/<slug>/meetings/<int:meeting_id>/decisions/<int:decision_id>/delete")
def decision_delete(slug: str, meeting_id: int, decision_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    refuse_frozen(ctx, m)
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.agenda_item.meeting_id != m.id:
        abort(404)
    item_id = decision.agenda_item_id
    meetings.delete_decision(decision, actor())
    db.session.commit()
    flash("Beschluss gelöscht.", "success")
    return redirect_after_post(meeting_url(m, f"top-{item_id}"))


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/actions")
def action_add(slug: str, meeting_id: int, item_id: int):
    ctx = editor_ctx(slug)
    m = load_meeting(ctx, meeting_id)
    item = load_item(m, item_id)
    refuse_frozen(ctx, m)
    form = ActionItemForm(prefix=f"action{item.id}")
    if not form.validate_on_submit():
        return _item_response(ctx, m, item, 422, forms={("action", item.id): form})
    meetings.add_action_item(item, actor(), task=form.task.data, responsible=form.responsible.data,
                             due_on=form.due_on.data)
    db.session.commit()
    message = f"Aufgabe unter {item.label} eingetragen."
    if wants_fragment():
        return _item_response(ctx, m, item, trigger={"action-item-added": True, "announce": message})
    flash(message, "success")
    return redirect_after_post(meeting_url(m, f"top-{item.id}"))


def _action(ctx: Ctx, action_id: int) -> ActionItem:
    action = db.session.get(ActionItem, action_id)
    if action is None or action.group_id != ctx.group.id:
        abort(404)
    return action


@bp.post("/<slug>/actions/<int:action_id>/done")
def action_done(slug: str, action_id: int):
    """Tick an Aufgabe off (or reopen it). Allowed after approval: it is progress, not the record."""
    ctx = editor_ctx(slug)
    action = _action(ctx, action_id)
    done = request.form.get("done", "1") == "1"
    meetings.set_action_done(action, actor(), done)
    db.session.commit()
    flash(f"Aufgabe „{action.task[:60]}“ ist {'erledigt' if done else 'wieder offen'}.", "success")
    back = request.form.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("ag.group", slug=ctx.group.slug, _anchor="aufgaben")
    return redirect_after_post(back)


@bp.post("/<slug>/actions/<int:action_id>/delete")
def action_delete(slug: str, action_id: int):
    ctx = editor_ctx(slug)
    action = _action(ctx, action_id)
    m = load_meeting(ctx, action.meeting_id)
    refuse_frozen(ctx, m)
    anchor = f"top-{action.agenda_item_id}" if action.agenda_item_id else None
    meetings.delete_action_item(action, actor())
    db.session.commit()
    flash("Aufgabe gelöscht.", "success")
    return redirect_after_post(meeting_url(m, anchor))
