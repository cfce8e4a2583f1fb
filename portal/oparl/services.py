"""What an OParl client may see, the lists and objects, and their JSON form.

Visibility follows the portal's own rules, written once in SQL (lists) and once in Python (objects
embedded in others); tests/test_oparl.py crawls both ways and ties them together:

* an AG's meetings: all of them for those who see the AG in the portal (members, Leitung,
  Administration: ``portal.ag.services.visible_group_ids``); for everyone else only meetings
  whose minutes are published;
* TOPs of a visible meeting: öffentliche for everyone, nicht öffentliche for the AG's members only
  (``WorkingGroup.sees_closed``); result and Beschlusstext once the minutes are published (or for
  the AG's Protokoll and Sprecher:innen, as in the portal);
* Anlagen: of a TOP as the TOP; of the whole meeting only for those who see the AG;
* persons: by name for those who see one of their AGs, otherwise only by function and Träger;
  never an e-mail address.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import url_for
from sqlalchemy import and_, case, false, func, literal, or_, select, true, type_coerce, union_all
from sqlalchemy.orm import joinedload, selectinload

from portal.ag.models import (AgendaItem, Attendance, Decision, EDITOR_FUNCTIONS, Function, Meeting, MeetingAttachment,
                              MeetingStatus, Membership, MinutesStatus, WorkingGroup)
from portal.ag.services import active_membership_filter
from portal.formatting import heute
from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db
from portal.org.models import Traeger, TraegerKind

SCHEMA = "https://schema.oparl.org/1.1/"
#: The one Body: the Jugendamt that runs the portal.
BODY_ID = 1
#: Before anything existed (created/modified of objects without a stamp of their own).
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)

ROLES = {
    Function.SPRECHER: "Sprecher:in",
    Function.STELLV_SPRECHER: "stellvertretende Sprecher:in",
    Function.PROTOKOLL: "Protokollführung",
    Function.MITGLIED: "Mitglied",
    Function.GAST: "Gast",
}
MEETING_STATES = {"geplant": "terminiert", "eingeladen": "eingeladen", "durchgefuehrt": "durchgeführt",
                  "abgesagt": "abgesagt"}


# --- who asks -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Viewer:
    """What one request may see. ``full``: AGs seen as in the portal (None: all of them);
    ``members``: AGs whose nicht öffentliche TOPs it sees; ``editors``: AGs whose draft minutes it sees."""

    user: User | None
    full: frozenset[int] | None
    members: frozenset[int]
    editors: frozenset[int]

    @property
    def anonymous(self) -> bool:
        return self.user is None

    def sees_group(self, group_id: int) -> bool:
        return self.full is None or group_id in self.full


ANONYMOUS = Viewer(None, frozenset(), frozenset(), frozenset())


def viewer_for(user: User | None) -> Viewer:
    """The Viewer of a token's user (one query), or ANONYMOUS."""
    if user is None:
        return ANONYMOUS
    rows = db.session.execute(select(Membership.group_id, Membership.function).where(
        Membership.user_id == user.id, active_membership_filter(heute()))).all()
    members = frozenset(g for g, _ in rows)
    editors = frozenset(g for g, f in rows if f in EDITOR_FUNCTIONS)
    sees_all = user.has_role(Role.ADMIN, Role.LEITUNG)  # WorkingGroup.sees_all
    return Viewer(user, None if sees_all else members, members, editors)


def _in(column, ids: frozenset[int] | None):
    if ids is None:
        return true()
    return column.in_(sorted(ids)) if ids else false()


def meeting_visible(v: Viewer):
    return or_(Meeting.minutes_status != MinutesStatus.ENTWURF, _in(Meeting.group_id, v.full))


def item_visible(v: Viewer):
    """On AgendaItem joined with its Meeting."""
    return and_(meeting_visible(v), or_(AgendaItem.public.is_(True), _in(Meeting.group_id, v.members)))


def file_visible(v: Viewer):
    """On MeetingAttachment joined with its Meeting and (outer) its AgendaItem."""
    return and_(meeting_visible(v), or_(
        and_(MeetingAttachment.agenda_item_id.is_(None), _in(Meeting.group_id, v.full)),
        and_(MeetingAttachment.agenda_item_id.is_not(None),
             or_(AgendaItem.public.is_(True), _in(Meeting.group_id, v.members)))))


def sees_meeting(v: Viewer, m: Meeting) -> bool:
    return m.minutes_status != MinutesStatus.ENTWURF or v.sees_group(m.group_id)


