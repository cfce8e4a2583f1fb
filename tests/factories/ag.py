"""Factories for AG 78 in tests: an AG with members, meetings in any minutes state, TOPs, decisions,
tasks and Anlagen, written directly (no HTTP) and flushed. Demo *logins* (tests.conftest.ROLE_LOGINS)
may be made members; nothing here depends on the demo AG's titles."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.ag import services
from portal.ag.models import (ActionItem, AgendaItem, Attendance, Decision, Function, Meeting, MeetingAttachment,
                              MeetingStatus, Membership, MinutesStatus, Presence, ReadReceipt, WorkingGroup)
from portal.auth.models import User
from portal.extensions import db, utcnow
from portal.formatting import heute
from portal.org.models import Traeger
from portal.text import render_markdown
from tests.conftest import get_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_numbers = itertools.count(1)


def make_person(display_name: str) -> User:
    """A person without roles or password (an AG member who never signs in during the test)."""
    user = User(email=f"person{next(_numbers)}@ag.example", display_name=display_name, password_hash=None)
    db.session.add(user)
    db.session.flush()
    return user


def make_group(short_name: str | None = None, **values) -> WorkingGroup:
    n = next(_numbers)
    short_name = short_name or f"AG Test {n}"
    group = WorkingGroup(name=values.pop("name", f"{short_name} (Testgruppe {n})"), short_name=short_name,
                         slug=values.pop("slug", f"test-{n}"), **values)
    db.session.add(group)
    db.session.flush()
    return group


def add_member(group: WorkingGroup, role_or_user, function: Function = Function.MITGLIED, voting: bool = True,
               valid_from: date = date(2020, 1, 1), valid_to: date | None = None) -> Membership:
    """``role_or_user``: a demo role ("protokoll", "ag_mitglied") or a User."""
    user = get_user(role_or_user) if isinstance(role_or_user, str) else role_or_user
    membership = Membership(group=group, user_id=user.id, traeger_id=user.traeger_id, function=function,
                            voting=voting, valid_from=valid_from, valid_to=valid_to)
    db.session.add(membership)
    db.session.flush()
    return membership


def make_ag(**values) -> WorkingGroup:
    """An AG whose Protokoll is the demo login "protokoll" and with "ag_mitglied" as a voting member."""
    group = make_group(**values)
    add_member(group, "protokoll", Function.PROTOKOLL)
    add_member(group, "ag_mitglied", Function.MITGLIED)
    return group


def make_meeting(group: WorkingGroup, number: int | None = None, day: date = date(2026, 3, 10),
                 minutes_status: MinutesStatus = MinutesStatus.ENTWURF,
                 status: MeetingStatus = MeetingStatus.DURCHGEFUEHRT, place: str = "Rathaus, Raum 1") -> Meeting:
    if number is None:
        number = 1 + max((m.number for m in db.session.query(Meeting).filter_by(group_id=group.id)), default=0)
    changed = datetime(day.year, day.month, day.day, 15, tzinfo=timezone.utc)
    meeting = Meeting(group=group, number=number, date=day, start_time=time(9), end_time=time(12), place=place,
                      status=status, sequence=0, updated_at=changed, minutes_status=minutes_status,
                      minutes_changed_at=None if minutes_status == MinutesStatus.ENTWURF else changed)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def make_item(meeting: Meeting, title: str = "Bericht der Träger", minutes: str = "",
              description: str = "", public: bool = True) -> AgendaItem:
    """A TOP, öffentlich unless ``public=False`` (nicht öffentlich: members only)."""
    item = AgendaItem(meeting=meeting, position=len(meeting.agenda) + 1, title=title, description=description,
                      minutes=minutes, minutes_html=str(render_markdown(minutes)), public=public)
    db.session.add(item)
    db.session.flush()
    return item


def make_decision(item: AgendaItem, text: str = "Der Bericht wird zur Kenntnis genommen.", yes: int = 3,
                  no: int = 0, abstain: int = 0) -> Decision:
    decision = Decision(agenda_item=item, text=text, yes=yes, no=no, abstain=abstain, accepted=yes > no)
    db.session.add(decision)
    db.session.flush()
    return decision


def make_action(item: AgendaItem, task: str = "Einladung verschicken", responsible: str = "Protokoll",
                due_on: date | None = None) -> ActionItem:
    action = ActionItem(group_id=item.meeting.group_id, meeting=item.meeting, agenda_item=item, task=task,
                        responsible=responsible, due_on=due_on)
    db.session.add(action)
    db.session.flush()
    return action


def make_attachment(meeting: Meeting, item: AgendaItem | None = None, name: str = "Anlage.pdf",
                    content: bytes = PDF) -> MeetingAttachment:
    """An Anlage with its file under UPLOAD_DIR."""
    storage_name = f"ag/{meeting.group_id}/factory-{next(_numbers)}.pdf"
    path = Path(current_app.config["UPLOAD_DIR"]) / storage_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    attachment = MeetingAttachment(meeting=meeting, agenda_item_id=item.id if item else None,
                                   storage_name=storage_name, original_name=name, content_type="application/pdf",
                                   size=len(content))
    db.session.add(attachment)
    db.session.flush()
    return attachment


def upload_path(attachment: MeetingAttachment) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / attachment.storage_name


# --- the AG of tests/test_ag.py and tests/test_ag_meetings.py -------------------------------------------

VOTING_PEOPLE = ["Anna Adler", "Bernd Berg", "Carla Conrad", "Dieter Dorn"]
GO_DECISION = "Die Geschäftsordnung der Prüfgruppe wird mit den besprochenen Änderungen beschlossen."


@dataclass
class AG:
    slug: str
    group_id: int
    meetings: dict[int, int] = field(default_factory=dict)  # number -> id

    @property
    def base(self) -> str:
        return f"/ag/{self.slug}"

    def url(self, number: int, suffix: str = "") -> str:
        return f"{self.base}/meetings/{self.meetings[number]}/{suffix}"

    def first_item(self, number: int) -> int:
        return db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == self.meetings[number])
                                 .order_by(AgendaItem.position))


def build_ag(app) -> AG:
    """"AG Prüf": 7 members, 6 of them voting (the Protokoll, the member, four more) and a guest.
    1. Sitzung: minutes approved, everybody present, a decision, an open and a done task.
    2. Sitzung: minutes published (new to the member, read by the Protokoll), an open task.
    3. Sitzung: planned, minutes a draft, three TOPs."""
    with app.app_context():
        yesterday = heute() - timedelta(days=1)
        for role in ("protokoll", "ag_mitglied"):  # members of this AG only
            for ms in db.session.scalars(select(Membership).where(Membership.user_id == get_user(role).id)):
                ms.valid_to = yesterday
        group = make_group(short_name="AG Prüf", name="AG Prüf – Arbeitsgemeinschaft für Tests", slug="pruef")
        protokoll = add_member(group, "protokoll", Function.PROTOKOLL)
        member = add_member(group, "ag_mitglied", Function.MITGLIED)
        member.traeger_id = db.session.scalar(select(Traeger.id).where(Traeger.short_name == "AWO"))
        for i, name in enumerate(VOTING_PEOPLE):
            add_member(group, make_person(name), Function.SPRECHER if i == 0 else Function.MITGLIED)
        add_member(group, make_person("Gisela Gast"), Function.GAST, voting=False)

        first = make_meeting(group, 1, date(2026, 1, 27), MinutesStatus.GENEHMIGT)
        first.approved_at, first.approved_by_id = datetime(2026, 5, 12, 12, tzinfo=timezone.utc), protokoll.user_id
        first.approval_note = "in der 2. Sitzung am 12.05.2026 einstimmig"
        make_item(first, "Begrüßung und Tagesordnung", minutes="Alle sind da.")
        go = make_item(first, "Geschäftsordnung", minutes="Die Geschäftsordnung wird besprochen.")
        make_decision(go, GO_DECISION, yes=6)
        make_action(go, "Übersicht der Fachleistungsstunden erstellen", "Anna Adler", date(2026, 3, 1))
        done = make_action(go, "Raum für den Workshop buchen", "Bernd Berg")
        done.done_at = datetime(2026, 2, 1, tzinfo=timezone.utc)
        for ms in group.memberships:
            db.session.add(Attendance(meeting=first, membership_id=ms.id, presence=Presence.ANWESEND))

        second = make_meeting(group, 2, date(2026, 5, 12), MinutesStatus.VEROEFFENTLICHT)
        report = make_item(second, "Bericht aus dem Jugendhilfeausschuss", minutes="Der Ausschuss tagte im April.")
        make_item(second, "Zielvorgabe 15 % Sozialraumangebote", minutes="Die 15 % werden erreicht.")
        make_action(report, "Empfehlung für die Dezembersitzung vorbereiten", "Carla Conrad")
        for ms in group.memberships:  # published minutes need recorded attendance (issue 15)
            db.session.add(Attendance(meeting=second, membership_id=ms.id, presence=Presence.ANWESEND))

        third = make_meeting(group, 3, date(2026, 9, 1), MinutesStatus.ENTWURF, status=MeetingStatus.GEPLANT)
        make_item(third, "Niederschrift der 2. Sitzung")
        make_item(third, "Jugendhilfeplanung", minutes="Entwurf zur Jugendhilfeplanung.")
        make_item(third, "Verschiedenes")

        now = utcnow()
        db.session.add_all([ReadReceipt(meeting_id=first.id, user_id=protokoll.user_id, read_at=now),
                            ReadReceipt(meeting_id=second.id, user_id=protokoll.user_id, read_at=now),
                            ReadReceipt(meeting_id=first.id, user_id=member.user_id, read_at=now)])
        db.session.commit()
        return AG(group.slug, group.id, {1: first.id, 2: second.id, 3: third.id})


def meeting(ag: AG, number: int) -> Meeting:
    return db.session.get(Meeting, ag.meetings[number])


def text(response) -> str:
    return response.get_data(as_text=True)


def first_item(app, ag: AG, number: int) -> int:
    with app.app_context():
        return ag.first_item(number)


def record_attendance(app, ag: AG, client, number: int, absent: int = 0):
    """All members present except the first ``absent`` voting members (excused)."""
    with app.app_context():
        m = meeting(ag, number)
        members = services.members_on(m.group_id, m.date)
        voting = [ms.id for ms in members if ms.voting][:absent]
        data = {f"m-{ms.id}": ("entschuldigt" if ms.id in voting else "anwesend") for ms in members}
    data["guests"] = "Gerda Winkler (Vorsitzende JHA)"
    return client.post(ag.url(number, "attendance"), data=data)

