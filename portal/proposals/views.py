"""Projektanträge: Formblatt, workflow up to the Leitung's decision, Freigegebene Projekte, 15 % target."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

from flask import (Blueprint, Response, abort, current_app, flash, make_response, render_template, request,
                   url_for)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.access import role_required
from portal.auth.models import Role
from portal.extensions import db, utcnow
from portal.forms import choices
from portal.formatting import zahl
from portal.htmx import redirect_after_post, render, wants_fragment
from portal.org.models import Ortsteil, Sozialraum
from portal.proposals import services
from portal.proposals.chart import share_chart
from portal.proposals.forms import (CommentForm, DocumentForm, HzeHoursForm, ProposalForm, ReportForm,
                                    TransitionForm)
from portal.proposals.models import (DocumentKind, HzeHours, Indicator, Proposal, ProposalComment,
                                     ProposalDocument, ProposalEvent, ProposalState)
from portal.proposals.services import Action, TransitionRefused
from portal.text import render_markdown
from portal.uploads import UploadError, delete_upload, save_upload, send_upload
from portal.urls import row_url

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

DOCUMENT_TYPES = {"pdf", "odt", "docx", "xlsx"}
PER_PAGE = 25


def _page_size() -> int:
    return current_app.config.get("PAGE_SIZE", PER_PAGE)


def _sees_proposals(user) -> bool:
    return user.has_role(Role.LEITUNG) or services.can_draft(user) or (
        user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None)


@bp.context_processor
def _section_context():
    """What the sub-navigation of this section needs."""
    if not current_user.is_authenticated:
        return {}
    return {"sees_proposals": _sees_proposals(current_user)}


def _get_visible(proposal_id: int, *extra_options) -> Proposal:
    """The proposal, or 404 for those who may not know it exists (another Träger's draft)."""
    proposal = db.session.get(Proposal, proposal_id, options=extra_options)
    if proposal is None or not proposal.can_view(current_user):
        abort(404)
    return proposal


def _refuse(e: TransitionRefused):
    abort(e.status, description=e.message)


# --- lists --------------------------------------------------------------------------------------

@bp.get("/")
def index():
    if not _sees_proposals(current_user):
        return approved()
    state = request.args.get("state", "")
    state_filter = ProposalState(state) if state in {s.value for s in ProposalState} else None
    page = services.visible_proposals_page(current_user, state_filter, after=services.parse_cursor(
        request.args.get("nach")), limit=_page_size())
    return render("proposals/index.html", "proposals/_list.html", page=page, state=state,
                  states=list(ProposalState), can_draft=services.can_draft(current_user), now=utcnow(),
                  detail_url=row_url("proposals.detail", "proposal_id"))


@bp.get("/inbox")
@role_required(Role.LEITUNG)
def inbox():
    page = db.paginate(services.waiting_for_leitung(), per_page=_page_size(), error_out=False)
    return render_template("proposals/inbox.html", page=page, now=utcnow(), age=services.age_in_days,
                           detail_url=row_url("proposals.detail", "proposal_id"))


@bp.get("/approved")
def approved():
    running_only = request.args.get("alle") is None
    page = services.approved_projects_page(date.today() if running_only else None,
                                           after=services.parse_cursor(request.args.get("nach")),
                                           limit=current_app.config.get("APPROVED_PAGE_SIZE", 50))
    groups: dict = {}
    for p in page.items:
        groups.setdefault(p.sozialraum, []).append(p)
    return render_template("proposals/approved.html", page=page, groups=groups, running_only=running_only,
                           can_view=Proposal.viewer(current_user), detail_url=row_url("proposals.detail", "proposal_id"))


# --- the Formblatt ---------------------------------------------------------------------------------

def _fill_choices(form: ProposalForm) -> None:
    if current_user.has_role(Role.FACHKRAFT) or current_user.sozialraum_id is None:
        raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
        form.sozialraum.choices = choices([(0, "– bitte wählen –")] + [(s.id, s.name) for s in raeume])
    else:  # a Koordination drafts for its own Sozialraum
        form.sozialraum.choices = choices([(current_user.sozialraum.id, current_user.sozialraum.name)])
    ortsteile = db.session.scalars(select(Ortsteil).options(selectinload(Ortsteil.sozialraum))
                                   .order_by(Ortsteil.name)).all()
    form.ortsteile.choices = choices((o.id, f"{o.name} ({o.sozialraum.name})") for o in ortsteile)


def _load_form(form: ProposalForm, p: Proposal) -> None:
    form.version.data = str(p.version)
    for name in ("title", "target_group", "content", "hours_per_week", "starts_on", "ends_on",
                 "extension_reason", "expected_effect", "costs", "contact_person"):
        getattr(form, name).data = getattr(p, name)
    form.sozialraum.data = p.sozialraum_id or 0
    form.ortsteile.data = [o.id for o in p.ortsteile]
    form.indicators.entries = []
    form.indicators.last_index = -1
    for row in p.indicators or [None]:
        form.indicators.append_entry(
            {"indicator": row.indicator, "method": row.method, "baseline": row.baseline, "target": row.target}
            if row else {})


def _apply_form(form: ProposalForm, p: Proposal) -> None:
    for name in ("title", "target_group", "content", "extension_reason", "expected_effect", "costs",
                 "contact_person"):
        setattr(p, name, (getattr(form, name).data or "").strip())
    p.hours_per_week = form.hours_per_week.data
    p.starts_on, p.ends_on = form.starts_on.data, form.ends_on.data
    p.sozialraum_id = form.sozialraum.data or None
    p.sozialraum = db.session.get(Sozialraum, p.sozialraum_id) if p.sozialraum_id else None
    p.ortsteile = list(db.session.scalars(select(Ortsteil).where(Ortsteil.id.in_(form.ortsteile.data or []))))
    p.indicators = [Indicator(position=i, **row) for i, row in enumerate(form.indicator_rows())]
    p.updated_at = utcnow()


def _render_form(form: ProposalForm, proposal: Proposal | None, status: int = 200, trigger=None,
                 focus_row: int | None = None, push_url: str | None = None):
    return render("proposals/form.html", "proposals/_form.html", status=status, trigger=trigger, push_url=push_url,
                  form=form, proposal=proposal, focus_row=focus_row,
                  traeger=proposal.traeger if proposal else current_user.traeger)


def _edit_form(proposal: Proposal | None):
    """New and edit share this: rows added/removed in place, drafts saved, submission checked."""
    form = ProposalForm()
    _fill_choices(form)
    if request.method == "GET":
        if proposal is not None:
            _load_form(form, proposal)
        else:
            form.sozialraum.data = current_user.sozialraum_id or 0
            form.contact_person.data = current_user.display_name
        return _render_form(form, proposal)

    intent = request.form.get("intent", "save")
    if intent == "add_row":
        form.add_row()
        return _render_form(form, proposal, trigger={"announce": "Eine weitere Zeile für einen "
                                                                 "Wirkungsindikator ist da."},
                            focus_row=len(form.indicators.entries) - 1)
    if intent.startswith("remove_row:"):
        try:
            form.remove_row(int(intent.split(":", 1)[1]))
        except ValueError:
            abort(400)
        return _render_form(form, proposal, trigger={"announce": "Zeile entfernt."})

    valid = form.validate()
    ortsteile = list(db.session.scalars(select(Ortsteil).where(Ortsteil.id.in_(form.ortsteile.data or []))))
    problems = {**services.value_problems(form.hours_per_week.data, form.starts_on.data, form.ends_on.data),
                **services.ortsteil_problems(form.sozialraum.data or None, ortsteile)}
    form.add_errors(problems)
    if not valid or problems:
        return _render_form(form, proposal, status=422)

    created = proposal is None
    if created:
        proposal = Proposal(traeger_id=current_user.traeger_id, traeger=current_user.traeger,
                            created_by_id=current_user.id)
        services.record_creation(proposal, current_user)
        db.session.add(proposal)
    elif form.version.data != str(proposal.version):
        abort(409, description="Diesen Antrag hat inzwischen jemand anderes gespeichert. Bitte lade die Seite "
                               "neu; deine Eingaben wurden nicht übernommen.")
    _apply_form(form, proposal)
    db.session.flush()

    if intent == "submit":
        problems = services.submission_problems(proposal)
        if not problems:
            try:
                services.transition(proposal, Action.SUBMIT, current_user, version=None)
            except TransitionRefused as e:
                if e.status != 422:
                    _refuse(e)
                problems = e.field_errors
        if problems:
            db.session.commit()  # the draft is kept; only the submission waits
            form.version.data = str(proposal.version)
            form.add_errors(problems)
            form.form_errors.append("Der Entwurf ist gespeichert, aber noch nicht eingereicht: "
                                    "bitte ergänze die markierten Angaben.")
            # a new draft now has its own address: a reload must not start an empty form
            return _render_form(form, proposal, status=422, push_url=url_for(
                "proposals.edit", proposal_id=proposal.id) if created else None)
        db.session.commit()
        flash("Der Antrag ist eingereicht. Die Leitung Soziale Dienste sieht ihn jetzt in ihrem Eingang.",
              "success")
        return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id),
                                   trigger="proposal-submitted")
    db.session.commit()
    flash("Entwurf gespeichert.", "success")
    return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id), trigger="proposal-saved")


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not services.can_draft(current_user):
        abort(403, description="Anträge stellen Fachkräfte eines Trägers und die Koordination eines Sozialraums.")
    return _edit_form(None)


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id: int):
    proposal = _get_visible(proposal_id, selectinload(Proposal.indicators), selectinload(Proposal.ortsteile))
    if not proposal.is_applicant(current_user):
        abort(403, description="Nur die antragstellende Seite kann den Antrag bearbeiten.")
    if not proposal.is_editable:
        abort(409, description=f"Der Antrag ist im Stand „{proposal.state.label}“ und kann nicht mehr bearbeitet "
                               "werden.")
    return _edit_form(proposal)