def sees_item(v: Viewer, item: AgendaItem, meeting: Meeting) -> bool:
    return sees_meeting(v, meeting) and (item.public or meeting.group_id in v.members)


def sees_file(v: Viewer, a: MeetingAttachment, meeting: Meeting, items: dict[int, AgendaItem]) -> bool:
    if a.agenda_item_id is None:
        return sees_meeting(v, meeting) and v.sees_group(meeting.group_id)
    item = items.get(a.agenda_item_id)
    return item is not None and sees_item(v, item, meeting)


def sees_minutes(v: Viewer, m: Meeting) -> bool:
    return m.minutes_status != MinutesStatus.ENTWURF or m.group_id in v.editors


# --- created / modified -------------------------------------------------------------------------

def _greatest(first, *others):
    """The latest of several timestamps (NULLs ignored; ``first`` is never NULL), the same SQL on
    SQLite and PostgreSQL (their GREATEST/MAX differ in how they treat NULL)."""
    result = first
    for other in others:
        value = func.coalesce(other, result)
        result = type_coerce(case((value > result, value), else_=result), UTCDateTime())
    return result


def _latest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else EPOCH


def meeting_modified():
    items = select(func.max(AgendaItem.updated_at)).where(AgendaItem.meeting_id == Meeting.id).scalar_subquery()
    files = (select(func.max(MeetingAttachment.created_at)).where(MeetingAttachment.meeting_id == Meeting.id)
             .scalar_subquery())
    return _greatest(Meeting.updated_at, Meeting.minutes_changed_at, Meeting.approved_at, items, files)


def item_modified():
    decisions = (select(func.max(Decision.created_at)).where(Decision.agenda_item_id == AgendaItem.id)
                 .scalar_subquery())
    return _greatest(AgendaItem.updated_at, Meeting.minutes_changed_at, decisions)


def group_modified():
    members = (select(func.max(Membership.updated_at)).where(Membership.group_id == WorkingGroup.id)
               .scalar_subquery())
    return _greatest(WorkingGroup.updated_at, members)


def person_modified():
    members = select(func.max(Membership.updated_at)).where(Membership.user_id == User.id).scalar_subquery()
    return _greatest(User.created_at, members)


@dataclass(frozen=True)
class Window:
    """The list filters of OParl 1.1: created_since/-until, modified_since/-until."""

    created_since: datetime | None = None
    created_until: datetime | None = None
    modified_since: datetime | None = None
    modified_until: datetime | None = None

    def conditions(self, created, modified) -> list:
        out = []
        if self.created_since:
            out.append(created >= self.created_since)
        if self.created_until:
            out.append(created <= self.created_until)
        if self.modified_since:
            out.append(modified >= self.modified_since)
        if self.modified_until:
            out.append(modified <= self.modified_until)
        return out


# --- lists: (statement, order, id column) for portal.paging.keyset_page ---------------------------

#: Organizations of two tables in one list: key = 2 * id for an AG, 2 * id + 1 for a Träger.
def organization_keys(window: Window, group_id: int | None = None):
    ag = select((WorkingGroup.id * 2).label("key"), WorkingGroup.id.label("obj_id"), literal("ag").label("kind"))
    ag = ag.where(*window.conditions(WorkingGroup.created_at, group_modified()))
    tr = select((Traeger.id * 2 + 1).label("key"), Traeger.id.label("obj_id"), literal("traeger").label("kind"))
    tr = tr.where(*window.conditions(Traeger.created_at, Traeger.updated_at))
    keys = union_all(ag, tr).subquery()
    return select(keys.c.key, keys.c.obj_id, keys.c.kind), keys.c.key


def load_organizations(rows) -> list:
    ag_ids = [r.obj_id for r in rows if r.kind == "ag"]
    tr_ids = [r.obj_id for r in rows if r.kind == "traeger"]
    groups = {g.id: g for g in db.session.scalars(
        select(WorkingGroup).where(WorkingGroup.id.in_(ag_ids)).options(selectinload(WorkingGroup.memberships)))} \
        if ag_ids else {}
    traeger = {t.id: t for t in db.session.scalars(select(Traeger).where(Traeger.id.in_(tr_ids)))} if tr_ids else {}
    return [groups[r.obj_id] if r.kind == "ag" else traeger[r.obj_id] for r in rows
            if (groups if r.kind == "ag" else traeger).get(r.obj_id) is not None]


