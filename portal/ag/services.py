"""AG 78 logic: who holds which function, the minutes lifecycle, quorum and votes, shared queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from flask import has_request_context, url_for
from sqlalchemy import Date, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.ag.models import (ActionItem, AgendaItem, Attendance, ChangeRequest, Correction, Decision, Function,
                              Meeting, MeetingAttachment, MeetingStatus, Membership, MinutesEvent, MinutesStatus,
                              Presence, ReadReceipt, WorkingGroup)
from portal.auth.models import User
from portal.calendar.sources import ExternalEvent
from portal.extensions import db, utcnow
from portal.formatting import BERLIN
from portal.text import render_markdown


def today() -> date:
    return datetime.now(BERLIN).date()


# --- membership -----------------------------------------------------------------------------

def active_membership_filter(day: date):
    return and_(Membership.valid_from <= day, or_(Membership.valid_to.is_(None), Membership.valid_to >= day))


def functions_of(user, group: WorkingGroup) -> frozenset[Function]:
    """The functions ``user`` holds in ``group`` today (empty: not a member)."""
    if not user.is_authenticated:
        return frozenset()
    rows = db.session.scalars(select(Membership.function).where(
        Membership.group_id == group.id, Membership.user_id == user.id, active_membership_filter(today())))
    return frozenset(rows)


def group_with_functions(slug: str, user) -> tuple[WorkingGroup | None, frozenset[Function]]:
    """The AG with this slug and the functions ``user`` holds in it today, in one query."""
    stmt = select(WorkingGroup).where(WorkingGroup.slug == slug)
    if not user.is_authenticated:
        return db.session.scalar(stmt), frozenset()
    rows = db.session.execute(stmt.add_columns(Membership.function).outerjoin(Membership, and_(
        Membership.group_id == WorkingGroup.id, Membership.user_id == user.id,
        active_membership_filter(today())))).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(function for _, function in rows if function is not None)


def group_html(group: WorkingGroup) -> dict[str, str]:
    """Description and Geschäftsordnung as sanitised HTML (rendered once per text, then cached)."""
    return {"description": render_markdown(group.description),
            "rules": render_markdown(group.rules)}


def _people():
    """Loader options for a relationship to User whose page shows only names: the user's roles
    (a relationship loaded with every User) are not needed there."""
    return lazyload(User.role_rows)


def is_member(user, group: WorkingGroup) -> bool:
    return bool(functions_of(user, group))


def visible_group_ids(user):
    """Subquery (or None for "all") of the AGs whose content ``user`` may see."""
    if WorkingGroup.sees_all(user):
        return None
    return select(Membership.group_id).where(Membership.user_id == user.id, active_membership_filter(today()))


def groups_for(user) -> list[WorkingGroup]:
    stmt = select(WorkingGroup).order_by(WorkingGroup.name)
    ids = visible_group_ids(user)
    if ids is not None:
        stmt = stmt.where(WorkingGroup.id.in_(ids))
    return list(db.session.scalars(stmt))


def members_on(group_id: int, day: date) -> list[Membership]:
    """Members on ``day``, Sprecher:innen first, then by name; one query."""
    order = {f: i for i, f in enumerate(Function)}
    rows = db.session.scalars(
        select(Membership).join(Membership.user)
        .where(Membership.group_id == group_id, active_membership_filter(day))
        .options(contains_eager(Membership.user).options(_people()), joinedload(Membership.traeger))
        .order_by(User.display_name)
    ).all()
    return sorted(rows, key=lambda m: order[m.function])


# --- quorum and votes ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Quorum:
    voting_members: int
    voting_present: int
    present: int
    recorded: bool

    @property
    def needed(self) -> int:
        """More than half of the voting members."""
        return self.voting_members // 2 + 1

    @property
    def reached(self) -> bool:
        return self.voting_members > 0 and self.voting_present >= self.needed


def quorum(meeting: Meeting, members: list[Membership] | None = None) -> Quorum:
    members = members if members is not None else members_on(meeting.group_id, meeting.date)
    presence = {a.membership_id: a.presence for a in meeting.attendance}
    voting = [m for m in members if m.voting]
    return Quorum(
        voting_members=len(voting),
        voting_present=sum(1 for m in voting if presence.get(m.id) == Presence.ANWESEND),
        present=sum(1 for m in members if presence.get(m.id) == Presence.ANWESEND),
        recorded=bool(presence),
    )


def vote_problems(q: Quorum, yes: int, no: int, abstain: int) -> str | None:
    """A German message when the counted votes cannot be right, else None."""
    if not q.recorded:
        return "Bitte erfasse zuerst die Anwesenheit: ohne sie lässt sich die Abstimmung nicht prüfen."
    if not q.reached:
        return (f"Die Sitzung ist nicht beschlussfähig: {q.voting_present} von {q.voting_members} "
                f"stimmberechtigten Mitgliedern anwesend, nötig sind {q.needed}.")
    total = yes + no + abstain
    if total > q.voting_present:
        return (f"Es wurden {total} Stimmen gezählt, aber nur {q.voting_present} stimmberechtigte "
                f"Mitglieder sind anwesend.")
    if total == 0:
        return "Bitte trage das Abstimmungsergebnis ein."
    return None


def add_decision(item: AgendaItem, text: str, yes: int, no: int, abstain: int) -> Decision:
    decision = Decision(agenda_item=item, text=text.strip(), yes=yes, no=no, abstain=abstain, accepted=yes > no)
    db.session.add(decision)
    return decision


def save_attendance(meeting: Meeting, presence: dict[int, Presence], guests: str) -> None:
    current = {a.membership_id: a for a in meeting.attendance}
    for membership_id, value in presence.items():
        if membership_id in current:
            current[membership_id].presence = value
        else:
            meeting.attendance.append(Attendance(membership_id=membership_id, presence=value))
    meeting.guests = guests.strip()
    if meeting.status in (MeetingStatus.GEPLANT, MeetingStatus.EINGELADEN):
        meeting.status = MeetingStatus.DURCHGEFUEHRT
        meeting.touch()


# --- minutes lifecycle ------------------------------------------------------------------------

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


#: The only ways minutes may change state. Who may take them: the AG's Protokoll and
#: Sprecher:innen (WorkingGroup.can_edit). Genehmigt is final; corrections are Berichtigungen.
TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    Transition("publish", MinutesStatus.ENTWURF, MinutesStatus.VEROEFFENTLICHT, "Veröffentlichen",
               False, "Hinweis an die Mitglieder (optional)",
               "Die Niederschrift ist veröffentlicht. Die Mitglieder sehen sie jetzt als neu."),
    Transition("withdraw", MinutesStatus.VEROEFFENTLICHT, MinutesStatus.ENTWURF, "Zur Überarbeitung zurückziehen",
               True, "Warum wird die Niederschrift zurückgezogen?",
               "Die Niederschrift ist wieder ein Entwurf."),
    Transition("approve", MinutesStatus.VEROEFFENTLICHT, MinutesStatus.GENEHMIGT, "Als genehmigt eintragen",
               True, "Genehmigt wo und wie? (z. B. „in der 2. Sitzung am 12.05.2026 einstimmig“)",
               "Die Niederschrift ist genehmigt. Ab jetzt gibt es Korrekturen nur noch als Berichtigung."),
]}


class TransitionError(Exception):
    """The step is not possible from the current state (the view answers 409)."""


def transitions_from(status: MinutesStatus) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if t.source == status]


def apply_transition(meeting: Meeting, name: str, actor, reason: str = "") -> Transition:
    transition = TRANSITIONS.get(name)
    if transition is None or transition.source != meeting.minutes_status:
        raise TransitionError(
            f"Die Niederschrift ist „{meeting.minutes_status.label}“; dieser Schritt ist jetzt nicht möglich.")
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise ValueError("Bitte gib eine Begründung an.")
    now = utcnow()
    db.session.add(MinutesEvent(meeting=meeting, from_status=transition.source, to_status=transition.target,
                                actor_id=actor.id, reason=reason, created_at=now))
    meeting.minutes_status = transition.target
    if transition.target == MinutesStatus.VEROEFFENTLICHT:
        meeting.minutes_changed_at = now
        db.session.flush()
        mark_read(meeting, actor)  # the author knows the text
    if transition.target == MinutesStatus.GENEHMIGT:
        meeting.approved_at = now
        meeting.approved_by_id = actor.id
        meeting.approval_note = reason
    return transition


def frozen_message(meeting: Meeting) -> str:
    if meeting.minutes_status == MinutesStatus.GENEHMIGT:
        return ("Diese Niederschrift ist genehmigt und kann nicht mehr geändert werden. "
                "Eine Korrektur wird als datierte Berichtigung angefügt.")
    return ("Diese Niederschrift ist veröffentlicht. Um sie zu ändern, ziehe sie zuerst zur Überarbeitung "
            "zurück.")


def render_minutes(item: AgendaItem) -> None:
    item.minutes_html = str(render_markdown(item.minutes))


# --- reading -----------------------------------------------------------------------------------

def _new_to_member(user_id, day) -> tuple:
    """Conditions on Membership (within a query over Meeting): ``user_id`` is a member on ``day``
    and was one when the minutes last changed. Minutes settled before someone joined are not new
    to them: a new member is not greeted with years of "neu zu lesen"."""
    return (Membership.user_id == user_id, active_membership_filter(day),
            Membership.valid_from <= Meeting.minutes_changed_at)


def unread_meeting_ids(user, meeting_ids: list[int]) -> set[int]:
    """Meetings among ``meeting_ids`` whose published minutes ``user`` has not read since they changed."""
    if not meeting_ids:
        return set()
    rows = db.session.execute(
        select(Meeting.id, Meeting.minutes_changed_at, ReadReceipt.read_at)
        .outerjoin(ReadReceipt, and_(ReadReceipt.meeting_id == Meeting.id, ReadReceipt.user_id == user.id))
        .where(Meeting.id.in_(meeting_ids), Meeting.minutes_status != MinutesStatus.ENTWURF,
               exists().where(Membership.group_id == Meeting.group_id, *_new_to_member(user.id, today())))
    )
    return {mid for mid, changed, read in rows if read is None or (changed and read < changed)}


def mark_read(meeting: Meeting, user) -> None:
    receipt = db.session.get(ReadReceipt, (meeting.id, user.id))
    if receipt is None:
        db.session.add(ReadReceipt(meeting_id=meeting.id, user_id=user.id, read_at=utcnow()))
    else:
        receipt.read_at = utcnow()


@cache
def _unread_statement():
    """Built once per worker: every page's navigation asks for this count (the AG badge)."""
    user_id = bindparam("user_id")
    member_of = select(Membership.group_id).where(*_new_to_member(user_id, bindparam("day", type_=Date)))
    return (select(Meeting.group_id, func.count(Meeting.id))
            .outerjoin(ReadReceipt, and_(ReadReceipt.meeting_id == Meeting.id, ReadReceipt.user_id == user_id))
            .where(Meeting.group_id.in_(member_of), Meeting.minutes_status != MinutesStatus.ENTWURF,
                   or_(ReadReceipt.read_at.is_(None), ReadReceipt.read_at < Meeting.minutes_changed_at))
            .group_by(Meeting.group_id))