# --- the proposal page -----------------------------------------------------------------------------

def _detail_options():
    return (selectinload(Proposal.traeger), selectinload(Proposal.sozialraum), selectinload(Proposal.ortsteile),
            selectinload(Proposal.indicators), selectinload(Proposal.events).selectinload(ProposalEvent.actor),
            selectinload(Proposal.revisions),
            selectinload(Proposal.comments).selectinload(ProposalComment.author),
            selectinload(Proposal.documents))


def _render_detail(proposal: Proposal, status: int = 200, transition_form: TransitionForm | None = None,
                   comment_form: CommentForm | None = None, document_form: DocumentForm | None = None,
                   focus_action: str | None = None):
    transition_form = transition_form or TransitionForm(formdata=None)
    transition_form.version.data = proposal.version
    actions = services.allowed_actions(proposal, current_user)
    if Action.RETURN_REPORT in actions:
        transition_form.comment.description = ("Pflicht, wenn du den Bericht zurückgibst: Was soll der Träger "
                                               "ergänzen? Die antragstellende Seite sieht den Kommentar.")
    return render_template(
        "proposals/detail.html", proposal=proposal, actions=actions,
        transition_form=transition_form, comment_form=comment_form or CommentForm(formdata=None),
        document_form=document_form or DocumentForm(formdata=None),
        diff=services.latest_changes(proposal), Action=Action, focus_action=focus_action,
        state_labels={s.value: s.label for s in ProposalState},
    ), status