def get_organization(kind: str, obj_id: int):
    """An AG (kind "ag") or a Träger (kind "traeger") as an Organization, or None."""
    if kind == "ag":
        return db.session.scalar(select(WorkingGroup).where(WorkingGroup.id == obj_id)
                                 .options(selectinload(WorkingGroup.memberships)))
    return db.session.get(Traeger, obj_id)


def persons_stmt(window: Window):
    has_membership = select(Membership.id).where(Membership.user_id == User.id).exists()
    return (select(User).where(has_membership, *window.conditions(User.created_at, person_modified()))
            .options(selectinload(User.role_rows))), User.id


def load_persons(users: list[User]) -> dict[int, list[Membership]]:
    """Memberships of the listed persons with AG and Träger (two queries)."""
    if not users:
        return {}
    rows = db.session.scalars(select(Membership).where(Membership.user_id.in_([u.id for u in users]))
                              .options(joinedload(Membership.traeger), joinedload(Membership.group))
                              .order_by(Membership.id)).all()
    out: dict[int, list[Membership]] = {u.id: [] for u in users}
    for m in rows:
        out[m.user_id].append(m)
    return out


def memberships_stmt(window: Window):
    return (select(Membership).where(*window.conditions(Membership.created_at, Membership.updated_at))
            .options(joinedload(Membership.traeger))), Membership.id


def meetings_stmt(v: Viewer, window: Window, group_id: int | None = None):
    stmt = select(Meeting).where(meeting_visible(v), *window.conditions(Meeting.created_at, meeting_modified()))
    if group_id is not None:
        stmt = stmt.where(Meeting.group_id == group_id)
    return stmt.options(*MEETING_LOAD), Meeting.id


MEETING_LOAD = (
    joinedload(Meeting.group),
    selectinload(Meeting.agenda).selectinload(AgendaItem.decisions),
    selectinload(Meeting.attachments),
    selectinload(Meeting.attendance).joinedload(Attendance.membership),
)


def items_stmt(v: Viewer, window: Window):
    stmt = (select(AgendaItem).join(AgendaItem.meeting)
            .where(item_visible(v), *window.conditions(AgendaItem.created_at, item_modified()))
            .options(selectinload(AgendaItem.decisions),
                     joinedload(AgendaItem.meeting).selectinload(Meeting.attachments)))
    return stmt, AgendaItem.id


def files_stmt(v: Viewer, window: Window):
    stmt = (select(MeetingAttachment).join(MeetingAttachment.meeting).outerjoin(MeetingAttachment.agenda_item)
            .where(file_visible(v), *window.conditions(MeetingAttachment.created_at, MeetingAttachment.created_at)))
    return stmt, MeetingAttachment.id


def locations_stmt(v: Viewer, window: Window):
    """One Location per meeting with a place (the portal keeps places as text)."""
    stmt = (select(Meeting).where(meeting_visible(v), Meeting.place != "",
                                  *window.conditions(Meeting.created_at, Meeting.updated_at)))
    return stmt, Meeting.id


# --- single objects ---------------------------------------------------------------------------------

def get_meeting(v: Viewer, meeting_id: int) -> Meeting | None:
    stmt, _ = meetings_stmt(v, Window())
    return db.session.scalar(stmt.where(Meeting.id == meeting_id))


def get_item(v: Viewer, item_id: int) -> AgendaItem | None:
    stmt, _ = items_stmt(v, Window())
    return db.session.scalar(stmt.where(AgendaItem.id == item_id))


def get_file(v: Viewer, file_id: int) -> MeetingAttachment | None:
    stmt, _ = files_stmt(v, Window())
    return db.session.scalar(stmt.where(MeetingAttachment.id == file_id))


def get_location(v: Viewer, meeting_id: int) -> Meeting | None:
    stmt, _ = locations_stmt(v, Window())
    return db.session.scalar(stmt.where(Meeting.id == meeting_id))


def get_person(person_id: int) -> User | None:
    stmt, _ = persons_stmt(Window())
    return db.session.scalar(stmt.where(User.id == person_id))


def body_stamps() -> tuple[datetime, datetime]:
    created, modified = db.session.execute(select(func.min(WorkingGroup.created_at),
                                                  func.max(WorkingGroup.updated_at))).one()
    created = created or EPOCH
    return created, max(modified or created, created)


# --- JSON ---------------------------------------------------------------------------------------

def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    return value.isoformat()