def unread_by_group(user) -> dict[int, int]:
    """AG id -> number of published minutes that are new to ``user`` (members only); one query."""
    rows = db.session.execute(_unread_statement(), {"user_id": user.id, "day": today()})
    return {group_id: count for group_id, count in rows}


def unread_count(user) -> int:
    return sum(unread_by_group(user).values())


def readers(meeting: Meeting) -> list[tuple[Membership, ReadReceipt | None]]:
    """Every current member with their read receipt (or None) – for the Protokoll."""
    members = members_on(meeting.group_id, max(meeting.date, today()))
    receipts = {r.user_id: r for r in db.session.scalars(
        select(ReadReceipt).where(ReadReceipt.meeting_id == meeting.id))}
    # One row per person: someone may hold two memberships at once (e.g. for two Träger).
    once = {}
    for m in members:
        once.setdefault(m.user_id, m)
    return [(m, receipts.get(m.user_id)) for m in once.values()]


# --- action items ------------------------------------------------------------------------------

def open_actions(group_id: int, before: Meeting | None = None, limit: int | None = None) -> list[ActionItem]:
    """Open Aufgaben of the AG (from meetings before ``before``), oldest due date first."""
    stmt = (select(ActionItem).join(ActionItem.meeting)
            .where(ActionItem.group_id == group_id, ActionItem.done_at.is_(None))
            .options(contains_eager(ActionItem.meeting), joinedload(ActionItem.agenda_item))
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id))
    if before is not None:
        stmt = stmt.where(or_(Meeting.date < before.date,
                              and_(Meeting.date == before.date, Meeting.number < before.number)))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def set_action_done(action: ActionItem, done: bool, user) -> None:
    action.done_at = utcnow() if done else None
    action.done_by_id = user.id if done else None