@bp.get("/<int:proposal_id>")
def detail(proposal_id: int):
    return _render_detail(_get_visible(proposal_id, *_detail_options()))


FLASH = {
    Action.SUBMIT: "Der Antrag ist eingereicht.",
    Action.WITHDRAW: "Der Antrag ist zurückgezogen.",
    Action.QUERY: "Die Rückfrage ist gesendet. Der Antrag liegt wieder beim Träger.",
    Action.APPROVE: "Der Antrag ist freigegeben.",
    Action.REJECT: "Der Antrag ist abgelehnt.",
    Action.ACKNOWLEDGE: "Der Wirkungsbericht ist bestätigt; das Projekt ist abgeschlossen.",
    Action.RETURN_REPORT: "Der Wirkungsbericht ist zurückgegeben. Der Träger ergänzt ihn und reicht ihn erneut ein.",
}


#: HX-Trigger events after a transition.
EVENTS = {
    Action.SUBMIT: "proposal-submitted",
    Action.WITHDRAW: "proposal-withdrawn",
    Action.QUERY: "proposal-queried",
    Action.APPROVE: "proposal-approved",
    Action.REJECT: "proposal-rejected",
    Action.ACKNOWLEDGE: "proposal-closed",
    Action.RETURN_REPORT: "report-returned",
}


