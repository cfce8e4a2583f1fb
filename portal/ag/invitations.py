"""AG 78 Einladung and Rückmeldung: the Ladungsfrist of the Geschäftsordnung, sending the invitation
(portal notification and mail with an iTIP .ics), Zusage / Absage / Vertretung of the members, the
expected attendance and quorum, and the AG's settings.

Operations (one per user-visible change, as in ``portal.ag.meetings``): ``save_settings``,
``send_invitation``, ``reply``. They check the model's rule, change state, flush and send their
event from ``portal.signals``; they never commit. A moved or cancelled meeting that was invited
sends ``meeting_invitation_sent`` from ``portal.ag.meetings.save_meeting`` (update / cancellation).

The .ics (RFC 5546 iTIP, built by ``invitation_ics``): METHOD:REQUEST or CANCEL, one VEVENT with a
UID that stays the same for the meeting, SEQUENCE = the meeting's sequence (raised by every change
of date, time, place or status), ORGANIZER = who sent the invitation, and one ATTENDEE per member
with PARTSTAT from their reply (a deputy who comes is an ATTENDEE DELEGATED-FROM the member).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import current_app
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent
from sqlalchemy import select

from portal import signals
from portal.ag.meetings import require_open
from portal.ag.models import Meeting, MeetingReply, MeetingStatus, Membership, ReplyAnswer, WorkingGroup
from portal.ag.services import functions_of, members_on, quorum_needed, require_editor
from portal.calendar.ical import berlin_vtimezone
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db, utcnow
from portal.formatting import datum, heute

PRODID = "-//Traegerportal//AG 78 Einladung//DE"
#: Longest Ladungsfrist the settings accept (a quarter of a year).
MAX_NOTICE_DAYS = 90


# --- the AG's settings --------------------------------------------------------------------------------

def save_settings(group: WorkingGroup, actor, *, notice_days: int) -> None:
    """The Ladungsfrist of the Geschäftsordnung: Administration and Sprecher:innen."""
    if not WorkingGroup.can_configure(actor, functions_of(actor, group)):
        raise NotAllowed("Die Einstellungen der AG ändern die Sprecher:innen und die Administration.")
    if not 0 <= notice_days <= MAX_NOTICE_DAYS:
        raise Invalid(f"Bitte eine Zahl von 0 bis {MAX_NOTICE_DAYS} Tagen.")
    group.notice_days = notice_days
    db.session.flush()
    signals.membership_changed.send(group, actor=actor)


# --- Ladungsfrist ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Notice:
    """Whether an invitation sent ``on`` reaches members within the Ladungsfrist."""

    required_days: int
    days_left: int

    @property
    def met(self) -> bool:
        return self.days_left >= self.required_days

    @property
    def warning(self) -> str:
        if self.met:
            return ""
        days = "Tag" if self.days_left == 1 else "Tage"
        return (f"Die Ladungsfrist der Geschäftsordnung ({self.required_days} Tage) ist nicht eingehalten: bis zur "
                f"Sitzung sind es nur noch {self.days_left} {days}. Du kannst trotzdem einladen, musst aber "
                f"begründen, warum (die Begründung steht in der Einladung).")


def notice_for(meeting: Meeting, on: date | None = None) -> Notice:
    return Notice(required_days=meeting.group.notice_days, days_left=meeting.notice_days_left(on or heute()))


def invitation_blocker(meeting: Meeting, now: datetime) -> str | None:
    """Why this meeting cannot be invited to, or None."""
    if meeting.is_invited:
        return "Zu dieser Sitzung ist schon eingeladen worden; Änderungen an Termin oder Ort gehen als Aktualisierung hinaus."
    if meeting.status == MeetingStatus.ABGESAGT:
        return "Die Sitzung ist abgesagt."
    if meeting.status == MeetingStatus.DURCHGEFUEHRT or meeting.starts_at <= now:
        return "Die Sitzung hat schon begonnen oder stattgefunden."
    return None


def send_invitation(meeting: Meeting, actor, *, reason: str = "") -> Notice:
    """Send the Einladung (agenda, place, Anlagen are those of the meeting page). Outside the
    Ladungsfrist only with a ``reason``; it is stored and shown in the invitation."""
    require_editor(meeting.group, actor)
    require_open(meeting)
    blocker = invitation_blocker(meeting, utcnow())
    if blocker:
        raise Conflict(blocker)
    notice = notice_for(meeting)
    reason = (reason or "").strip()
    if not notice.met and not reason:
        raise Invalid("Die Ladungsfrist ist nicht eingehalten: bitte begründe, warum du trotzdem einlädst.")
    meeting.invited_at = utcnow()
    meeting.invited_by_id = actor.id
    meeting.short_notice_reason = "" if notice.met else reason
    meeting.status = MeetingStatus.EINGELADEN
    meeting.sequence = (meeting.sequence or 0) + 1
    meeting.updated_at = utcnow()
    db.session.flush()
    signals.meeting_scheduled.send(meeting, actor=actor, change="updated")
    signals.meeting_invitation_sent.send(meeting, actor=actor, change="invited")
    return notice


# --- Zusage / Absage / Vertretung ----------------------------------------------------------------------

def own_memberships(meeting: Meeting, user) -> list[Membership]:
    """The memberships through which ``user`` is invited (member on the meeting day)."""
    if user is None or not user.is_authenticated:
        return []
    return [m for m in members_on(meeting.group_id, meeting.date) if m.user_id == user.id]


def reply(meeting: Meeting, actor, answer: ReplyAnswer) -> list[MeetingReply]:
    """A member's Zusage, Absage or Vertretung (the deputy named in the membership for the
    meeting day comes and votes). Replaces an earlier reply; allowed until the meeting starts."""
    memberships = own_memberships(meeting, actor)
    if not memberships:
        raise NotAllowed("Zu- und absagen können die Mitglieder der AG.")
    if not meeting.can_reply(utcnow()):
        raise Conflict("Für diese Sitzung nimmt das Portal keine Rückmeldungen (mehr) an.")
    if answer == ReplyAnswer.VERTRETUNG and not any(m.deputy_on(meeting.date) for m in memberships):
        raise Invalid("Für dich ist zum Sitzungstag keine Stellvertretung eingetragen. "
                      "Die Administration trägt sie in deiner Mitgliedschaft ein.")
    current = {r.membership_id: r for r in db.session.scalars(
        select(MeetingReply).where(MeetingReply.meeting_id == meeting.id,
                                   MeetingReply.membership_id.in_([m.id for m in memberships])))}
    written = []
    for membership in memberships:
        deputy = membership.deputy_on(meeting.date)
        own = answer if answer != ReplyAnswer.VERTRETUNG or deputy else ReplyAnswer.ABSAGE
        row = current.get(membership.id) or MeetingReply(meeting_id=meeting.id, membership_id=membership.id)
        row.answer = own
        row.deputy_id = deputy.id if own == ReplyAnswer.VERTRETUNG else None
        row.replied_at = utcnow()
        db.session.add(row)
        written.append(row)
    db.session.flush()
    for row in written:
        signals.meeting_replied.send(row, actor=actor, meeting=meeting)
    return written


# --- expected attendance and quorum ----------------------------------------------------------------

@dataclass
class Expected:
    """The replies counted for the meeting page: who comes, who not, who has not answered."""

    zusagen: list[Membership]
    absagen: list[Membership]
    vertretungen: list[tuple[Membership, object]]  # (membership, deputy user)
    offen: list[Membership]
    voting_members: int
    voting_expected: int

    @property
    def needed(self) -> int:
        return quorum_needed(self.voting_members)

    @property
    def quorate(self) -> bool:
        return self.voting_members > 0 and self.voting_expected >= self.needed

    @property
    def voting_open(self) -> int:
        return sum(1 for m in self.offen if m.voting)


def expected(meeting: Meeting, members: list[Membership], replies: list[MeetingReply]) -> Expected:
    by_membership = {r.membership_id: r for r in replies}
    result = Expected([], [], [], [], voting_members=sum(1 for m in members if m.voting), voting_expected=0)
    for m in members:
        r = by_membership.get(m.id)
        if r is None:
            result.offen.append(m)
        elif r.answer == ReplyAnswer.ZUSAGE:
            result.zusagen.append(m)
        elif r.answer == ReplyAnswer.VERTRETUNG and r.deputy_id:
            result.vertretungen.append((m, r.deputy))
        else:
            result.absagen.append(m)
    result.voting_expected = (sum(1 for m in result.zusagen if m.voting)
                              + sum(1 for m, _ in result.vertretungen if m.voting))
    return result


def prefilled_presence(members: list[Membership], replies: list[MeetingReply]) -> dict:
    """The attendance form on the day: Zusage -> anwesend, Absage -> entschuldigt, Vertretung ->
    vertreten (the deputy is there for the member); no reply stays for the Protokoll to choose."""
    answers = {r.membership_id: r.answer for r in replies}
    return {m.id: answers[m.id].presence for m in members if m.id in answers}


# --- the .ics --------------------------------------------------------------------------------------

def invitation_uid(meeting: Meeting) -> str:
    """Stable for the meeting: every update and the cancellation replace the same calendar entry."""
    return f"ag-einladung-{meeting.id}@traegerportal"


def _address(user, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = vText(user.display_name or user.email)
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = vText(value)
    return address


_PARTSTAT = {ReplyAnswer.ZUSAGE: "ACCEPTED", ReplyAnswer.ABSAGE: "DECLINED", ReplyAnswer.VERTRETUNG: "DELEGATED"}


def _description(meeting: Meeting, url: str) -> str:
    lines = []
    if meeting.short_notice_reason:
        lines += [f"Einladung außerhalb der Ladungsfrist ({meeting.group.notice_days} Tage). Begründung: "
                  f"{meeting.short_notice_reason}", ""]
    lines.append("Tagesordnung:")
    lines += [f"TOP {i.position}: {i.title}" for i in meeting.agenda] or ["(folgt)"]
    if meeting.attachments:
        lines += ["", f"Anlagen: {', '.join(a.original_name for a in meeting.attachments)}"]
    lines += ["", f"Zusagen, Absagen und Stellvertretung im Portal: {url}"]
    return "\n".join(lines)


def invitation_ics(meeting: Meeting, cancel: bool | None = None) -> str:
    """The iTIP message (REQUEST, or CANCEL for a called-off meeting) with the current replies."""
    from portal.notifications.services import absolute, portal_path

    cancel = meeting.status == MeetingStatus.ABGESAGT if cancel is None else cancel
    members = members_on(meeting.group_id, meeting.date)
    replies = {r.membership_id: r for r in db.session.scalars(
        select(MeetingReply).where(MeetingReply.meeting_id == meeting.id))}
    url = absolute(portal_path("ag.meeting", slug=meeting.group.slug, meeting_id=meeting.id, _anchor="rueckmeldung"))

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    cal.add_component(berlin_vtimezone())
    event = VEvent()
    event.add("uid", invitation_uid(meeting))
    event.add("sequence", meeting.sequence or 0)
    event.add("dtstamp", utcnow().replace(microsecond=0))
    event.add("last-modified", min(meeting.updated_at, utcnow()).astimezone(timezone.utc).replace(microsecond=0))
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", f"Abgesagt: {meeting.full_title}" if cancel else meeting.full_title)
    if meeting.place:
        event.add("location", meeting.place)
    event.add("description", _description(meeting, url))
    event.add("url", url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = meeting.invited_by
    if organizer is not None and organizer.email:
        event.add("organizer", _address(organizer))
    else:
        sender = current_app.config.get("MAIL_SENDER") or "portal@localhost"
        address = vCalAddress(f"mailto:{sender}")
        address.params["CN"] = vText(meeting.group.short_name)
        event.add("organizer", address)
    for m in members:
        if not m.user.email:
            continue
        r = replies.get(m.id)
        params = dict(cutype="INDIVIDUAL", role="REQ-PARTICIPANT" if m.voting else "OPT-PARTICIPANT",
                      partstat=_PARTSTAT[r.answer] if r else "NEEDS-ACTION", rsvp="TRUE")
        if r and r.answer == ReplyAnswer.VERTRETUNG and r.deputy is not None and r.deputy.email:
            params["delegated_to"] = f"mailto:{r.deputy.email}"
            event.add("attendee", _address(m.user, **params))
            event.add("attendee", _address(r.deputy, cutype="INDIVIDUAL", role="REQ-PARTICIPANT",
                                           partstat="ACCEPTED", delegated_from=f"mailto:{m.user.email}"))
        else:
            event.add("attendee", _address(m.user, **params))
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def ics_attachment(meeting: Meeting) -> dict:
    """The .ics as an outbox attachment (``OutboxMail.attachments``)."""
    cancel = meeting.status == MeetingStatus.ABGESAGT
    return {"filename": "absage.ics" if cancel else "einladung.ics", "content_type": "text/calendar",
            "params": {"method": "CANCEL" if cancel else "REQUEST"}, "content": invitation_ics(meeting, cancel)}


def invitation_detail(meeting: Meeting) -> str:
    """The invitation as plain text for the notification and its mail."""
    lines = [f"Termin: {datum(meeting.date)}, {meeting.start_time:%H:%M} bis {meeting.end_time:%H:%M} Uhr",
             f"Ort: {meeting.place or 'wird noch bekannt gegeben'}"]
    if meeting.status == MeetingStatus.ABGESAGT:
        return "\n".join(lines)
    if meeting.short_notice_reason:
        lines.append(f"Einladung außerhalb der Ladungsfrist ({meeting.group.notice_days} Tage). Begründung: "
                     f"{meeting.short_notice_reason}")
    lines.append("Tagesordnung:")
    lines += [f"  TOP {i.position}: {i.title}" for i in meeting.agenda] or ["  (folgt)"]
    if meeting.attachments:
        lines.append(f"Anlagen (im Portal): {', '.join(a.original_name for a in meeting.attachments)}")
    lines.append("Bitte sag im Portal zu oder ab; wer nicht kann, kann seine Stellvertretung schicken.")
    return "\n".join(lines)

