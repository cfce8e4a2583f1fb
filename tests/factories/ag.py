"""Factories for AG 78 in tests: an AG with members, meetings in any minutes state, TOPs, decisions,
tasks and Anlagen, written directly (no HTTP) and flushed. Demo *logins* (tests.conftest.ROLE_LOGINS)
may be made members; nothing here depends on the demo AG's titles."""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timezone
from pathlib import Path

from flask import current_app

from portal.ag.models import (ActionItem, AgendaItem, Decision, Function, Meeting, MeetingAttachment, MeetingStatus,
                              Membership, MinutesStatus, WorkingGroup)
from portal.auth.models import User
from portal.extensions import db
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
              description: str = "") -> AgendaItem:
    item = AgendaItem(meeting=meeting, position=len(meeting.agenda) + 1, title=title, description=description,
                      minutes=minutes, minutes_html=str(render_markdown(minutes)))
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
