"""AG 78 operations on a Niederschrift: its lifecycle (publish, approve, back to draft),
Berichtigungen, change requests and read receipts; and the search in published minutes.

As in ``portal.ag.meetings``: check the model's rule, change state, record history, flush, send
the domain event; never commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from portal import duplicates, signals
from portal.ag.models import (AgendaItem, ChangeRequest, ChangeRequestStatus, Correction, Decision, Meeting,
                              MinutesEvent, MinutesStatus, ReadReceipt)
from portal.ag.services import agenda_item_visible, require_editor, require_member, visible_group_ids
from portal.errors import Conflict, Invalid
from portal.extensions import db, utcnow
from portal.search import contains
from portal.text import render_markdown


@dataclass(frozen=True)
class Transition:
    name: str
    source: MinutesStatus
    target: MinutesStatus
    #: Button text.
    label: str
    #: Is a reason (why / where approved) required?
    reason_required: bool
    reason_label: str
    #: Message after the step.
    done: str
    #: The answer when a required reason is missing: it answers the field's own question.
    reason_missing: str = "Bitte gib eine Begründung an."


#: The only ways minutes may change state. Who may take them: the AG's Protokoll and
#: Sprecher:innen (WorkingGroup.can_edit). Genehmigt is final; corrections are Berichtigungen.
TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    Transition("publish", MinutesStatus.ENTWURF, MinutesStatus.VEROEFFENTLICHT, "Veröffentlichen",
               False, "Hinweis an die Mitglieder (optional)",
               "Die Niederschrift ist veröffentlicht. Die Mitglieder sehen sie jetzt als neu."),
    Transition("withdraw", MinutesStatus.VEROEFFENTLICHT, MinutesStatus.ENTWURF, "Zur Überarbeitung zurückziehen",
               True, "Warum wird die Niederschrift zurückgezogen?",
               "Die Niederschrift ist wieder ein Entwurf.",
               "Bitte schreib, warum die Niederschrift zurückgezogen wird."),
    Transition("approve", MinutesStatus.VEROEFFENTLICHT, MinutesStatus.GENEHMIGT, "Als genehmigt eintragen",
               True, "Genehmigt wo und wie? (z. B. „in der 2. Sitzung am 12.05.2026 einstimmig“)",
               "Die Niederschrift ist genehmigt. Ab jetzt gibt es Korrekturen nur noch als Berichtigung.",
               "Bitte gib an, wo und wie die Niederschrift genehmigt wurde, z. B. „in der 2. Sitzung am "
               "12.05.2026 einstimmig“."),
]}


def transitions_from(status: MinutesStatus) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if t.source == status]


def _mark_read(meeting: Meeting, user) -> None:
    key = (meeting.id, user.id)
    receipt = db.session.get(ReadReceipt, key)
    if receipt is None:  # "Gelesen" clicked twice at once: one receipt, no 500
        duplicates.add_once(ReadReceipt(meeting_id=meeting.id, user_id=user.id, read_at=utcnow()),
                            lambda: db.session.get(ReadReceipt, key, populate_existing=True))
    else:
        receipt.read_at = utcnow()


def change_status(meeting: Meeting, name: str, actor, reason: str = "") -> Transition:
    """Publish, approve or withdraw the minutes, recorded with who, when and why.

    Sends minutes_published, minutes_approved or minutes_withdrawn (with the reason)."""
    require_editor(meeting.group, actor)
    transition = TRANSITIONS.get(name)
    if transition is None or transition.source != meeting.minutes_status:
        raise Conflict(
            f"Die Niederschrift ist „{meeting.minutes_status.label}“; dieser Schritt ist jetzt nicht möglich.")
    if name == "publish":
        blocker = meeting.publish_blocker(utcnow())
        if blocker:
            raise Conflict(blocker)
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise Invalid(transition.reason_missing)
    now = utcnow()
    db.session.add(MinutesEvent(meeting=meeting, from_status=transition.source, to_status=transition.target,
                                actor_id=actor.id, reason=reason, created_at=now))
    meeting.minutes_status = transition.target
    if transition.target == MinutesStatus.VEROEFFENTLICHT:
        meeting.minutes_changed_at = now
        _mark_read(meeting, actor)  # the author knows the text
    if transition.target == MinutesStatus.GENEHMIGT:
        meeting.approved_at = now
        meeting.approved_by_id = actor.id
        meeting.approval_note = reason
    db.session.flush()
    if name == "publish":
        signals.minutes_published.send(meeting, actor=actor)
    elif name == "approve":
        signals.minutes_approved.send(meeting, actor=actor)
    else:
        signals.minutes_withdrawn.send(meeting, actor=actor, reason=reason)
    return transition


def add_correction(meeting: Meeting, actor, *, agenda_item_id: int | None, text: str) -> Correction:
    """A Berichtigung: a dated addendum to approved minutes; it makes them new to read again."""
    require_editor(meeting.group, actor)
    if meeting.minutes_status != MinutesStatus.GENEHMIGT:
        raise Conflict("Berichtigungen gibt es nur für genehmigte Niederschriften. "
                       "Einen Entwurf kannst du direkt bearbeiten.")
    if agenda_item_id and agenda_item_id not in {i.id for i in meeting.agenda}:
        raise Invalid("Diesen TOP gibt es in dieser Sitzung nicht.")
    correction = Correction(meeting=meeting, agenda_item_id=agenda_item_id or None, text=text.strip(),
                            author_id=actor.id)
    correction.text_html = str(render_markdown(correction.text))
    meeting.minutes_changed_at = utcnow()  # members should read the correction
    db.session.add(correction)
    _mark_read(meeting, actor)
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="correction")
    return correction


def request_change(meeting: Meeting, actor, text: str, agenda_item_id: int | None = None) -> ChangeRequest:
    """A member asks for a change to one TOP while the minutes are published and not yet approved."""
    require_member(meeting.group, actor)
    if meeting.minutes_status != MinutesStatus.VEROEFFENTLICHT:
        raise Conflict("Änderungswünsche sind nur möglich, solange die Niederschrift veröffentlicht und "
                       "noch nicht genehmigt ist.")
    if agenda_item_id not in {item.id for item in meeting.agenda}:
        raise Invalid("Bitte wähle den TOP, auf den sich der Änderungswunsch bezieht.")
    request = ChangeRequest(meeting=meeting, agenda_item_id=agenda_item_id, text=text.strip(), author_id=actor.id,
                            status=ChangeRequestStatus.OFFEN, answer="")
    db.session.add(request)
    db.session.flush()
    signals.change_request_changed.send(request, actor=actor, change="requested")
    return request


def answer_change_request(request: ChangeRequest, actor, status: ChangeRequestStatus | str, answer: str) -> None:
    """The Protokoll (or a Sprecher:in) settles a change request: übernommen (answer optional) or
    abgelehnt (answer required). Only open requests, and only before the minutes are approved."""
    meeting = request.meeting
    require_editor(meeting.group, actor)
    if meeting.minutes_status == MinutesStatus.GENEHMIGT:
        raise Conflict("Die Niederschrift ist genehmigt; Änderungswünsche können nicht mehr beantwortet werden.")
    if not request.is_open:
        raise Conflict(f"Dieser Änderungswunsch ist bereits „{request.status.label}“.")
    try:
        status = ChangeRequestStatus(status)
    except ValueError:
        raise Invalid("Bitte wähle „übernommen“ oder „abgelehnt“.") from None
    if status == ChangeRequestStatus.OFFEN:
        raise Invalid("Bitte wähle „übernommen“ oder „abgelehnt“.")
    answer = (answer or "").strip()
    if status == ChangeRequestStatus.ABGELEHNT and not answer:
        raise Invalid("Bitte begründe die Ablehnung.")
    request.status = status
    request.answer = answer
    request.answered_at = utcnow()
    request.answered_by_id = actor.id
    db.session.flush()
    signals.change_request_changed.send(request, actor=actor, change="answered")


def confirm_read(meeting: Meeting, actor) -> None:
    """Kenntnisnahme of published minutes by a member (no domain event: it changes nobody's page
    but the reader's own and the Protokoll's list)."""
    require_member(meeting.group, actor)
    if meeting.minutes_status == MinutesStatus.ENTWURF:
        raise Conflict("Diese Niederschrift ist noch nicht veröffentlicht.")
    _mark_read(meeting, actor)
    db.session.flush()


# --- search -------------------------------------------------------------------------------------

SEARCH_LIMIT = 30


def search_minutes(user, q: str) -> list[AgendaItem]:
    """TOPs whose title, minutes or decisions contain ``q`` (German folding: Ü = ü, ß = ss), in
    published minutes of the AGs ``user`` may see; newest first."""
    decision_hit = select(Decision.agenda_item_id).where(contains(Decision.text, q))
    stmt = (select(AgendaItem).join(AgendaItem.meeting)
            .where(Meeting.minutes_status != MinutesStatus.ENTWURF,
                   or_(contains(AgendaItem.title, q), contains(AgendaItem.minutes, q),
                       AgendaItem.id.in_(decision_hit)))
            .options(contains_eager(AgendaItem.meeting).joinedload(Meeting.group))
            .order_by(Meeting.date.desc(), AgendaItem.position, AgendaItem.id).limit(SEARCH_LIMIT))
    ids = visible_group_ids(user)
    if ids is not None:
        stmt = stmt.where(Meeting.group_id.in_(ids))
    return list(db.session.scalars(stmt.where(agenda_item_visible(user))))