def _compact(obj: dict) -> dict:
    """OParl leaves out properties without a value instead of sending null."""
    return {key: value for key, value in obj.items() if value is not None}


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def system_json(created: datetime, modified: datetime, name: str) -> dict:
    return _compact({
        "id": _url("oparl.system"), "type": SCHEMA + "System", "oparlVersion": "https://schema.oparl.org/1.1/",
        "name": name, "body": _url("oparl.bodies"), "website": _url("pages.index"),
        "product": "Trägerportal", "created": _iso(created), "modified": _iso(modified), "deleted": False,
    })


def body_json(created: datetime, modified: datetime, name: str) -> dict:
    b = dict(body_id=BODY_ID)
    return _compact({
        "id": _url("oparl.body", **b), "type": SCHEMA + "Body", "system": _url("oparl.system"),
        "name": name, "shortName": "Jugendamt",
        "classification": "Jugendamt (öffentlicher Träger der Jugendhilfe)",
        "organization": _url("oparl.organizations", **b), "person": _url("oparl.persons", **b),
        "meeting": _url("oparl.meetings", **b), "paper": _url("oparl.papers", **b),
        "agendaItem": _url("oparl.agenda_items", **b), "file": _url("oparl.files", **b),
        "membership": _url("oparl.memberships", **b), "locationList": _url("oparl.locations", **b),
        "legislativeTerm": [],
        "web": _url("ag.index"), "created": _iso(created), "modified": _iso(modified), "deleted": False,
    })


def group_json(g: WorkingGroup) -> dict:
    active = [m for m in g.memberships if m.active_on(heute())]
    return _compact({
        "id": _url("oparl.organization", key=f"ag-{g.id}"), "type": SCHEMA + "Organization",
        "body": _url("oparl.body", body_id=BODY_ID), "name": g.name, "shortName": g.short_name,
        # organizationType allows Gremium, Partei, Fraktion, Verwaltungsbereich, externes Gremium,
        # Institution and Sonstiges; the kind of Gremium goes into classification.
        "organizationType": "Gremium", "classification": "Arbeitsgemeinschaft nach § 78 SGB VIII",
        "membership": [_url("oparl.membership", membership_id=m.id) for m in sorted(g.memberships, key=lambda m: m.id)],
        "meeting": _url("oparl.organization_meetings", key=f"ag-{g.id}"),
        "memberCount": len(active), "votingMemberCount": sum(1 for m in active if m.voting),
        "startDate": _iso(g.rules_adopted_on),
        "web": _url("ag.group", slug=g.slug),
        "created": _iso(g.created_at),
        "modified": _iso(_latest(g.updated_at, *(m.updated_at for m in g.memberships))), "deleted": False,
    })


def traeger_json(t: Traeger) -> dict:
    return _compact({
        "id": _url("oparl.organization", key=f"traeger-{t.id}"), "type": SCHEMA + "Organization",
        "body": _url("oparl.body", body_id=BODY_ID), "name": t.name, "shortName": t.short_name,
        "organizationType": "Institution",
        "classification": ("öffentlicher Träger der Jugendhilfe" if t.kind == TraegerKind.OEFFENTLICH
                           else "freier Träger der Jugendhilfe"),
        "created": _iso(t.created_at), "modified": _iso(t.updated_at), "deleted": False,
    })


def organization_json(obj) -> dict:
    return group_json(obj) if isinstance(obj, WorkingGroup) else traeger_json(obj)


def membership_json(m: Membership) -> dict:
    return _compact({
        "id": _url("oparl.membership", membership_id=m.id), "type": SCHEMA + "Membership",
        "person": _url("oparl.person", person_id=m.user_id),
        "organization": _url("oparl.organization", key=f"ag-{m.group_id}"),
        "role": ROLES[m.function], "votingRight": m.voting,
        "startDate": _iso(m.valid_from), "endDate": _iso(m.valid_to),
        "onBehalfOf": _url("oparl.organization", key=f"traeger-{m.traeger_id}") if m.traeger_id else None,
        "created": _iso(m.created_at), "modified": _iso(m.updated_at), "deleted": False,
    })


def person_name(v: Viewer, user: User, memberships: list[Membership]) -> str:
    """The name for those who see one of the person's AGs; for everyone else the function and Träger
    of the person's first current membership (e.g. "Sprecher:in, AG 78 HzE, für HTG")."""
    if not v.anonymous and any(v.sees_group(m.group_id) for m in memberships):
        return user.display_name
    day = heute()
    first = next((m for m in memberships if m.active_on(day)), memberships[0] if memberships else None)
    if first is None:
        return "Mitglied einer AG"
    name = f"{ROLES[first.function]}, {first.group.short_name}"
    return f"{name}, für {first.traeger.short_name}" if first.traeger else name