# --- meetings -------------------------------------------------------------------------------------

#: Lists of a meeting that most meetings do not have (a Berichtigung, a change request, an Anlage; the
#: history only once the minutes are published): relationship, model, loader options.
_SELDOM = (
    ("events", MinutesEvent, (joinedload(MinutesEvent.actor).options(_people()),)),
    ("corrections", Correction, (joinedload(Correction.author).options(_people()),)),
    ("change_requests", ChangeRequest, (joinedload(ChangeRequest.author).options(_people()),)),
    ("attachments", MeetingAttachment, ()),
)


def load_meeting(group: WorkingGroup, meeting_id: int) -> Meeting | None:
    """A meeting with everything its page shows, in a fixed number of queries: one for the meeting
    (with whether it has any of the seldom lists), one per list it has."""
    row = db.session.execute(
        select(Meeting, *(select(model.id).where(model.meeting_id == Meeting.id).exists()
                          for _, model, _ in _SELDOM))
        .where(Meeting.id == meeting_id, Meeting.group_id == group.id).options(
            selectinload(Meeting.agenda).selectinload(AgendaItem.decisions),
            selectinload(Meeting.agenda).selectinload(AgendaItem.action_items),
            selectinload(Meeting.attendance),
            # the people on the page are shown by name: joined to their rows, without their roles
            joinedload(Meeting.approved_by).options(_people()),
        )).first()
    if row is None:
        return None
    meeting = row[0]
    for (name, model, options), present in zip(_SELDOM, row[1:]):
        rows = list(db.session.scalars(select(model).where(model.meeting_id == meeting.id)
                                       .options(*options).order_by(model.id))) if present else []
        set_committed_value(meeting, name, rows)
    return meeting


