"""Projektanträge: Formblatt, workflow up to the Leitung's decision, Freigegebene Projekte, 15 % target."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import (Blueprint, abort, current_app, flash, make_response, render_template, request,
                   url_for)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.access import role_required
from portal.auth.models import Role
from portal.caching import generation, kept
from portal.errors import Conflict
from portal.csvexport import csv_response
from portal.extensions import db, utcnow
from portal.forms import choices
from portal.formatting import heute, zahl
from portal.htmx import redirect_after_post, render, wants_fragment
from portal.org.models import Ortsteil, Sozialraum
from portal.paging import CURSOR_ARG, parse_cursor
from portal.proposals import hze_import as hze_import_parser, services, target as targets, workflow
from portal.proposals.chart import share_chart
from portal.proposals.forms import (CommentForm, DocumentForm, HzeHoursForm, HzeImportForm, ProposalForm, ReportForm,
                                    TransitionForm)
from portal.proposals.models import (DocumentKind, HzeHours, Proposal, ProposalComment, ProposalDocument,
                                     ProposalEvent, ProposalState)
from portal.proposals.workflow import Action, Incomplete
from portal.uploads import UploadError, send_upload

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

PER_PAGE = 25


def _page_size() -> int:
    return current_app.config.get("PAGE_SIZE", PER_PAGE)


@bp.context_processor
def _section_context():
    """What the sub-navigation of this section needs."""
    if not current_user.is_authenticated:
        return {}
    return {"sees_proposals": services.sees_proposals(current_user)}


def _get_visible(proposal_id: int, *extra_options) -> Proposal:
    """The proposal, or 404 for those who may not know it exists (another Träger's draft)."""
    proposal = db.session.get(Proposal, proposal_id, options=extra_options)
    if proposal is None or not proposal.can_view(current_user):
        abort(404)
    return proposal


def _cursor() -> int | None:
    return parse_cursor(request.args.get(CURSOR_ARG))


# --- lists --------------------------------------------------------------------------------------

@bp.get("/")
def index():
    if not services.sees_proposals(current_user):
        return approved()
    state = request.args.get("state", "")
    state_filter = ProposalState(state) if state in {s.value for s in ProposalState} else None
    page = services.visible_proposals_page(current_user, state_filter, after=_cursor(), limit=_page_size())
    return render("proposals/index.html", "proposals/_list.html", page=page, state=state,
                  states=list(ProposalState), can_draft=services.can_draft(current_user), now=utcnow())


@bp.get("/inbox")
@role_required(Role.LEITUNG)
def inbox():
    page = services.inbox_page(after=_cursor(), limit=_page_size())
    return render_template("proposals/inbox.html", page=page, now=utcnow(), age=services.age_in_days)


@bp.get("/approved")
def approved():
    running_only = request.args.get("alle") is None
    listing = _approved_listing(heute() if running_only else None, _cursor(),
                                current_app.config.get("APPROVED_PAGE_SIZE", 50))
    return render_template("proposals/approved.html", listing=listing, running_only=running_only,
                           linked=services.viewable_ids(current_user, listing.ids))


@dataclass(frozen=True)
class ApprovedCard:
    id: int
    title: str
    #: Everything below the title (templates/proposals/_approved_card.html): the same for every viewer.
    body: Markup


@dataclass(frozen=True)
class ApprovedListing:
    #: (Sozialraum, its cards) in the list's order; the Sozialraum as (id, name), (0, None) if none.
    groups: list[tuple[tuple[int, str | None], list[ApprovedCard]]]
    ids: list[int]
    next_cursor: int | None
    continued: bool


def _approved_listing(running_on: date | None, cursor: int | None, limit: int) -> ApprovedListing:
    """One page of "Freigegebene Projekte", rendered once and kept per worker until a proposal, Träger,
    Ortsteil or Sozialraum changes (generation ``approved_projects``): every signed-in person sees the
    same cards. Only whether the title links to the proposal differs per viewer; the page asks that
    for the shown ids (``services.viewable_ids``) and renders it around the kept cards."""
    def build() -> ApprovedListing:
        page = services.approved_projects_page(running_on, after=cursor, limit=limit)
        groups: dict[tuple[int, str | None], list[ApprovedCard]] = {}
        for p in page.items:
            raum = (p.sozialraum.id, p.sozialraum.name) if p.sozialraum else (0, None)
            groups.setdefault(raum, []).append(ApprovedCard(
                p.id, p.title, Markup(render_template("proposals/_approved_card.html", p=p))))
        return ApprovedListing(groups=list(groups.items()), ids=[p.id for p in page.items],
                               next_cursor=page.next_cursor, continued=page.continued)

    key = ("approved", running_on, cursor, limit, generation("approved_projects"))
    return kept("approved_projects", 64, key, build)


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

    if not form.validate():
        return _render_form(form, proposal, status=422)
    created = proposal is None
    try:
        if created:
            proposal = services.create_draft(current_user, form.draft_values())
        else:
            services.save_draft(proposal, current_user, form.draft_values(), version=_version(form.version.data))
    except Incomplete as e:
        db.session.rollback()
        form.add_errors(e.field_errors)
        return _render_form(form, None if created else proposal, status=422)
    except Conflict as e:
        # Someone else saved first: the form comes back with everything typed and the current
        # version, so that saving again is a conscious decision. (For htmx a 422, which it swaps in;
        # it would not swap a 409.)
        db.session.rollback()
        db.session.refresh(proposal)
        form.version.data = str(proposal.version)
        form.form_errors.append(e.message)
        return _render_form(form, proposal, status=422 if wants_fragment() else 409)

    if intent == "submit":
        try:
            services.submit(proposal, current_user, version=None)
        except Incomplete as e:
            db.session.commit()  # the draft is kept; only the submission waits
            form.version.data = str(proposal.version)
            form.add_errors(e.field_errors)
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


def _version(raw) -> int:
    """The version a form was loaded with; a form without one counts as outdated (no row has 0)."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@bp.route("/new", methods=["GET", "POST"])
def new():
    if not services.can_draft(current_user):
        abort(403, description="Anträge stellen Fachkräfte eines Trägers und die Koordination eines Sozialraums.")
    return _edit_form(None)


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
def edit(proposal_id: int):
    proposal = _get_visible(proposal_id, selectinload(Proposal.indicators), selectinload(Proposal.ortsteile))
    services.check_editable(proposal, current_user)
    return _edit_form(proposal)


@bp.post("/<int:proposal_id>/delete")
def delete_draft(proposal_id: int):
    """Delete a draft that was never submitted (the page asks first, without JavaScript)."""
    proposal = _get_visible(proposal_id)
    title = proposal.display_title
    services.delete_draft(proposal, current_user)
    db.session.commit()
    flash(f"Der Entwurf „{title}“ ist gelöscht.", "success")
    return redirect_after_post(url_for("proposals.index"), trigger="proposal-draft-deleted")


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
    actions = workflow.allowed_actions(proposal, current_user)
    if Action.RETURN_REPORT in actions:
        transition_form.comment.description = ("Pflicht, wenn du den Bericht zurückgibst: Was soll der Träger "
                                               "ergänzen? Die antragstellende Seite sieht den Kommentar.")
    return render_template(
        "proposals/detail.html", proposal=proposal, actions=actions,
        transition_form=transition_form, comment_form=comment_form or CommentForm(formdata=None),
        document_form=document_form or DocumentForm(formdata=None),
        diff=workflow.latest_changes(proposal), Action=Action, focus_action=focus_action,
        state_labels={s.value: s.label for s in ProposalState},
    ), status


@bp.get("/<int:proposal_id>")
def detail(proposal_id: int):
    return _render_detail(_get_visible(proposal_id, *_detail_options()))


@bp.get("/<int:proposal_id>/print")
def print_view(proposal_id: int):
    """A4: the Formblatt, the last decision, the signature lines; comparison and history as appendix."""
    proposal = _get_visible(proposal_id, *_detail_options())
    decisions = [e for e in proposal.events if e.action in ("query", "approve", "reject")]
    return render_template(
        "proposals/print.html", proposal=proposal, diff=workflow.latest_changes(proposal),
        draft=proposal.state in (ProposalState.ENTWURF, ProposalState.RUECKFRAGE),
        last_decision=decisions[-1] if decisions and proposal.state not in (
            ProposalState.ENTWURF, ProposalState.EINGEREICHT, ProposalState.ZURUECKGEZOGEN) else None,
        state_labels={s.value: s.label for s in ProposalState})


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
        services.act(proposal, action, current_user, version=form.version.data, comment=form.comment.data,
                     conditions=form.conditions.data, documents_requested=form.documents_requested.data)
    except Incomplete as e:
        db.session.rollback()
        proposal = _get_visible(proposal_id, *_detail_options())
        if action is not Action.SUBMIT:
            form.comment.errors = [e.field_errors.get("comment", e.message)]
            return _render_detail(proposal, 422, transition_form=form, focus_action=action.value)
        # incomplete: show the Formblatt with the messages at the fields
        flash("Zum Einreichen fehlen noch Angaben – sie sind unten markiert.", "error")
        edit_form = ProposalForm(formdata=None)
        _fill_choices(edit_form)
        _load_form(edit_form, proposal)
        edit_form.add_errors(e.field_errors)
        return _render_form(edit_form, proposal, status=422)
    except Conflict as e:
        # Another decision came first: the current state, with what this user typed kept.
        db.session.rollback()
        proposal = _get_visible(proposal_id, *_detail_options())
        flash(e.message, "error")
        typed = (form.comment.data or "").strip()
        if typed:  # the decision form may be gone in the new state: show the text, do not lose it
            flash(f"Dein Text wurde nicht gespeichert: „{typed}“", "info")
        return _render_detail(proposal, 409, transition_form=form, focus_action=action.value)
    db.session.commit()
    flash(FLASH[action], "success")
    return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id),
                               trigger=EVENTS[action])


# --- Wirkungsbericht ---------------------------------------------------------------------------------

@bp.route("/<int:proposal_id>/report", methods=["GET", "POST"])
def report(proposal_id: int):
    proposal = _get_visible(proposal_id, selectinload(Proposal.indicators), selectinload(Proposal.events))
    workflow.check_transition(proposal, Action.REPORT, current_user)
    form = ReportForm()
    if request.method == "GET":
        form.version.data = proposal.version
        form.report_text.data = proposal.report_text
    while len(form.results.entries) < len(proposal.indicators):
        form.results.append_entry({"actual": proposal.indicators[len(form.results.entries)].actual})
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                services.submit_report(proposal, current_user, version=form.version.data,
                                       report_text=form.report_text.data,
                                       actuals=[entry.form.actual.data for entry in form.results.entries])
            except Incomplete as e:
                db.session.rollback()
                form.report_text.errors = [e.field_errors.get("report_text", e.message)]
            except Conflict as e:
                db.session.rollback()
                proposal = _get_visible(proposal_id, selectinload(Proposal.indicators), selectinload(Proposal.events))
                form.version.data = proposal.version  # what was typed stays; sending again is a decision
                flash(e.message, "error")
                status = 409
            else:
                db.session.commit()
                flash("Der Wirkungsbericht ist eingereicht. Die Leitung bestätigt ihn.", "success")
                return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id),
                                           trigger="proposal-reported")
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
    services.add_comment(proposal, current_user, form.body.data)
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
    services.check_documents(proposal, current_user)
    form = DocumentForm()
    file = request.files.get("file")
    if form.validate():
        if not file or not file.filename:
            form.file.errors = ["Bitte wähle eine Datei aus."]
        else:
            try:
                document = services.add_document(
                    proposal, current_user, DocumentKind(form.kind.data), file,
                    current_app.config.get("PROPOSAL_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
            except UploadError as e:
                form.file.errors = [str(e)]
                return _render_detail(proposal, e.status, document_form=form)
            db.session.commit()
            flash(f"{document.kind.label} „{document.original_name}“ ist hochgeladen.", "success")
            return redirect_after_post(url_for("proposals.detail", proposal_id=proposal.id, _anchor="documents"))
    return _render_detail(proposal, 422, document_form=form)


def _get_document(proposal: Proposal, document_id: int) -> ProposalDocument:
    doc = db.session.get(ProposalDocument, document_id)
    if doc is None or doc.proposal_id != proposal.id:
        abort(404)
    return doc


@bp.post("/<int:proposal_id>/documents/<int:document_id>/delete")
def delete_document(proposal_id: int, document_id: int):
    doc = _get_document(_get_visible(proposal_id), document_id)
    services.delete_document(doc, current_user)
    db.session.commit()
    flash(f"{doc.kind.label} „{doc.original_name}“ ist gelöscht.", "success")
    return redirect_after_post(url_for("proposals.detail", proposal_id=proposal_id, _anchor="documents"))


@bp.get("/<int:proposal_id>/documents/<int:document_id>")
def document(proposal_id: int, document_id: int):
    doc = _get_document(_get_visible(proposal_id), document_id)
    return send_upload(doc.storage_name, doc.original_name, doc.content_type)


# --- the 15 % target ---------------------------------------------------------------------------------------

def _target_year() -> int:
    try:
        year = int(request.args.get("year", heute().year))
    except ValueError:
        year = heute().year
    return min(max(year, 2000), 2100)


@bp.get("/target")
@role_required(Role.KOORDINATION, Role.LEITUNG)
def target():
    year = _target_year()
    raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    return render_template("proposals/target.html", year=year, years=targets.target_years(),
                           areas=targets.target_figures(year, raeume), target_share=targets.TARGET_SHARE,
                           can_enter=targets.can_enter_hze(current_user), share_chart=share_chart)


@bp.get("/target.csv")
@role_required(Role.KOORDINATION, Role.LEITUNG)
def target_csv():
    year = _target_year()
    raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    rows = [[area.sozialraum.name, m.month.strftime("%Y-%m"), zahl(m.project_hours, 2),
             zahl(m.hze_hours, 2) if m.hze_hours is not None else "",
             zahl(m.share * 100, 2) if m.share is not None else "",
             zahl(m.hours_to_target, 2) if m.hours_to_target is not None else ""]
            for area in targets.target_figures(year, raeume) for m in area.months]
    return csv_response(["Sozialraum", "Monat", "Projektstunden", "HzE-Stunden", "Anteil Projektstunden (%)",
                         "Fehlende Projektstunden bis 15 %"], rows, f"15-prozent-ziel-{year}.csv")


@bp.route("/target/hours", methods=["GET", "POST"])
@role_required(Role.KOORDINATION, Role.LEITUNG)
def hze_hours():
    if not targets.can_enter_hze(current_user):
        abort(403, description="HzE-Stunden trägt die Koordination eines Sozialraums oder die Leitung ein.")
    form = HzeHoursForm()
    form.sozialraum.choices = choices((s.id, s.name) for s in _hze_sozialraeume())
    if request.method == "GET":
        form.sozialraum.data = current_user.sozialraum_id or 0
        form.month.data = request.args.get("month", heute().strftime("%Y-%m"))
    if form.validate_on_submit():
        services.set_hze_hours(form.sozialraum.data, form.month_date, form.hours.data, current_user)
        db.session.commit()
        flash(f"HzE-Stunden für {form.month_date.strftime('%m/%Y')} gespeichert.", "success")
        return redirect_after_post(url_for("proposals.target", year=form.month_date.year))
    recent = db.session.scalars(select(HzeHours).options(selectinload(HzeHours.sozialraum))
                                .where(HzeHours.sozialraum_id.in_([c.value for c in form.sozialraum.choices]))
                                .order_by(HzeHours.month.desc(), HzeHours.sozialraum_id).limit(12)).all()
    status = 422 if form.is_submitted() else 200
    return render_template("proposals/hze_form.html", form=form, recent=recent,
                           import_form=HzeImportForm(formdata=None)), status


def _hze_sozialraeume() -> list[Sozialraum]:
    """Where the user may enter HzE hours: every Sozialraum for the Leitung, else the own one."""
    stmt = select(Sozialraum).order_by(Sozialraum.name)
    if not current_user.has_role(Role.LEITUNG):
        stmt = stmt.where(Sozialraum.id == current_user.sozialraum_id)
    return db.session.scalars(stmt).all()


@bp.post("/target/hours/import")
@role_required(Role.KOORDINATION, Role.LEITUNG)
def hze_import():
    """Upload a table -> preview with the errors of each row; "Speichern" sends the checked rows
    back and only a table without errors is saved."""
    if not targets.can_enter_hze(current_user):
        abort(403, description="HzE-Stunden trägt die Koordination eines Sozialraums oder die Leitung ein.")
    form = HzeImportForm()
    if not form.validate():
        abort(400, description="Das Formular ist abgelaufen. Bitte lade die Seite neu.")
    confirming = bool(form.rows.data)
    if confirming:
        data = form.rows.data.encode("utf-8")
    else:
        upload = form.file.data
        data = upload.read(hze_import_parser.MAX_BYTES + 1) if upload and getattr(upload, "filename", "") else b""
    all_raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    rows, problems = hze_import_parser.parse(data, _hze_sozialraeume(), all_raeume) if data else (
        [], ["Bitte wähle eine CSV-Datei aus."])
    valid = bool(rows) and not problems and all(r.ok for r in rows)
    if confirming and valid:
        count = services.import_hze_hours(rows, current_user)
        db.session.commit()
        flash(f"{count} Monatswerte der HzE-Stunden gespeichert.", "success")
        return redirect_after_post(url_for("proposals.target", year=max(r.month.year for r in rows)))
    form.rows.data = "\n".join(r.normalized() for r in rows) if valid else ""
    return render_template("proposals/hze_import.html", form=form, rows=rows, problems=problems,
                           valid=valid), 200 if valid else 422