def person_json(v: Viewer, user: User, memberships: list[Membership]) -> dict:
    return _compact({
        "id": _url("oparl.person", person_id=user.id), "type": SCHEMA + "Person",
        "body": _url("oparl.body", body_id=BODY_ID), "name": person_name(v, user, memberships),
        "membership": [membership_json(m) for m in memberships],
        "created": _iso(user.created_at),
        "modified": _iso(_latest(user.created_at, *(m.updated_at for m in memberships))), "deleted": False,
    })


def file_json(a: MeetingAttachment) -> dict:
    download = _url("oparl.file_download", file_id=a.id)
    return _compact({
        "id": _url("oparl.file", file_id=a.id), "type": SCHEMA + "File", "name": a.original_name,
        "fileName": a.original_name, "mimeType": a.content_type, "size": a.size,
        "accessUrl": download, "downloadUrl": download,
        "meeting": [_url("oparl.meeting", meeting_id=a.meeting_id)],
        "agendaItem": [_url("oparl.agenda_item", item_id=a.agenda_item_id)] if a.agenda_item_id else None,
        "created": _iso(a.created_at), "modified": _iso(a.created_at), "deleted": False,
    })


def item_json(v: Viewer, item: AgendaItem, meeting: Meeting) -> dict:
    obj = {
        "id": _url("oparl.agenda_item", item_id=item.id), "type": SCHEMA + "AgendaItem",
        "meeting": _url("oparl.meeting", meeting_id=meeting.id), "number": str(item.position),
        "order": item.position, "name": item.title, "public": item.public,
        "created": _iso(item.created_at),
        "modified": _iso(_latest(item.updated_at, meeting.minutes_changed_at,
                                 *(d.created_at for d in item.decisions))),
        "deleted": False,
    }
    if sees_minutes(v, meeting) and item.decisions:
        obj["result"] = "; ".join(
            f"{d.result_label} ({d.yes} Ja, {d.no} Nein, {d.abstain} Enthaltung)" for d in item.decisions)
        obj["resolutionText"] = "\n\n".join(d.text for d in item.decisions)
    files = [file_json(a) for a in meeting.attachments if a.agenda_item_id == item.id]
    if files:
        obj["auxiliaryFile"] = files
    return obj


def location_json(meeting: Meeting) -> dict:
    return {
        "id": _url("oparl.location", meeting_id=meeting.id), "type": SCHEMA + "Location",
        "description": meeting.place, "meetings": [_url("oparl.meeting", meeting_id=meeting.id)],
        "created": _iso(meeting.created_at), "modified": _iso(meeting.updated_at), "deleted": False,
    }


def meeting_json(v: Viewer, m: Meeting) -> dict:
    items = [i for i in m.agenda if sees_item(v, i, m)]
    by_id = {i.id: i for i in m.agenda}
    files = [a for a in m.attachments if a.agenda_item_id is None and sees_file(v, a, m, by_id)]
    full = v.sees_group(m.group_id) and not v.anonymous
    obj = _compact({
        "id": _url("oparl.meeting", meeting_id=m.id), "type": SCHEMA + "Meeting",
        "name": m.full_title, "meetingState": MEETING_STATES[m.status.value],
        "cancelled": m.status == MeetingStatus.ABGESAGT,
        "start": _iso(m.starts_at), "end": _iso(m.ends_at),
        "location": location_json(m) if m.place else None,
        "organization": [_url("oparl.organization", key=f"ag-{m.group_id}")],
        "agendaItem": [item_json(v, i, m) for i in items],
        "auxiliaryFile": [file_json(a) for a in files] or None,
        "created": _iso(m.created_at),
        "modified": _iso(_latest(m.updated_at, m.minutes_changed_at, m.approved_at,
                                 *(i.updated_at for i in m.agenda), *(a.created_at for a in m.attachments))),
        "deleted": False,
    })
    if full:
        obj["web"] = _url("ag.meeting", slug=m.group.slug, meeting_id=m.id)
    if full and sees_minutes(v, m):
        present = sorted({a.membership.user_id for a in m.attendance if a.presence.value == "anwesend"})
        if present:
            obj["participant"] = [_url("oparl.person", person_id=u) for u in present]
    return obj