def next_number(group: WorkingGroup) -> int:
    return (db.session.scalar(select(func.max(Meeting.number)).where(Meeting.group_id == group.id)) or 0) + 1


def renumber(meeting: Meeting) -> None:
    for i, item in enumerate(sorted(meeting.agenda, key=lambda a: a.position), start=1):
        item.position = i


def move_item(meeting: Meeting, item: AgendaItem, direction: str) -> None:
    """Swap a TOP with its neighbour above ("up") or below ("down")."""
    items = sorted(meeting.agenda, key=lambda a: a.position)
    i = items.index(item)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i].position, items[j].position = items[j].position, items[i].position


def meetings_in(start: datetime, end: datetime) -> list[Meeting]:
    """Meetings overlapping [start, end) (aware datetimes), for the calendar; one query."""
    first = (start.astimezone(BERLIN) - timedelta(days=1)).date()
    last = end.astimezone(BERLIN).date()
    rows = db.session.scalars(
        select(Meeting).where(Meeting.date >= first, Meeting.date <= last)
        .options(selectinload(Meeting.group)).order_by(Meeting.date, Meeting.start_time))
    return [m for m in rows if m.starts_at < end and m.ends_at > start]


def meeting_dates_in(start: datetime, end: datetime) -> list:
    """Meetings overlapping [start, end) as plain rows for the shared calendar, one query.

    The calendar asks on every month, agenda and feed request, a feed for a year of meetings:
    rows with the dozen columns a date needs cost a fraction of Meeting objects and their groups.
    """
    first = (start.astimezone(BERLIN) - timedelta(days=1)).date()
    last = end.astimezone(BERLIN).date()
    rows = db.session.execute(_meeting_dates_statement(), {"first": first, "last": last})
    return [r for r in rows if datetime.combine(r.date, r.start_time, tzinfo=BERLIN) < end
            and datetime.combine(r.date, r.end_time, tzinfo=BERLIN) > start]


