"""AG 78 operations on the AG, its memberships, meetings, agenda, attendance, decisions, tasks and
Anlagen: one function per user-visible change.

Each operation checks the permission through the model's rule (``WorkingGroup.can_edit`` /
``can_manage``, raising NotAllowed), changes state, flushes and sends its domain event from
``portal.signals``. Operations never commit: the view commits once. Files of deleted rows are
removed only after that commit (``portal.uploads.remove_after_commit``).
"""
from __future__ import annotations

from datetime import date, time

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal import duplicates, signals
from portal.ag.models import (ActionItem, AgendaItem, Attendance, Decision, Function, Meeting, MeetingAttachment,
                              MeetingStatus, Membership, MinutesStatus, Presence, WorkingGroup)
from portal.ag.services import quorum, require_editor, require_manager, vote_problems
from portal.errors import Conflict, Invalid
from portal.extensions import db, utcnow
from portal.text import render_markdown, slugify
from portal.uploads import StoredFile, remove_after_commit, save_upload

ATTACHMENT_TYPES = {"pdf", "odt", "docx", "xlsx"}
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

#: Minutes states in which the record of a meeting (agenda, minutes, votes) may still change.
DRAFT_ONLY = (MinutesStatus.ENTWURF,)
#: The date and the Anlagen may change until the minutes are approved.
UNTIL_APPROVED = (MinutesStatus.ENTWURF, MinutesStatus.VEROEFFENTLICHT)


def frozen_message(meeting: Meeting) -> str:
    if meeting.minutes_status == MinutesStatus.GENEHMIGT:
        return ("Diese Niederschrift ist genehmigt und kann nicht mehr geändert werden. "
                "Eine Korrektur wird als datierte Berichtigung angefügt.")
    return ("Diese Niederschrift ist veröffentlicht. Um sie zu ändern, ziehe sie zuerst zur Überarbeitung "
            "zurück.")


def require_open(meeting: Meeting, allowed=DRAFT_ONLY) -> None:
    """Conflict unless the minutes are in one of the ``allowed`` states."""
    if meeting.minutes_status not in allowed:
        raise Conflict(frozen_message(meeting))


# --- the AG and its memberships (Administration) ----------------------------------------------------

def save_group(group: WorkingGroup, actor, *, name: str, short_name: str, slug: str | None, description: str,
               rules: str, rules_adopted_on: date | None, agenda_public_default: bool | None = None) -> WorkingGroup:
    """Create or change an AG. A name or slug in use raises IntegrityError at the flush."""
    require_manager(actor)
    group.name = name.strip()
    group.short_name = short_name.strip()
    group.slug = slug or group.slug or slugify(group.short_name)
    if not group.slug:  # a short name of only punctuation gives no address by itself
        raise Invalid("Aus diesem Kurznamen lässt sich keine Adresse bilden. Bitte gib ein Kürzel in "
                      "Adressen an, z. B. „ag78-hze“.")
    group.description = description or ""
    group.rules = rules or ""
    group.rules_adopted_on = rules_adopted_on
    if agenda_public_default is not None:
        group.agenda_public_default = bool(agenda_public_default)
    db.session.add(group)
    db.session.flush()
    signals.membership_changed.send(group, actor=actor)
    return group


def save_membership(group: WorkingGroup, membership: Membership, actor, *, user_id: int, traeger_id: int | None,
                    function: Function, voting: bool, valid_from: date, valid_to: date | None,
                    deputy_id: int | None = None, deputy_from: date | None = None,
                    deputy_to: date | None = None) -> Membership:
    """A membership with its Stellvertretung (voting members only; the deputy's own term)."""
    require_manager(actor)
    if deputy_id and (deputy_id == user_id or not voting):
        raise Invalid("Eine Stellvertretung hat nur ein stimmberechtigtes Mitglied, und sie ist eine andere Person.")
    if deputy_id and deputy_from and deputy_to and deputy_to < deputy_from:
        raise Invalid("Das Ende liegt vor dem Beginn der Stellvertretung.")
    membership.group = group
    membership.user_id = user_id
    membership.traeger_id = traeger_id or None
    membership.function = function
    membership.voting = voting
    membership.valid_from = valid_from
    membership.valid_to = valid_to
    membership.deputy_id = deputy_id or None
    membership.deputy_from = deputy_from if deputy_id else None
    membership.deputy_to = deputy_to if deputy_id else None
    db.session.add(membership)
    db.session.flush()
    signals.membership_changed.send(group, actor=actor)
    return membership


# --- meetings -------------------------------------------------------------------------------------

def _calendar_changed(meeting: Meeting) -> None:
    """iCalendar SEQUENCE and LAST-MODIFIED: subscribers of the shared calendar replace their copy."""
    meeting.sequence = (meeting.sequence or 0) + 1
    meeting.updated_at = utcnow()