@bp.post("/<int:proposal_id>/transition")
def transition(proposal_id: int):
    proposal = _get_visible(proposal_id, *_detail_options())
    form = TransitionForm()
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        abort(400, description="Unbekannte Aktion.")
    if action is Action.REPORT:
        return redirect_after_post(url_for("proposals.report", proposal_id=proposal.id))
    if not form.validate():
        if form.version.errors:
            abort(400, description="Das Formular ist unvollständig. Bitte lade die Seite neu.")
        return _render_detail(proposal, 422, transition_form=form, focus_action=action.value)
    try:
        services.transition(proposal, action, current_user, version=form.version.data, comment=form.comment.data,
                            conditions=form.conditions.data, documents_requested=form.documents_requested.data)
    except TransitionRefused as e:
        if e.status == 422 and action is not Action.SUBMIT:
            form.comment.errors = [e.field_errors.get("comment", e.message)]
            return _render_detail(proposal, 422, transition_form=form, focus_action=action.value)
        if e.status == 422:  # incomplete: show the Formblatt with the messages at the fields
            flash("Zum Einreichen fehlen noch Angaben – sie sind unten markiert.", "error")
            edit_form = ProposalForm(formdata=None)
            _fill_choices(edit_form)
            _load_form(edit_form, proposal)
            edit_form.add_errors(e.field_errors)
            return _render_form(edit_form, proposal, status=422)
        _refuse(e)
    db.session.commit()
    flash(FLASH[action], "success")
    return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id),
                               trigger=EVENTS[action])


# --- Wirkungsbericht ---------------------------------------------------------------------------------

@bp.route("/<int:proposal_id>/report", methods=["GET", "POST"])
def report(proposal_id: int):
    proposal = _get_visible(proposal_id, selectinload(Proposal.indicators), selectinload(Proposal.events))
    try:
        services.check_transition(proposal, Action.REPORT, current_user)
    except TransitionRefused as e:
        _refuse(e)
    form = ReportForm()
    if request.method == "GET":
        form.version.data = proposal.version
        form.report_text.data = proposal.report_text
    while len(form.results.entries) < len(proposal.indicators):
        form.results.append_entry({"actual": proposal.indicators[len(form.results.entries)].actual})
    if request.method == "POST" and form.validate():
        for indicator, entry in zip(proposal.indicators, form.results.entries):
            indicator.actual = (entry.form.actual.data or "").strip()
        proposal.report_text = form.report_text.data.strip()
        try:
            services.transition(proposal, Action.REPORT, current_user, version=form.version.data)
        except TransitionRefused as e:
            _refuse(e)
        db.session.commit()
        flash("Der Wirkungsbericht ist eingereicht. Die Leitung bestätigt ihn.", "success")
        return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id),
                                   trigger="proposal-reported")
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/report.html", proposal=proposal, form=form,
                           rows=list(zip(proposal.indicators, form.results.entries))), status


# --- discussion -------------------------------------------------------------------------------------

@bp.post("/<int:proposal_id>/comments")
def comment(proposal_id: int):
    proposal = _get_visible(proposal_id, *_detail_options())
    form = CommentForm()
    if not form.validate():
        if wants_fragment():
            return render_template("proposals/_discussion.html", proposal=proposal, comment_form=form), 422
        return _render_detail(proposal, 422, comment_form=form)
    text = form.body.data.strip()
    proposal.comments.append(ProposalComment(author_id=current_user.id, author=current_user, body=text,
                                             body_html=str(render_markdown(text))))
    db.session.commit()
    if wants_fragment():
        response = make_response(render_template("proposals/_discussion.html", proposal=proposal,
                                                 comment_form=CommentForm(formdata=None)))
        response.headers["HX-Trigger"] = json.dumps({"comment-created": True, "announce": "Nachricht gesendet."})
        response.vary.add("HX-Request")
        return response
    return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id, _anchor="discussion"))


# --- documents after approval ---------------------------------------------------------------------------

