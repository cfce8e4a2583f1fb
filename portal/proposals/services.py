"""Projektanträge: the operations (one function per change a user can make) and the queries the
views share.

Every operation checks the permission through the model's rule, changes state, records history,
flushes and sends its domain event from ``portal.signals``. None of them commits: the view commits
once. The state machine lives in ``workflow``, the 15 % figures in ``target``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, load_only, selectinload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from portal import duplicates, signals
from portal.auth.models import Role
from portal.errors import Conflict, NotAllowed
from portal.extensions import db, utcnow
from portal.org.models import Ortsteil, Sozialraum
from portal.paging import Page, keyset_page
from portal.proposals.models import (APPROVED_STATES, WAITING_STATES, DocumentKind, HzeHours, Indicator, Proposal,
                                     ProposalComment, ProposalDocument, ProposalEvent, ProposalState)
from portal.proposals.target import can_enter_hze
from portal.proposals.workflow import (Action, Incomplete, ortsteil_problems, record_creation, transition,
                                       value_problems)
from portal.text import render_markdown
from portal.uploads import remove_after_commit, save_upload

S = ProposalState
DOCUMENT_TYPES = {"pdf", "odt", "docx", "xlsx"}


# --- who may start a proposal ---------------------------------------------------------------------

def can_draft(user) -> bool:
    """Fachkraft of a Träger, or Koordination of a Sozialraum (for its own Träger)."""
    if not user.is_authenticated or user.traeger_id is None:
        return False
    return user.has_role(Role.FACHKRAFT) or (user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None)


def sees_proposals(user) -> bool:
    """Has a proposals list of its own (others see the Freigegebene Projekte only)."""
    return user.has_role(Role.LEITUNG) or can_draft(user) or (
        user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None)


# --- the Formblatt: create and save a draft ---------------------------------------------------------

@dataclass
class DraftValues:
    """What the Formblatt form sends (already parsed and typed)."""
    title: str = ""
    target_group: str = ""
    content: str = ""
    hours_per_week: float | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    extension_reason: str = ""
    expected_effect: str = ""
    costs: str = ""
    contact_person: str = ""
    sozialraum_id: int | None = None
    ortsteil_ids: list[int] = field(default_factory=list)
    #: One dict per Wirkungsindikator: indicator, method, baseline, target.
    indicators: list[dict] = field(default_factory=list)


TEXT_FIELDS = ("title", "target_group", "content", "extension_reason", "expected_effect", "costs", "contact_person")


def _apply(proposal: Proposal, values: DraftValues, user) -> None:
    """Check the values a draft may hold (Incomplete with field messages) and put them on ``proposal``."""
    ortsteile = list(db.session.scalars(select(Ortsteil).where(Ortsteil.id.in_(values.ortsteil_ids or []))))
    problems = {**value_problems(values.hours_per_week, values.starts_on, values.ends_on),
                **ortsteil_problems(values.sozialraum_id, ortsteile)}
    if values.sozialraum_id is not None and not user.has_role(Role.FACHKRAFT) \
            and user.sozialraum_id is not None and values.sozialraum_id != user.sozialraum_id:
        problems["sozialraum"] = "Als Koordination stellst du Anträge nur für deinen eigenen Sozialraum."
    if problems:
        raise Incomplete("Einige Angaben sind nicht gültig.", problems)
    with db.session.no_autoflush:
        for name in TEXT_FIELDS:
            setattr(proposal, name, (getattr(values, name) or "").strip())
        proposal.hours_per_week = values.hours_per_week
        proposal.starts_on, proposal.ends_on = values.starts_on, values.ends_on
        proposal.sozialraum_id = values.sozialraum_id
        proposal.sozialraum = db.session.get(Sozialraum, values.sozialraum_id) if values.sozialraum_id else None
        proposal.ortsteile = ortsteile
        proposal.indicators = [Indicator(position=i, **row) for i, row in enumerate(values.indicators)]
        proposal.updated_at = utcnow()


def create_draft(user, values: DraftValues) -> Proposal:
    """A new draft of the user's Träger; its timeline starts with "erstellt"."""
    if not can_draft(user):
        raise NotAllowed("Anträge stellen Fachkräfte eines Trägers und die Koordination eines Sozialraums.")
    proposal = Proposal(traeger_id=user.traeger_id, traeger=user.traeger, created_by_id=user.id)
    _apply(proposal, values, user)
    record_creation(proposal, user)
    db.session.add(proposal)
    db.session.flush()
    signals.proposal_created.send(proposal, actor=user)
    return proposal


