"""An AG as OParl 1.1 objects (https://oparl.org/spezifikation/), so a council system can take it over.

Field names and types follow the specification (Organization, Person, Membership, Meeting,
AgendaItem, File, Location). Only what the portal knows is filled; no e-mail addresses or other
contact data. Ids are URLs; objects without their own endpoint are addressed by a fragment of the
export. As in OParl, Membership objects are embedded in their Person and referenced by URL from the
Organization; ``onBehalfOf`` points to the represented Träger, exported as Organization
(``organizationType`` "Institution"). The export's ``meeting`` list stands in for the meeting list
that ``Organization.meeting`` links to.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.ag.models import (AgendaItem, Function, Meeting, MeetingAttachment, MeetingStatus, Membership,
                              MinutesStatus, WorkingGroup)
from portal.extensions import db
from portal.org.models import Traeger, TraegerKind

SCHEMA = "https://schema.oparl.org/1.1/"

#: Our functions as OParl Membership.role texts.
ROLES = {
    Function.SPRECHER: "Sprecher:in",
    Function.STELLV_SPRECHER: "stellvertretende Sprecher:in",
    Function.PROTOKOLL: "Protokollführung",
    Function.MITGLIED: "Mitglied",
    Function.GAST: "Gast",
}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _compact(obj: dict) -> dict:
    """OParl leaves out properties without a value instead of sending null."""
    return {key: value for key, value in obj.items() if value is not None}


def export_group(group: WorkingGroup) -> dict:
    base = url_for("ag.export", slug=group.slug, _external=True)

    def ref(kind: str, key) -> str:
        return f"{base}#{kind}-{key}"

    memberships = db.session.scalars(
        select(Membership).where(Membership.group_id == group.id)
        .options(selectinload(Membership.user), selectinload(Membership.traeger)).order_by(Membership.id)).all()
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.group_id == group.id).order_by(Meeting.date, Meeting.number).options(
            selectinload(Meeting.agenda).selectinload(AgendaItem.decisions),
            selectinload(Meeting.attendance), selectinload(Meeting.attachments))).all()

    def file(a: MeetingAttachment) -> dict:
        url = url_for("ag.attachment", slug=group.slug, attachment_id=a.id, _external=True)
        return {"id": ref("file", a.id), "type": SCHEMA + "File", "name": a.original_name,
                "fileName": a.original_name, "mimeType": a.content_type, "size": a.size,
                "accessUrl": url, "downloadUrl": url, "created": _iso(a.created_at)}

    organization = {
        "id": ref("organization", group.id),
        "type": SCHEMA + "Organization",
        "name": group.name,
        "shortName": group.short_name,
        # organizationType allows only Gremium, Partei, Fraktion, Verwaltungsbereich, externes Gremium,
        # Institution and Sonstiges; the kind of Gremium goes into classification.
        "organizationType": "Gremium",
        "classification": "Arbeitsgemeinschaft nach § 78 SGB VIII",
        "membership": [ref("membership", m.id) for m in memberships],
        # OParl: the URL of the AG's meeting list (here: the export's "meeting" list).
        "meeting": f"{base}#meeting",
        "web": url_for("ag.group", slug=group.slug, _external=True),
        "created": _iso(group.created_at),
    }
    represented: dict[int, Traeger] = {m.traeger.id: m.traeger for m in memberships if m.traeger}
    traeger_objects = [{
        "id": ref("organization-traeger", t.id), "type": SCHEMA + "Organization", "name": t.name,
        "shortName": t.short_name, "organizationType": "Institution",
        "classification": ("öffentlicher Träger der Jugendhilfe" if t.kind == TraegerKind.OEFFENTLICH
                           else "freier Träger der Jugendhilfe"),
    } for t in sorted(represented.values(), key=lambda t: t.name)]
    people: dict[int, dict] = {}
    for m in memberships:
        person = people.setdefault(m.user_id, {
            "id": ref("person", m.user_id), "type": SCHEMA + "Person", "name": m.user.display_name,
            "membership": []})
        obj = {
            "id": ref("membership", m.id), "type": SCHEMA + "Membership",
            "person": ref("person", m.user_id), "organization": ref("organization", group.id),
            "role": ROLES[m.function], "votingRight": m.voting,
            "startDate": _iso(m.valid_from), "endDate": _iso(m.valid_to),
        }
        if m.traeger:
            obj["onBehalfOf"] = ref("organization-traeger", m.traeger.id)
        person["membership"].append(_compact(obj))  # OParl embeds Membership objects in their Person

    meeting_objects = []
    by_membership = {m.id: m for m in memberships}
    for meeting in meetings:
        published = meeting.minutes_status != MinutesStatus.ENTWURF
        items = []
        for item in meeting.agenda:
            agenda_item = {
                "id": ref("agendaitem", item.id), "type": SCHEMA + "AgendaItem",
                "meeting": ref("meeting", meeting.id), "number": str(item.position), "order": item.position,
                "name": item.title, "public": False,
            }
            if published and item.decisions:
                agenda_item["result"] = "; ".join(
                    f"{d.result_label} ({d.yes} Ja, {d.no} Nein, {d.abstain} Enthaltung)" for d in item.decisions)
                agenda_item["resolutionText"] = "\n\n".join(d.text for d in item.decisions)
            files = [file(a) for a in meeting.attachments if a.agenda_item_id == item.id]
            if files:
                agenda_item["auxiliaryFile"] = files
            items.append(agenda_item)
        participants = [ref("person", by_membership[a.membership_id].user_id) for a in meeting.attendance
                        if a.presence.value == "anwesend" and a.membership_id in by_membership] if published else []
        meeting_objects.append(_compact({
            "id": ref("meeting", meeting.id), "type": SCHEMA + "Meeting",
            "name": meeting.full_title,
            "meetingState": {"geplant": "terminiert", "eingeladen": "eingeladen",
                             "durchgefuehrt": "durchgeführt", "abgesagt": "abgesagt"}[meeting.status.value],
            "cancelled": meeting.status == MeetingStatus.ABGESAGT,
            "start": _iso(meeting.starts_at), "end": _iso(meeting.ends_at),
            "location": {"id": ref("location", meeting.id), "type": SCHEMA + "Location",
                         "description": meeting.place} if meeting.place else None,
            "organization": [ref("organization", group.id)],
            "participant": participants,
            "agendaItem": items,
            "auxiliaryFile": [file(a) for a in meeting.attachments if a.agenda_item_id is None],
            "web": url_for("ag.meeting", slug=group.slug, meeting_id=meeting.id, _external=True),
            "modified": _iso(meeting.updated_at),
        }))
        if published:
            meeting_objects[-1]["resultsProtocol"] = {
                "id": ref("protocol", meeting.id), "type": SCHEMA + "File",
                "name": f"Niederschrift der {meeting.title} ({meeting.minutes_status.label})",
                "mimeType": "text/html",
                "accessUrl": url_for("ag.meeting_print", slug=group.slug, meeting_id=meeting.id, _external=True),
            }

    return {
        "organization": [organization, *traeger_objects],
        "person": list(people.values()),
        "meeting": meeting_objects,
    }