@bp.post("/<int:proposal_id>/documents")
def upload(proposal_id: int):
    proposal = _get_visible(proposal_id, *_detail_options())
    if not proposal.is_applicant(current_user):
        abort(403, description="Unterlagen reicht die antragstellende Seite ein.")
    if not proposal.is_approved:
        abort(409, description="Unterlagen können erst nach der Freigabe eingereicht werden.")
    form = DocumentForm()
    file = request.files.get("file")
    if form.validate():
        if not file or not file.filename:
            form.file.errors = ["Bitte wähle eine Datei aus."]
        else:
            try:
                stored = save_upload(file, "proposals", DOCUMENT_TYPES,
                                     current_app.config.get("PROPOSAL_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
            except UploadError as e:
                form.file.errors = [str(e)]
                return _render_detail(proposal, e.status, document_form=form)
            proposal.documents.append(ProposalDocument(
                kind=DocumentKind(form.kind.data), storage_name=stored.storage_name,
                original_name=stored.original_name, content_type=stored.content_type, size=stored.size,
                uploaded_by_id=current_user.id))
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                delete_upload(stored.storage_name)
                raise
            flash(f"{DocumentKind(form.kind.data).label} „{stored.original_name}“ ist hochgeladen.", "success")
            return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id, _anchor="documents"))
    return _render_detail(proposal, 422, document_form=form)


@bp.get("/<int:proposal_id>/documents/<int:document_id>")
def document(proposal_id: int, document_id: int):
    proposal = _get_visible(proposal_id)
    doc = db.session.get(ProposalDocument, document_id)
    if doc is None or doc.proposal_id != proposal.id:
        abort(404)
    return send_upload(doc.storage_name, doc.original_name, doc.content_type)


# --- the 15 % target ---------------------------------------------------------------------------------------

def _target_year() -> int:
    try:
        year = int(request.args.get("year", date.today().year))
    except ValueError:
        year = date.today().year
    return min(max(year, 2000), 2100)


@bp.get("/target")
@role_required(Role.KOORDINATION, Role.LEITUNG)
def target():
    year = _target_year()
    raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    return render_template("proposals/target.html", year=year, years=services.target_years(),
                           areas=services.target_figures(year, raeume), target_share=services.TARGET_SHARE,
                           can_enter=services.can_enter_hze(current_user), share_chart=share_chart)


@bp.get("/target.csv")
@role_required(Role.KOORDINATION, Role.LEITUNG)
def target_csv():
    year = _target_year()
    raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with umlauts only with a BOM
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Sozialraum", "Monat", "Projektstunden", "HzE-Stunden", "Anteil Projektstunden (%)",
                     "Fehlende Projektstunden bis 15 %"])
    for area in services.target_figures(year, raeume):
        for m in area.months:
            writer.writerow([area.sozialraum.name, m.month.strftime("%Y-%m"), zahl(m.project_hours, 2),
                             zahl(m.hze_hours, 2) if m.hze_hours is not None else "",
                             zahl(m.share * 100, 2) if m.share is not None else "",
                             zahl(m.hours_to_target, 2) if m.hours_to_target is not None else ""])
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="15-prozent-ziel-{year}.csv"'})


@bp.route("/target/hours", methods=["GET", "POST"])
@role_required(Role.KOORDINATION, Role.LEITUNG)
def hze_hours():
    if not services.can_enter_hze(current_user):
        abort(403, description="HzE-Stunden trägt die Koordination eines Sozialraums oder die Leitung ein.")
    form = HzeHoursForm()
    stmt = select(Sozialraum).order_by(Sozialraum.name)
    if not current_user.has_role(Role.LEITUNG):
        stmt = stmt.where(Sozialraum.id == current_user.sozialraum_id)
    form.sozialraum.choices = choices((s.id, s.name) for s in db.session.scalars(stmt))
    if request.method == "GET":
        form.sozialraum.data = current_user.sozialraum_id or 0
        form.month.data = request.args.get("month", date.today().strftime("%Y-%m"))
    if form.validate_on_submit():
        services.set_hze_hours(form.sozialraum.data, form.month_date, form.hours.data, current_user)
        db.session.commit()
        flash(f"HzE-Stunden für {form.month_date.strftime('%m/%Y')} gespeichert.", "success")
        return redirect_after_post(url_for("proposals.target", year=form.month_date.year))
    recent = db.session.scalars(select(HzeHours).options(selectinload(HzeHours.sozialraum))
                                .where(HzeHours.sozialraum_id.in_([c.value for c in form.sozialraum.choices]))
                                .order_by(HzeHours.month.desc(), HzeHours.sozialraum_id).limit(12)).all()
    status = 422 if form.is_submitted() else 200
    return render_template("proposals/hze_form.html", form=form, recent=recent), status