def check_editable(proposal: Proposal, user) -> None:
    """NotAllowed for everyone but the applying side, Conflict once the proposal left drafting."""
    if proposal.can_edit(user):
        return
    if not proposal.is_applicant(user):
        raise NotAllowed("Nur die antragstellende Seite kann den Antrag bearbeiten.")
    raise Conflict(f"Der Antrag ist im Stand „{proposal.state.label}“ und kann nicht mehr bearbeitet werden.")


def delete_draft(proposal: Proposal, user) -> None:
    """The author deletes a draft that was never submitted (with its indicators, timeline and
    discussion). Sends ``proposal_draft_deleted``."""
    if not proposal.is_applicant(user):
        raise NotAllowed("Nur die antragstellende Seite kann ihren Entwurf löschen.")
    if not proposal.can_delete_draft(user):
        raise Conflict(f"Der Antrag ist im Stand „{proposal.state.label}“ und wurde schon eingereicht; "
                       "er kann nicht gelöscht, nur zurückgezogen werden.")
    for document in proposal.documents:
        remove_after_commit(document.storage_name)
    db.session.delete(proposal)
    db.session.flush()
    signals.proposal_draft_deleted.send(proposal, actor=user)


STALE_DRAFT = ("Diesen Antrag hat inzwischen jemand anderes gespeichert; deine Änderungen sind noch nicht "
               "gespeichert. Sieh dir den aktuellen Stand in einem neuen Tab an. Wenn du jetzt noch einmal "
               "speicherst, ersetzen deine Eingaben die andere Fassung.")


def save_draft(proposal: Proposal, user, values: DraftValues, *, version: int) -> Proposal:
    """Save the Formblatt of a draft (or of a proposal sent back with a Rückfrage).

    ``version``: the version the form was loaded with; an older one is a Conflict (someone else
    saved in between)."""
    check_editable(proposal, user)
    if version != proposal.version:
        raise Conflict(STALE_DRAFT)
    _apply(proposal, values, user)
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()  # the failed flush ended the transaction; nothing was stored
        raise Conflict(STALE_DRAFT) from None
    signals.proposal_updated.send(proposal, actor=user)
    return proposal


# --- the workflow ------------------------------------------------------------------------------------

def submit(proposal: Proposal, user, *, version: int | None, comment: str = "") -> ProposalEvent:
    """Submit a complete draft, or resubmit after a Rückfrage (a snapshot is stored each time)."""
    resubmitted = proposal.state == S.RUECKFRAGE
    event = transition(proposal, Action.SUBMIT, user, version=version, comment=comment)
    signals.proposal_submitted.send(proposal, actor=user, resubmitted=resubmitted)
    return event


def withdraw(proposal: Proposal, user, *, version: int | None, reason: str = "") -> ProposalEvent:
    event = transition(proposal, Action.WITHDRAW, user, version=version, comment=reason)
    signals.proposal_withdrawn.send(proposal, actor=user)
    return event


def send_back(proposal: Proposal, user, *, version: int | None, reason: str) -> ProposalEvent:
    """The Leitung's Rückfrage: the proposal goes back to the applicant for revision."""
    event = transition(proposal, Action.QUERY, user, version=version, comment=reason)
    signals.proposal_returned.send(proposal, actor=user, reason=event.comment)
    return event


def decide(proposal: Proposal, user, *, approved: bool, version: int | None, reason: str = "",
           conditions: str = "", documents_requested: bool = False) -> ProposalEvent:
    """Freigabe (with Auflagen and requested documents) or Ablehnung (with a reason)."""
    if approved:
        event = transition(proposal, Action.APPROVE, user, version=version, comment=reason, conditions=conditions,
                           documents_requested=documents_requested)
    else:
        event = transition(proposal, Action.REJECT, user, version=version, comment=reason)
    signals.proposal_decided.send(proposal, actor=user, approved=approved, reason=event.comment)
    return event


def submit_report(proposal: Proposal, user, *, version: int | None, report_text: str | None = None,
                  actuals: list[str] | None = None, comment: str = "") -> ProposalEvent:
    """The applicant's Wirkungsbericht: a text and the Ist-Werte of the indicators (None: keep)."""
    with db.session.no_autoflush:
        if actuals is not None:
            for indicator, actual in zip(proposal.indicators, actuals):
                indicator.actual = (actual or "").strip()
        if report_text is not None:
            proposal.report_text = report_text.strip()
    event = transition(proposal, Action.REPORT, user, version=version, comment=comment)
    signals.proposal_report.send(proposal, actor=user, step="submitted", reason="")
    return event


def acknowledge_report(proposal: Proposal, user, *, version: int | None, comment: str = "") -> ProposalEvent:
    event = transition(proposal, Action.ACKNOWLEDGE, user, version=version, comment=comment)
    signals.proposal_report.send(proposal, actor=user, step="acknowledged", reason="")
    return event