def save_meeting(group: WorkingGroup, meeting: Meeting, actor, *, number: int, day: date, start_time: time,
                 end_time: time, place: str, status: MeetingStatus) -> Meeting:
    """Create a meeting or change its date, place or status (not once its minutes are approved)."""
    require_editor(group, actor)
    is_new = meeting.id is None
    if not is_new:
        require_open(meeting, UNTIL_APPROVED)
    clash = db.session.scalar(select(Meeting.id).where(
        Meeting.group_id == group.id, Meeting.number == number, Meeting.id != (meeting.id or 0)))
    if clash:
        raise Invalid(f"Eine {number}. Sitzung gibt es schon.")
    moved = not is_new and ((meeting.date, meeting.start_time, meeting.end_time, meeting.place)
                            != (day, start_time, end_time, (place or "").strip()))
    cancelled = not is_new and status == MeetingStatus.ABGESAGT and meeting.status != MeetingStatus.ABGESAGT
    meeting.group_id = group.id
    meeting.number = number
    meeting.date = day
    meeting.start_time = start_time
    meeting.end_time = end_time
    meeting.place = (place or "").strip()
    meeting.status = status
    if is_new:
        meeting.sequence = 0
        meeting.updated_at = utcnow()
        with duplicates.unique_or(Invalid(f"Eine {number}. Sitzung gibt es schon.")):
            db.session.add(meeting)  # a parallel twin of this form already took the number
        change = "created"
    elif db.session.is_modified(meeting):
        _calendar_changed(meeting)
        change = "cancelled" if cancelled else "moved" if moved else "updated"
    else:
        return meeting  # nothing changed: no event
    db.session.flush()
    signals.meeting_scheduled.send(meeting, actor=actor, change=change)
    if meeting.is_invited and change in ("moved", "cancelled"):
        # Invited members get the update (same UID, higher SEQUENCE) or the cancellation as .ics.
        signals.meeting_invitation_sent.send(meeting, actor=actor,
                                             change="cancelled" if change == "cancelled" else "updated")
    return meeting


def save_attendance(meeting: Meeting, actor, presence: dict[int, Presence], guests: str) -> None:
    """Who was there; a planned meeting with attendance has taken place."""
    require_editor(meeting.group, actor)
    require_open(meeting)
    current = {a.membership_id: a for a in meeting.attendance}
    deputies = {m.id: m.deputy_on(meeting.date) for m in meeting.group.memberships}
    for membership_id, value in presence.items():
        if value == Presence.VERTRETEN and not deputies.get(membership_id):
            raise Invalid("Vertreten geht nur mit einer zum Sitzungstag eingetragenen Stellvertretung.")
    for membership_id, value in presence.items():
        if membership_id in current:
            current[membership_id].presence = value
        else:
            meeting.attendance.append(Attendance(membership_id=membership_id, presence=value))
    meeting.guests = (guests or "").strip()
    held = meeting.status in (MeetingStatus.GEPLANT, MeetingStatus.EINGELADEN)
    if held:
        meeting.status = MeetingStatus.DURCHGEFUEHRT
        _calendar_changed(meeting)
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="attendance")
    if held:
        signals.meeting_scheduled.send(meeting, actor=actor, change="updated")


# --- agenda and minutes text ------------------------------------------------------------------------

def add_agenda_item(meeting: Meeting, actor, *, title: str, description: str,
                    public: bool | None = None) -> AgendaItem:
    """A new TOP at the end of the agenda; Ö or N as chosen, else as the AG's setting says."""
    require_editor(meeting.group, actor)
    require_open(meeting)
    item = AgendaItem(meeting=meeting, position=len(meeting.agenda) + 1, title=title.strip(),
                      description=(description or "").strip(),
                      public=meeting.group.agenda_public_default if public is None else bool(public))
    db.session.add(item)
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="agenda")
    return item


def update_agenda_item(item: AgendaItem, actor, *, version: int | str | None, title: str, description: str,
                       minutes: str, public: bool | None = None) -> AgendaItem:
    """Save a TOP and its minutes. ``version`` is the one the editor started from: if someone saved
    in between, Conflict (the view shows both texts, nothing typed is lost)."""
    meeting = item.meeting
    require_editor(meeting.group, actor)
    require_open(meeting)
    if str(version) != str(item.version):
        raise Conflict("Inzwischen hat jemand anderes diesen TOP gespeichert.")
    minutes_changed = (minutes or "") != item.minutes
    item.title = title.strip()
    item.description = (description or "").strip()
    item.minutes = minutes or ""
    item.minutes_html = str(render_markdown(item.minutes))
    if public is not None:
        item.public = bool(public)
    item.version += 1
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="minutes" if minutes_changed else "agenda")
    return item


