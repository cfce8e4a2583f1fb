"""AG 78: working groups, their meetings and minutes.

Content of an AG is for its members, the Leitung and Administration; everyone else gets 404 (they
may not even learn what is discussed). Meeting dates go to the shared calendar for everybody.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import (Blueprint, abort, flash, jsonify, make_response, render_template, request,
                   url_for)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.ag import oparl, services
from portal.ag.forms import (ActionItemForm, AgendaItemForm, AttachmentForm, AttendanceForm, ChangeRequestForm,
                             CorrectionForm, DecisionForm, GroupForm, MeetingForm, MembershipForm, MinutesForm,
                             TransitionForm)
from portal.ag.models import (ActionItem, AgendaItem, ChangeRequest, Correction, Decision, Function, Meeting,
                              MeetingAttachment, MeetingStatus, Membership, MinutesStatus, Presence, WorkingGroup)
from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.forms import choices
from portal.formatting import BERLIN
from portal.htmx import redirect_after_post, render
from portal.org.models import Traeger
from portal.text import slugify
from portal.uploads import UploadError, delete_upload, save_upload, send_upload
from portal.urls import id_url, row_url

bp = Blueprint("ag", __name__, url_prefix="/ag")
# Number-neutral label: the base template reads it after the count ("1 neu zu lesen", "3 neu zu lesen").

ATTACHMENT_TYPES = {"pdf", "odt", "docx", "xlsx"}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


# --- loading and permission checks ----------------------------------------------------------------

@dataclass
class Ctx:
    """The AG of the request and what the signed-in user may do in it."""

    group: WorkingGroup
    functions: frozenset[Function]

    @property
    def member(self) -> bool:
        return bool(self.functions)

    @property
    def editor(self) -> bool:
        return WorkingGroup.can_edit(self.functions)

    @property
    def manager(self) -> bool:
        return WorkingGroup.can_manage(current_user)


def _ctx(slug: str) -> Ctx:
    group, functions = services.group_with_functions(slug, current_user)
    if group is None:
        abort(404)
    if not group.can_view(current_user, functions):
        abort(404)  # non-members may not learn what the AG discusses
    return Ctx(group, functions)


def _editor_ctx(slug: str) -> Ctx:
    ctx = _ctx(slug)
    if not ctx.editor:
        abort(403, description="Das dürfen nur das Protokoll und die Sprecher:innen der AG.")
    return ctx


def _manager_ctx(slug: str) -> Ctx:
    ctx = _ctx(slug)
    if not ctx.manager:
        abort(403, description="AGs und Mitgliedschaften verwaltet die Administration.")
    return ctx


def _meeting(ctx: Ctx, meeting_id: int) -> Meeting:
    meeting = services.load_meeting(ctx.group, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = next((i for i in meeting.agenda if i.id == item_id), None)
    if item is None:
        abort(404)
    return item


#: Form fields (by name ending) that hold text someone wrote, as opposed to ids, numbers and dates.
_FREE_TEXT_FIELDS = ("title", "description", "minutes", "text", "task", "responsible", "guests")


def _refuse_frozen(ctx: Ctx, meeting: Meeting, allowed=(MinutesStatus.ENTWURF,)):
    """409 with the way forward (Berichtigung or withdrawal) unless the minutes are in ``allowed``."""
    if meeting.minutes_status in allowed:
        return
    # Whatever was typed is not lost: the page shows it for copying into a Berichtigung.
    typed = "\n\n".join(value.strip() for key, value in request.form.items()
                         if key.endswith(_FREE_TEXT_FIELDS) and value.strip())
    response = make_response(render_template(
        "ag/frozen.html", group=ctx.group, meeting=meeting, ctx=ctx, typed=typed,
        message=services.frozen_message(meeting),
        title=f"Die Niederschrift ist {meeting.minutes_status.label.lower()}"), 409)
    abort(response)


def _meeting_urls():
    """``meeting_url(meeting)`` for lists whose meetings belong to several AGs: one url_for per AG."""
    per_group = {}

    def meeting_url(meeting: Meeting) -> str:
        slug = meeting.group.slug
        if slug not in per_group:
            per_group[slug] = row_url("ag.meeting", "meeting_id", slug=slug)
        return per_group[slug](meeting.id)
    return meeting_url


def _meeting_url(meeting: Meeting, anchor: str | None = None) -> str:
    return url_for("ag.meeting", slug=meeting.group.slug, meeting_id=meeting.id, _anchor=anchor)


# --- overview ------------------------------------------------------------------------------------

@bp.get("/")
def index():
    groups = services.groups_for(current_user)
    now = datetime.now(BERLIN)
    upcoming = services.meetings_in(now, now + timedelta(days=365))
    member_of = set(db.session.scalars(select(Membership.group_id).where(
        Membership.user_id == current_user.id, services.active_membership_filter(services.today()))))
    unread_by_group = services.unread_by_group(current_user) if member_of else {}
    visible = {g.id for g in groups}
    return render_template("ag/index.html", groups=groups, upcoming=upcoming[:8], visible=visible,
                           unread_by_group=unread_by_group, member_of=member_of,
                           can_manage=WorkingGroup.can_manage(current_user), title="AG 78")


@bp.get("/search")
def search():
    q = request.args.get("q", "").strip()[:100]
    results = services.search_minutes(current_user, q) if len(q) >= 2 else []
    return render("ag/search.html", "ag/_search_results.html", q=q, results=results,
                  snippet=services.snippet, limit=services.SEARCH_LIMIT, title="Protokolle durchsuchen",
                  meeting_url=_meeting_urls())


@bp.route("/new", methods=["GET", "POST"])
def group_new():
    if not WorkingGroup.can_manage(current_user):
        abort(403, description="AGs legt die Administration an.")
    return _group_form(WorkingGroup())


@bp.get("/<slug>/")
def group(slug: str):
    ctx = _ctx(slug)
    group = ctx.group
    members = services.members_on(group.id, services.today())
    page = db.paginate(
        select(Meeting).where(Meeting.group_id == group.id).order_by(Meeting.date.desc(), Meeting.number.desc()),
        per_page=20, error_out=False)
    unread = services.unread_meeting_ids(current_user, [m.id for m in page.items]) if ctx.member else set()
    return render_template("ag/group.html", ctx=ctx, group=group, members=members, page=page, unread=unread,
                           open_actions=services.open_actions(group.id), today=services.today(), title=group.name,
                           group_html=services.group_html(group),
                           meeting_url=row_url("ag.meeting", "meeting_id", slug=group.slug))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def group_edit(slug: str):
    return _group_form(_manager_ctx(slug).group)


def _group_form(group: WorkingGroup):
    form = GroupForm(obj=group if request.method == "GET" else None)
    if form.validate_on_submit():
        group.name = form.name.data.strip()
        group.short_name = form.short_name.data.strip()
        group.slug = form.slug.data or group.slug or slugify(group.short_name)
        group.description = form.description.data or ""
        group.rules = form.rules.data or ""
        group.rules_adopted_on = form.rules_adopted_on.data
        db.session.add(group)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.name.errors = [*form.name.errors, "Name oder Kürzel ist schon vergeben."]
        else:
            flash(f"„{group.name}“ gespeichert.", "success")
            return redirect_after_post(url_for("ag.group", slug=group.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/group_form.html", form=form, group=group if group.id else None,
                           title=group.name if group.id else "AG anlegen"), status


# --- memberships (Administration) -----------------------------------------------------------------

def _membership_form(ctx: Ctx, membership: Membership):
    form = MembershipForm(obj=membership if request.method == "GET" else None)
    form.user.choices = choices([(0, "– bitte wählen –")] + [
        (u.id, f"{u.display_name} ({u.email})")
        for u in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name))])
    form.traeger.choices = choices([(0, "– kein Träger –")] + [
        (t.id, t.name) for t in db.session.scalars(select(Traeger).order_by(Traeger.name))])
    if request.method == "GET":
        form.user.data = membership.user_id or 0
        form.traeger.data = membership.traeger_id or 0
        form.function.data = (membership.function or Function.MITGLIED).value
        form.valid_from.data = membership.valid_from or services.today()
    if form.validate_on_submit():
        membership.group = ctx.group
        membership.user_id = form.user.data
        membership.traeger_id = form.traeger.data or None
        membership.function = Function(form.function.data)
        membership.voting = form.voting.data
        membership.valid_from = form.valid_from.data
        membership.valid_to = form.valid_to.data
        db.session.add(membership)
        db.session.commit()
        flash("Mitgliedschaft gespeichert.", "success")
        return redirect_after_post(url_for("ag.group", slug=ctx.group.slug, _anchor="mitglieder"))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/membership_form.html", form=form, ctx=ctx, group=ctx.group,
                           membership=membership if membership.id else None,
                           title="Mitgliedschaft bearbeiten" if membership.id else "Mitglied aufnehmen"), status


@bp.route("/<slug>/members/new", methods=["GET", "POST"])
def member_new(slug: str):
    return _membership_form(_manager_ctx(slug), Membership())


@bp.route("/<slug>/members/<int:membership_id>", methods=["GET", "POST"])
def member_edit(slug: str, membership_id: int):
    ctx = _manager_ctx(slug)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.group_id != ctx.group.id:
        abort(404)
    return _membership_form(ctx, membership)


# --- meetings -----------------------------------------------------------------------------------

@bp.route("/<slug>/meetings/new", methods=["GET", "POST"])
def meeting_new(slug: str):
    ctx = _editor_ctx(slug)
    return _meeting_form(ctx, Meeting())


@bp.route("/<slug>/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def meeting_edit(slug: str, meeting_id: int):
    ctx = _editor_ctx(slug)
    meeting = _meeting(ctx, meeting_id)
    _refuse_frozen(ctx, meeting, allowed=(MinutesStatus.ENTWURF, MinutesStatus.VEROEFFENTLICHT))
    return _meeting_form(ctx, meeting)


def _meeting_form(ctx: Ctx, meeting: Meeting):
    is_new = meeting.id is None
    form = MeetingForm(obj=meeting if request.method == "GET" and not is_new else None)
    if request.method == "GET":
        if is_new:
            form.number.data = services.next_number(ctx.group)
            form.status.data = MeetingStatus.GEPLANT.value
        else:
            form.status.data = meeting.status.value
    if form.validate_on_submit():
        clash = db.session.scalar(select(Meeting.id).where(
            Meeting.group_id == ctx.group.id, Meeting.number == form.number.data, Meeting.id != (meeting.id or 0)))
        if clash:
            form.number.errors = [*form.number.errors, f"Eine {form.number.data}. Sitzung gibt es schon."]
        else:
            meeting.group_id = ctx.group.id
            meeting.number = form.number.data
            meeting.date = form.date.data
            meeting.start_time = form.start_time.data
            meeting.end_time = form.end_time.data
            meeting.place = (form.place.data or "").strip()
            meeting.status = MeetingStatus(form.status.data)
            if is_new:
                meeting.sequence = 0
                meeting.updated_at = utcnow()
                db.session.add(meeting)
            elif db.session.is_modified(meeting):
                meeting.touch()
            db.session.commit()
            flash(f"{meeting.number}. Sitzung gespeichert.", "success")
            return redirect_after_post(url_for("ag.meeting", slug=ctx.group.slug, meeting_id=meeting.id))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/meeting_form.html", form=form, ctx=ctx, group=ctx.group,
                           meeting=None if is_new else meeting,
                           title="Sitzung anlegen" if is_new else f"{meeting.number}. Sitzung bearbeiten"), status


def _meeting_page_ctx(ctx: Ctx, meeting: Meeting, **extra) -> dict:
    members = services.members_on(ctx.group.id, meeting.date)
    presence = {a.membership_id: a.presence for a in meeting.attendance}
    published = meeting.minutes_status != MinutesStatus.ENTWURF
    unread = ctx.member and meeting.id in services.unread_meeting_ids(current_user, [meeting.id])
    forms = extra.pop("forms", {})
    return dict(
        ctx=ctx, group=ctx.group, meeting=meeting, members=members, presence=presence,
        quorum=services.quorum(meeting, members), unread=unread, read=ctx.member and published and not unread,
        show_minutes=meeting.minutes_visible(ctx.editor),
        carried=services.open_actions(ctx.group.id, before=meeting),
        meeting_url=row_url("ag.meeting", "meeting_id", slug=ctx.group.slug),
        transitions=services.transitions_from(meeting.minutes_status) if ctx.editor else [],
        form_for=lambda kind, item=None: forms.get((kind, item.id if item else None)) or _fresh_form(kind, meeting, item),
        today=services.today(), title=meeting.full_title, Presence=Presence, MinutesStatus=MinutesStatus, **extra)


def _fresh_form(kind: str, meeting: Meeting, item: AgendaItem | None):
    prefix = f"{kind}{item.id}" if item else kind
    if kind == "decision":
        return DecisionForm(prefix=prefix, formdata=None)
    if kind == "action":
        return ActionItemForm(prefix=prefix, formdata=None)
    if kind == "agenda":
        return AgendaItemForm(prefix=prefix, formdata=None)
    if kind == "change":
        return ChangeRequestForm(prefix=prefix, formdata=None)
    if kind == "attachment":
        form = AttachmentForm(prefix=prefix, formdata=None)
        form.agenda_item.choices = _item_choices(meeting, "– die ganze Sitzung –")
        return form
    if kind.startswith("transition-"):
        return TransitionForm(prefix=kind, formdata=None)
    raise KeyError(kind)


def _item_choices(meeting: Meeting, empty: str):
    return choices([(0, empty)] + [(i.id, f"{i.label}: {i.title}") for i in meeting.agenda])


@bp.get("/<slug>/meetings/<int:meeting_id>/")
def meeting(slug: str, meeting_id: int):
    ctx = _ctx(slug)
    m = _meeting(ctx, meeting_id)
    return render_template("ag/meeting.html", **_meeting_page_ctx(ctx, m))


def _meeting_page_with_errors(ctx: Ctx, meeting: Meeting, key, form, message: str | None = None):
    """Re-render the meeting page (422) with the failed form filled in, for requests without htmx."""
    return render_template("ag/meeting.html", **_meeting_page_ctx(ctx, meeting, forms={key: form},
                                                                   page_error=message)), 422


@bp.get("/<slug>/meetings/<int:meeting_id>/print")
def meeting_print(slug: str, meeting_id: int):
    ctx = _ctx(slug)
    m = _meeting(ctx, meeting_id)
    if not m.minutes_visible(ctx.editor):
        abort(403, description="Die Niederschrift ist noch ein Entwurf und noch nicht veröffentlicht.")
    return render_template("ag/print.html", **_meeting_page_ctx(ctx, m))


# --- attendance --------------------------------------------------------------------------------

@bp.route("/<slug>/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
def attendance(slug: str, meeting_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    _refuse_frozen(ctx, m)
    members = services.members_on(ctx.group.id, m.date)
    form = AttendanceForm(obj=m if request.method == "GET" else None)
    current = {a.membership_id: a.presence for a in m.attendance}
    chosen = {ms.id: current.get(ms.id, Presence.ANWESEND) for ms in members}
    errors: dict[int, str] = {}
    if request.method == "POST":
        for ms in members:
            raw = request.form.get(f"m-{ms.id}", "")
            try:
                chosen[ms.id] = Presence(raw)
            except ValueError:
                errors[ms.id] = "Bitte wähle anwesend, entschuldigt oder fehlt."
        if form.validate_on_submit() and not errors:
            services.save_attendance(m, chosen, form.guests.data or "")
            db.session.commit()
            q = services.quorum(m, members)
            flash(f"Anwesenheit gespeichert: {q.voting_present} von {q.voting_members} stimmberechtigten "
                  f"Mitgliedern anwesend – {'beschlussfähig' if q.reached else 'nicht beschlussfähig'}.", "success")
            return redirect_after_post(_meeting_url(m, "anwesenheit"))
    status = 422 if request.method == "POST" else 200
    return render_template("ag/attendance.html", ctx=ctx, group=ctx.group, meeting=m, members=members,
                           chosen=chosen, errors=errors, form=form, Presence=Presence,
                           title=f"Anwesenheit – {m.full_title}"), status


# --- agenda and minutes --------------------------------------------------------------------------

@bp.post("/<slug>/meetings/<int:meeting_id>/agenda")
def agenda_add(slug: str, meeting_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    _refuse_frozen(ctx, m)
    form = AgendaItemForm(prefix="agenda")
    if not form.validate_on_submit():
        return _meeting_page_with_errors(ctx, m, ("agenda", None), form)
    item = AgendaItem(meeting=m, position=len(m.agenda) + 1, title=form.title.data.strip(),
                      description=(form.description.data or "").strip())
    db.session.add(item)
    db.session.commit()
    flash(f"{item.label} „{item.title}“ angelegt.", "success")
    return redirect_after_post(_meeting_url(m, f"top-{item.id}"))


@bp.route("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>", methods=["GET", "POST"])
def agenda_edit(slug: str, meeting_id: int, item_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    item = _item(m, item_id)
    _refuse_frozen(ctx, m)
    form = MinutesForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(item.version)
    if form.validate_on_submit():
        if form.version.data != str(item.version):
            # Someone saved in between: show their text, keep ours in the form, save again deliberately.
            form.version.data = str(item.version)
            return render_template("ag/agenda_form.html", ctx=ctx, group=ctx.group, meeting=m, item=item, form=form,
                                   conflict=True, title=f"{item.label} bearbeiten – {m.full_title}"), 409
        item.title = form.title.data.strip()
        item.description = (form.description.data or "").strip()
        item.minutes = form.minutes.data or ""
        services.render_minutes(item)
        item.version += 1
        db.session.commit()
        flash(f"{item.label} gespeichert.", "success")
        return redirect_after_post(_meeting_url(m, f"top-{item.id}"))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/agenda_form.html", ctx=ctx, group=ctx.group, meeting=m, item=item, form=form,
                           title=f"{item.label} bearbeiten – {m.full_title}"), status


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/move")
def agenda_move(slug: str, meeting_id: int, item_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    item = _item(m, item_id)
    _refuse_frozen(ctx, m)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    services.move_item(m, item, direction)
    db.session.commit()
    return redirect_after_post(_meeting_url(m, "tagesordnung"),
                               trigger={"announce": f"„{item.title}“ ist jetzt {item.label}."})


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/delete")
def agenda_delete(slug: str, meeting_id: int, item_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    item = _item(m, item_id)
    _refuse_frozen(ctx, m)
    for a in [a for a in m.attachments if a.agenda_item_id == item.id]:
        delete_upload(a.storage_name)
    m.agenda.remove(item)
    db.session.delete(item)
    db.session.flush()
    services.renumber(m)
    db.session.commit()
    flash(f"„{item.title}“ ist von der Tagesordnung entfernt.", "success")
    return redirect_after_post(_meeting_url(m, "tagesordnung"))


def _item_response(ctx: Ctx, m: Meeting, item: AgendaItem, status: int = 200, forms=None, trigger=None):
    """The TOP's region for htmx, the whole meeting page otherwise."""
    page_ctx = _meeting_page_ctx(ctx, m, forms=forms or {})
    return render("ag/meeting.html", "ag/_agenda_item.html", status=status, trigger=trigger, item=item, **page_ctx)


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/decisions")
def decision_add(slug: str, meeting_id: int, item_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    item = _item(m, item_id)
    _refuse_frozen(ctx, m)
    form = DecisionForm(prefix=f"decision{item.id}")
    if form.validate_on_submit():
        problem = services.vote_problems(services.quorum(m), form.yes.data, form.no.data, form.abstain.data)
        if problem is None:
            decision = services.add_decision(item, form.text.data, form.yes.data, form.no.data, form.abstain.data)
            db.session.commit()
            message = f"Beschluss unter {item.label} eingetragen: {decision.result_label}."
            if request.headers.get("HX-Request"):
                db.session.refresh(item)
                return _item_response(ctx, m, item, trigger={"decision-added": True, "announce": message})
            flash(message, "success")
            return redirect_after_post(_meeting_url(m, f"top-{item.id}"))
        form.yes.errors = [*form.yes.errors, problem]
    return _item_response(ctx, m, item, 422, forms={("decision", item.id): form})


@bp.post("/<slug>/meetings/<int:meeting_id>/decisions/<int:decision_id>/delete")
def decision_delete(slug: str, meeting_id: int, decision_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    _refuse_frozen(ctx, m)
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.agenda_item.meeting_id != m.id:
        abort(404)
    db.session.delete(decision)
    db.session.commit()
    flash("Beschluss gelöscht.", "success")
    return redirect_after_post(_meeting_url(m, f"top-{decision.agenda_item_id}"))


@bp.post("/<slug>/meetings/<int:meeting_id>/agenda/<int:item_id>/actions")
def action_add(slug: str, meeting_id: int, item_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    item = _item(m, item_id)
    _refuse_frozen(ctx, m)
    form = ActionItemForm(prefix=f"action{item.id}")
    if form.validate_on_submit():
        db.session.add(ActionItem(group_id=ctx.group.id, meeting=m, agenda_item=item, task=form.task.data.strip(),
                                  responsible=form.responsible.data.strip(), due_on=form.due_on.data))
        db.session.commit()
        message = f"Aufgabe unter {item.label} eingetragen."
        if request.headers.get("HX-Request"):
            db.session.refresh(item)
            return _item_response(ctx, m, item, trigger={"action-item-added": True, "announce": message})
        flash(message, "success")
        return redirect_after_post(_meeting_url(m, f"top-{item.id}"))
    return _item_response(ctx, m, item, 422, forms={("action", item.id): form})


def _action(ctx: Ctx, action_id: int) -> ActionItem:
    action = db.session.get(ActionItem, action_id)
    if action is None or action.group_id != ctx.group.id:
        abort(404)
    return action


@bp.post("/<slug>/actions/<int:action_id>/done")
def action_done(slug: str, action_id: int):
    """Tick an Aufgabe off (or reopen it). Allowed after approval: it is progress, not the record."""
    ctx = _editor_ctx(slug)
    action = _action(ctx, action_id)
    done = request.form.get("done", "1") == "1"
    services.set_action_done(action, done, current_user)
    db.session.commit()
    flash(f"Aufgabe „{action.task[:60]}“ ist {'erledigt' if done else 'wieder offen'}.", "success")
    back = request.form.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("ag.group", slug=ctx.group.slug, _anchor="aufgaben")
    return redirect_after_post(back)


@bp.post("/<slug>/actions/<int:action_id>/delete")
def action_delete(slug: str, action_id: int):
    ctx = _editor_ctx(slug)
    action = _action(ctx, action_id)
    m = _meeting(ctx, action.meeting_id)
    _refuse_frozen(ctx, m)
    db.session.delete(action)
    db.session.commit()
    flash("Aufgabe gelöscht.", "success")
    return redirect_after_post(_meeting_url(m, f"top-{action.agenda_item_id}" if action.agenda_item_id else None))


# --- lifecycle -----------------------------------------------------------------------------------

@bp.post("/<slug>/meetings/<int:meeting_id>/minutes/<name>")
def minutes_transition(slug: str, meeting_id: int, name: str):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    if name not in services.TRANSITIONS:
        abort(404)
    form = TransitionForm(prefix=f"transition-{name}")
    if not form.validate_on_submit():
        return _meeting_page_with_errors(ctx, m, (f"transition-{name}", None), form)
    try:
        transition = services.apply_transition(m, name, current_user, form.reason.data)
    except services.TransitionError as e:
        abort(409, description=str(e))
    except ValueError as e:
        form.reason.errors = [*form.reason.errors, str(e)]
        return _meeting_page_with_errors(ctx, m, (f"transition-{name}", None), form)
    db.session.commit()
    flash(transition.done, "success")
    return redirect_after_post(_meeting_url(m, "niederschrift"))


@bp.route("/<slug>/meetings/<int:meeting_id>/corrections", methods=["GET", "POST"])
def correction_add(slug: str, meeting_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    if m.minutes_status != MinutesStatus.GENEHMIGT:
        abort(409, description="Berichtigungen gibt es nur für genehmigte Niederschriften. "
                               "Einen Entwurf kannst du direkt bearbeiten.")
    form = CorrectionForm()
    form.agenda_item.choices = _item_choices(m, "– die ganze Niederschrift –")
    if form.validate_on_submit():
        correction = Correction(meeting=m, agenda_item_id=form.agenda_item.data or None, text=form.text.data.strip(),
                                author_id=current_user.id)
        from portal.text import render_markdown

        correction.text_html = str(render_markdown(correction.text))
        m.minutes_changed_at = utcnow()  # members should read the correction
        db.session.add(correction)
        db.session.flush()
        services.mark_read(m, current_user)
        db.session.commit()
        flash("Die Berichtigung ist mit Datum angefügt.", "success")
        return redirect_after_post(_meeting_url(m, "berichtigungen"))
    status = 422 if form.is_submitted() else 200
    return render_template("ag/correction_form.html", ctx=ctx, group=ctx.group, meeting=m, form=form,
                           title=f"Berichtigung – {m.full_title}"), status


@bp.post("/<slug>/meetings/<int:meeting_id>/change-requests")
def change_request_add(slug: str, meeting_id: int):
    ctx = _ctx(slug)
    m = _meeting(ctx, meeting_id)
    if not ctx.member:
        abort(403, description="Änderungswünsche können die Mitglieder der AG eintragen.")
    if m.minutes_status != MinutesStatus.VEROEFFENTLICHT:
        abort(409, description="Änderungswünsche sind nur möglich, solange die Niederschrift veröffentlicht und "
                               "noch nicht genehmigt ist.")
    form = ChangeRequestForm(prefix="change")
    if not form.validate_on_submit():
        return _meeting_page_with_errors(ctx, m, ("change", None), form)
    db.session.add(ChangeRequest(meeting=m, text=form.text.data.strip(), author_id=current_user.id))
    db.session.commit()
    flash("Dein Änderungswunsch ist eingetragen. Das Protokoll sieht ihn vor der Genehmigung.", "success")
    return redirect_after_post(_meeting_url(m, "aenderungswuensche"))


@bp.post("/<slug>/meetings/<int:meeting_id>/read")
def mark_read(slug: str, meeting_id: int):
    ctx = _ctx(slug)
    m = _meeting(ctx, meeting_id)
    if not ctx.member:
        abort(403, description="Lesebestätigungen geben die Mitglieder der AG.")
    if m.minutes_status == MinutesStatus.ENTWURF:
        abort(409, description="Diese Niederschrift ist noch nicht veröffentlicht.")
    services.mark_read(m, current_user)
    db.session.commit()
    flash("Danke – du hast die Niederschrift als gelesen bestätigt.", "success")
    return redirect_after_post(_meeting_url(m, "niederschrift"))


@bp.get("/<slug>/meetings/<int:meeting_id>/readers")
def readers(slug: str, meeting_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    rows = services.readers(m)
    return render_template("ag/readers.html", ctx=ctx, group=ctx.group, meeting=m, rows=rows,
                           read_count=sum(1 for _, r in rows if r and (not m.minutes_changed_at
                                                                       or r.read_at >= m.minutes_changed_at)),
                           title=f"Wer hat gelesen? – {m.full_title}")


# --- attachments ---------------------------------------------------------------------------------

@bp.post("/<slug>/meetings/<int:meeting_id>/attachments")
def attachment_add(slug: str, meeting_id: int):
    ctx = _editor_ctx(slug)
    m = _meeting(ctx, meeting_id)
    _refuse_frozen(ctx, m, allowed=(MinutesStatus.ENTWURF, MinutesStatus.VEROEFFENTLICHT))
    form = AttachmentForm(prefix="attachment")
    form.agenda_item.choices = _item_choices(m, "– die ganze Sitzung –")
    if not form.validate_on_submit():
        return _meeting_page_with_errors(ctx, m, ("attachment", None), form)
    file = form.file.data
    if not file or not file.filename:
        form.file.errors = ["Bitte wähle eine Datei aus."]
        return _meeting_page_with_errors(ctx, m, ("attachment", None), form)
    try:
        stored = save_upload(file, f"ag/{ctx.group.id}", ATTACHMENT_TYPES, ATTACHMENT_MAX_BYTES)
    except UploadError as e:
        form.file.errors = [str(e)]
        page, _ = _meeting_page_with_errors(ctx, m, ("attachment", None), form)
        return page, e.status
    db.session.add(MeetingAttachment(meeting=m, agenda_item_id=form.agenda_item.data or None,
                                     storage_name=stored.storage_name, original_name=stored.original_name,
                                     content_type=stored.content_type, size=stored.size,
                                     uploaded_by_id=current_user.id))
    db.session.commit()
    flash(f"Anlage „{stored.original_name}“ hochgeladen.", "success")
    return redirect_after_post(_meeting_url(m, "anlagen"))


def _attachment(ctx: Ctx, attachment_id: int) -> MeetingAttachment:
    attachment = db.session.get(MeetingAttachment, attachment_id)
    if attachment is None or attachment.meeting.group_id != ctx.group.id:
        abort(404)
    return attachment


@bp.get("/<slug>/attachments/<int:attachment_id>")
def attachment(slug: str, attachment_id: int):
    ctx = _ctx(slug)
    a = _attachment(ctx, attachment_id)
    return send_upload(a.storage_name, a.original_name, a.content_type, inline=a.content_type == "application/pdf")


@bp.post("/<slug>/attachments/<int:attachment_id>/delete")
def attachment_delete(slug: str, attachment_id: int):
    ctx = _editor_ctx(slug)
    a = _attachment(ctx, attachment_id)
    m = a.meeting
    _refuse_frozen(ctx, m)
    delete_upload(a.storage_name)
    db.session.delete(a)
    db.session.commit()
    flash(f"Anlage „{a.original_name}“ gelöscht.", "success")
    return redirect_after_post(_meeting_url(m, "anlagen"))


# --- open data ------------------------------------------------------------------------------------

@bp.get("/<slug>/oparl.json")
def export(slug: str):
    ctx = _ctx(slug)
    response = jsonify(oparl.export_group(ctx.group))
    response.headers["Content-Disposition"] = f'inline; filename="{ctx.group.slug}-oparl.json"'
    return response