def return_report(proposal: Proposal, user, *, version: int | None, reason: str) -> ProposalEvent:
    event = transition(proposal, Action.RETURN_REPORT, user, version=version, comment=reason)
    signals.proposal_report.send(proposal, actor=user, step="returned", reason=event.comment)
    return event


def act(proposal: Proposal, action: Action, user, *, version: int | None, comment: str = "", conditions: str = "",
        documents_requested: bool = False) -> ProposalEvent:
    """The operation behind one button of the proposal page."""
    if action is Action.SUBMIT:
        return submit(proposal, user, version=version, comment=comment)
    if action is Action.WITHDRAW:
        return withdraw(proposal, user, version=version, reason=comment)
    if action is Action.QUERY:
        return send_back(proposal, user, version=version, reason=comment)
    if action in (Action.APPROVE, Action.REJECT):
        return decide(proposal, user, approved=action is Action.APPROVE, version=version, reason=comment,
                      conditions=conditions, documents_requested=documents_requested)
    if action is Action.REPORT:
        return submit_report(proposal, user, version=version, comment=comment)
    if action is Action.ACKNOWLEDGE:
        return acknowledge_report(proposal, user, version=version, comment=comment)
    return return_report(proposal, user, version=version, reason=comment)


# --- discussion and documents ---------------------------------------------------------------------------

def add_comment(proposal: Proposal, user, body: str) -> ProposalComment:
    if not proposal.can_discuss(user):
        raise NotAllowed("Diesen Antrag kannst du nicht kommentieren.")
    text = body.strip()
    comment = ProposalComment(author_id=user.id, author=user, body=text, body_html=str(render_markdown(text)),
                              created_at=utcnow())
    proposal.comments.append(comment)
    db.session.flush()
    signals.proposal_commented.send(comment, actor=user)
    return comment


def check_documents(proposal: Proposal, user) -> None:
    if proposal.can_upload(user):
        return
    if not proposal.is_applicant(user):
        raise NotAllowed("Unterlagen reicht die antragstellende Seite ein.")
    raise Conflict("Unterlagen können erst nach der Freigabe eingereicht werden.")


def add_document(proposal: Proposal, user, kind: DocumentKind, file: FileStorage, max_bytes: int) -> ProposalDocument:
    """Store a Leistungsangebot or Entgeltkalkulation (UploadError for a refused file). The file is
    removed again if the transaction rolls back (portal.uploads)."""
    check_documents(proposal, user)
    stored = save_upload(file, "proposals", DOCUMENT_TYPES, max_bytes)
    document = ProposalDocument(kind=kind, storage_name=stored.storage_name, original_name=stored.original_name,
                                content_type=stored.content_type, size=stored.size, uploaded_by_id=user.id,
                                uploaded_at=utcnow())
    proposal.documents.append(document)
    db.session.flush()
    return document


def delete_document(document: ProposalDocument, user) -> None:
    """Drop a document; its file goes once the deletion is committed (never before)."""
    check_documents(document.proposal, user)
    db.session.delete(document)
    db.session.flush()
    remove_after_commit(document.storage_name)


# --- HzE hours ----------------------------------------------------------------------------------------------

def set_hze_hours(sozialraum_id: int, month: date, hours: float, user) -> HzeHours:
    """Enter (or correct) the HzE hours of a Sozialraum and month."""
    if not can_enter_hze(user, sozialraum_id):
        raise NotAllowed("HzE-Stunden trägt die Koordination eines Sozialraums oder die Leitung ein.")
    month = month.replace(day=1)
    row = db.session.scalar(select(HzeHours).where(HzeHours.sozialraum_id == sozialraum_id,
                                                   HzeHours.month == month))
    if row is None:  # two people entering the same month at once: the later value wins, no 500
        row, _ = duplicates.add_once(
            HzeHours(sozialraum_id=sozialraum_id, month=month, hours=hours, updated_by_id=user.id, updated_at=utcnow()),
            lambda: db.session.scalar(select(HzeHours).where(HzeHours.sozialraum_id == sozialraum_id,
                                                             HzeHours.month == month)
                                      .execution_options(populate_existing=True)))
    row.hours = hours
    row.updated_by_id = user.id
    row.updated_at = utcnow()
    db.session.flush()
    signals.hze_hours_set.send(row, actor=user)
    return row


def import_hze_hours(rows, user) -> int:
    """Save the checked rows of an uploaded table (each as ``set_hze_hours``); returns how many."""
    for row in rows:
        set_hze_hours(row.sozialraum.id, row.month, row.hours, user)
    return len(rows)