def move_agenda_item(item: AgendaItem, actor, direction: str) -> None:
    """Swap a TOP with its neighbour above ("up") or below ("down")."""
    meeting = item.meeting
    require_editor(meeting.group, actor)
    require_open(meeting)
    if direction not in ("up", "down"):
        raise Invalid("Nach oben oder nach unten?")
    items = sorted(meeting.agenda, key=lambda a: a.position)
    i = items.index(item)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i].position, items[j].position = items[j].position, items[i].position
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="agenda")


def delete_agenda_item(item: AgendaItem, actor) -> None:
    """Remove a TOP with its decisions and Anlagen (their files go after the commit); renumber."""
    meeting = item.meeting
    require_editor(meeting.group, actor)
    require_open(meeting)
    for attachment in [a for a in meeting.attachments if a.agenda_item_id == item.id]:
        meeting.attachments.remove(attachment)
        db.session.delete(attachment)
        remove_after_commit(attachment.storage_name)
    meeting.agenda.remove(item)
    db.session.delete(item)
    db.session.flush()
    for i, rest in enumerate(sorted(meeting.agenda, key=lambda a: a.position), start=1):
        rest.position = i
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="agenda")


# --- decisions ------------------------------------------------------------------------------------

def add_decision(item: AgendaItem, actor, *, text: str, yes: int, no: int, abstain: int) -> Decision:
    """A Beschluss under a TOP; the votes must fit the attendance (Invalid with the reason)."""
    meeting = item.meeting
    require_editor(meeting.group, actor)
    require_open(meeting)
    problem = vote_problems(quorum(meeting), yes, no, abstain)
    if problem:
        raise Invalid(problem)
    decision = Decision(agenda_item=item, text=text.strip(), yes=yes, no=no, abstain=abstain, accepted=yes > no)
    db.session.add(decision)
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="decision")
    return decision


def delete_decision(decision: Decision, actor) -> None:
    meeting = decision.agenda_item.meeting
    require_editor(meeting.group, actor)
    require_open(meeting)
    decision.agenda_item.decisions.remove(decision)
    db.session.delete(decision)
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="decision")


# --- tasks ----------------------------------------------------------------------------------------

def add_action_item(item: AgendaItem, actor, *, task: str, responsible: str, due_on: date | None) -> ActionItem:
    meeting = item.meeting
    require_editor(meeting.group, actor)
    require_open(meeting)
    action = ActionItem(group_id=meeting.group_id, meeting=meeting, agenda_item=item, task=task.strip(),
                        responsible=responsible.strip(), due_on=due_on)
    db.session.add(action)
    db.session.flush()
    signals.action_item_changed.send(action, actor=actor, change="assigned")
    return action


def set_action_done(action: ActionItem, actor, done: bool) -> None:
    """Tick an Aufgabe off or reopen it. Allowed after approval: it is progress, not the record."""
    require_editor(action.meeting.group, actor)
    action.done_at = utcnow() if done else None
    action.done_by_id = actor.id if done else None
    db.session.flush()
    signals.action_item_changed.send(action, actor=actor, change="done" if done else "reopened")


def delete_action_item(action: ActionItem, actor) -> None:
    require_editor(action.meeting.group, actor)
    require_open(action.meeting)
    db.session.delete(action)
    db.session.flush()
    signals.action_item_changed.send(action, actor=actor, change="deleted")


# --- Anlagen --------------------------------------------------------------------------------------

def add_attachment(meeting: Meeting, actor, file: FileStorage, agenda_item_id: int | None) -> MeetingAttachment:
    """Store the file (removed again if the transaction rolls back) and its row.
    Raises portal.uploads.UploadError with a German message for a refused file."""
    require_editor(meeting.group, actor)
    require_open(meeting, UNTIL_APPROVED)
    if agenda_item_id and agenda_item_id not in {i.id for i in meeting.agenda}:
        raise Invalid("Diesen TOP gibt es in dieser Sitzung nicht.")
    stored: StoredFile = save_upload(file, f"ag/{meeting.group_id}", ATTACHMENT_TYPES, ATTACHMENT_MAX_BYTES)
    attachment = MeetingAttachment(meeting=meeting, agenda_item_id=agenda_item_id or None,
                                   storage_name=stored.storage_name, original_name=stored.original_name,
                                   content_type=stored.content_type, size=stored.size, uploaded_by_id=actor.id)
    db.session.add(attachment)
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="attachment")
    return attachment


def delete_attachment(attachment: MeetingAttachment, actor) -> None:
    """Delete an Anlage; its file goes once the deletion is committed."""
    meeting = attachment.meeting
    require_editor(meeting.group, actor)
    require_open(meeting)
    if attachment in meeting.attachments:
        meeting.attachments.remove(attachment)
    db.session.delete(attachment)
    remove_after_commit(attachment.storage_name)
    db.session.flush()
    signals.meeting_updated.send(meeting, actor=actor, what="attachment")