@cache
def _meeting_dates_statement():
    return (select(Meeting.id, Meeting.group_id, Meeting.number, Meeting.date, Meeting.start_time,
                   Meeting.end_time, Meeting.place, Meeting.status, Meeting.sequence, Meeting.updated_at,
                   WorkingGroup.slug, WorkingGroup.short_name)
            .join(WorkingGroup, WorkingGroup.id == Meeting.group_id)
            .where(Meeting.date >= bindparam("first", type_=Date), Meeting.date <= bindparam("last", type_=Date))
            .order_by(Meeting.date, Meeting.start_time))


# --- search -------------------------------------------------------------------------------------

SEARCH_LIMIT = 30


def search_minutes(user, q: str) -> list[AgendaItem]:
    """TOPs whose title, minutes or decisions contain ``q``, in published minutes of the user's AGs."""
    # % and _ typed by the user are literal characters, not wildcards
    like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def hit(column):
        return func.lower(column).like(like, escape="\\")

    decision_hit = select(Decision.agenda_item_id).where(hit(Decision.text))
    stmt = (select(AgendaItem).join(AgendaItem.meeting)
            .where(Meeting.minutes_status != MinutesStatus.ENTWURF,
                   or_(hit(AgendaItem.title), hit(AgendaItem.minutes), AgendaItem.id.in_(decision_hit)))
            .options(contains_eager(AgendaItem.meeting).joinedload(Meeting.group))
            .order_by(Meeting.date.desc(), AgendaItem.position).limit(SEARCH_LIMIT))
    ids = visible_group_ids(user)
    if ids is not None:
        stmt = stmt.where(Meeting.group_id.in_(ids))
    return list(db.session.scalars(stmt))


def snippet(text: str, q: str, width: int = 90) -> tuple[str, str, str]:
    """(before, match, after) around the first hit of ``q`` in ``text`` (plain text)."""
    plain = " ".join(text.replace("*", "").replace("#", "").split())
    i = plain.lower().find(q.lower())
    if i < 0:
        return (plain[: width * 2] + ("…" if len(plain) > width * 2 else ""), "", "")
    start = max(0, i - width)
    end = min(len(plain), i + len(q) + width)
    return (("…" if start else "") + plain[start:i], plain[i:i + len(q)],
            plain[i + len(q):end] + ("…" if end < len(plain) else ""))


def personal_data(user) -> list[dict]:
    """The user's AG memberships, for the DSGVO export."""
    rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id).order_by(Membership.id))
    return [{"ag": m.group.name, "funktion": m.function.label, "stimmberechtigt": m.voting,
             "von": m.valid_from.isoformat(), "bis": m.valid_to.isoformat() if m.valid_to else None} for m in rows]


# --- the shared calendar's AG dates ----------------------------------------------------------------------------------

def _calendar_url(slug: str, meeting_id: int) -> str:
    """Path of the meeting page (the calendar may also run outside a request, e.g. in a CLI export)."""
    if has_request_context():
        return url_for("ag.meeting", slug=slug, meeting_id=meeting_id)
    return f"/ag/{slug}/meetings/{meeting_id}/"


def calendar_events(start: datetime, end: datetime, user) -> list[ExternalEvent]:
    """AG meetings for the shared calendar: dates for everybody, content stays on the AG pages.

    Only those who may open the meeting get a link to it (one query for their AGs)."""
    if user is None or not user.is_authenticated:
        readable = set()
    else:
        ids = visible_group_ids(user)
        readable = None if ids is None else set(db.session.scalars(ids))
    return [
        ExternalEvent(
            uid=f"ag-meeting-{m.id}@traegerportal",
            title=f"{m.short_name} – {m.number}. Sitzung",
            start=datetime.combine(m.date, m.start_time, tzinfo=BERLIN),
            end=datetime.combine(m.date, m.end_time, tzinfo=BERLIN),
            place=m.place,
            category="sitzung",
            url=_calendar_url(m.slug, m.id) if readable is None or m.group_id in readable else None,
            cancelled=m.status == MeetingStatus.ABGESAGT,
            sequence=m.sequence,
            last_modified=m.updated_at,
            organiser=m.short_name,
        )
        for m in meeting_dates_in(start, end)
    ]