# --- queries shared by the views -----------------------------------------------------------------------------

#: Columns the list pages show (and the permission check needs); the rest of the Formblatt stays unloaded.
LIST_COLUMNS = (Proposal.title, Proposal.sozialraum_id, Proposal.traeger_id, Proposal.state, Proposal.updated_at,
                Proposal.submitted_at, Proposal.decided_at, Proposal.reported_at)


def list_options(*more_columns):
    """Loader options of the list pages: the shown columns, Träger and Sozialraum in the same query."""
    return (load_only(*LIST_COLUMNS, *more_columns), joinedload(Proposal.traeger), joinedload(Proposal.sozialraum))


def visible_proposals_page(user, state: ProposalState | None = None, after: int | None = None,
                           limit: int = 25) -> Page:
    """The proposals list (last changed first)."""
    stmt = select(Proposal).where(Proposal.visible_to(user)).options(*list_options())
    if state is not None:
        stmt = stmt.where(Proposal.state == state)
    return keyset_page(stmt, [(Proposal.updated_at, "desc"), (Proposal.id, "desc")], after, limit,
                       id_column=Proposal.id, count=True)


def inbox_page(after: int | None = None, limit: int = 25) -> Page:
    """The Leitung's inbox: proposals and reports waiting for a decision, the longest waiting first."""
    stmt = select(Proposal).where(Proposal.state.in_(WAITING_STATES)).options(*list_options())
    return keyset_page(stmt, [(Proposal.waiting_since, "asc"), (Proposal.id, "asc")], after, limit,
                       id_column=Proposal.id, count=True)


def waiting_count(user) -> int:
    """Nav badge: proposals and reports waiting for the Leitung (0 for everyone else)."""
    if not user.has_role(Role.LEITUNG):
        return 0
    return db.session.scalar(select(func.count(Proposal.id)).where(Proposal.state.in_(WAITING_STATES))) or 0


def approved_projects_page(running_on: date | None = None, after: int | None = None, limit: int = 50) -> Page:
    """Freigegebene Projekte (every signed-in user sees them), by Sozialraum and title.
    ``running_on``: only projects that have not ended before that day."""
    # A submitted proposal always has a Sozialraum; the condition keeps the order total.
    stmt = (select(Proposal).where(Proposal.state.in_(APPROVED_STATES), Proposal.sozialraum_id.is_not(None))
            .options(*list_options(Proposal.target_group, Proposal.content, Proposal.hours_per_week,
                                   Proposal.starts_on, Proposal.ends_on), selectinload(Proposal.ortsteile)))
    if running_on is not None:
        stmt = stmt.where(or_(Proposal.ends_on >= running_on, Proposal.ends_on.is_(None)))
    return keyset_page(stmt, [(Proposal.sozialraum_id, "asc"), (Proposal.title, "asc"), (Proposal.id, "asc")],
                       after, limit, id_column=Proposal.id)


def viewable_ids(user, ids: list[int]) -> set[int]:
    """Which of the proposals ``ids`` ``user`` may open (``Proposal.visible_to``, the SQL form of
    ``can_view``): the per-viewer part of a list whose cards are the same for everyone."""
    if not ids:
        return set()
    return set(db.session.scalars(select(Proposal.id).where(Proposal.id.in_(ids), Proposal.visible_to(user))))


def age_in_days(since: datetime | None, now: datetime | None = None) -> int:
    if since is None:
        return 0
    return max(0, ((now or utcnow()) - since).days)


def personal_data(user) -> dict:
    """Proposals the user created and their messages in discussions, for the DSGVO export."""
    proposals = db.session.scalars(select(Proposal).where(Proposal.created_by_id == user.id).order_by(Proposal.id))
    comments = db.session.scalars(select(ProposalComment).where(ProposalComment.author_id == user.id)
                                  .order_by(ProposalComment.id))
    steps = db.session.execute(select(Proposal.title, ProposalEvent).join(ProposalEvent.proposal)
                               .where(ProposalEvent.actor_id == user.id).order_by(ProposalEvent.id)).all()
    return {
        "antraege": [{"titel": p.title, "status": p.state.value, "ansprechperson": p.contact_person,
                      "erstellt": p.created_at.isoformat()} for p in proposals],
        "nachrichten": [{"text": c.body, "erstellt": c.created_at.isoformat()} for c in comments],
        # submissions, decisions with their reasons, Wirkungsberichte, ...
        "schritte": [{"antrag": title, "schritt": e.action, "begruendung": e.comment,
                      "am": e.created_at.isoformat()} for title, e in steps],
    }
