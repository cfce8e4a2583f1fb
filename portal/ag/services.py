"""AG 78 queries shared by the views and other parts of the portal: who holds which function,
members, quorum, open tasks, what is new to read, the meeting page's data, and the AG dates of the
shared calendar.

What changes state lives beside this module, one operation per user-visible change:
``portal.ag.meetings`` (AG, memberships, meetings, agenda, attendance, decisions, tasks, Anlagen)
and ``portal.ag.minutes`` (the minutes lifecycle, Berichtigungen, change requests, read receipts,
search).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import has_request_context, url_for
from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.ag.models import (ActionItem, AgendaItem, ChangeRequest, Correction, Function, Meeting,
                              MeetingAttachment, MeetingReply, MeetingStatus, Membership, MinutesEvent, MinutesStatus,
                              ReadReceipt, WorkingGroup)
from portal.auth.models import User
from portal.calendar.sources import ExternalEvent
from portal.errors import NotAllowed
from portal.extensions import db
from portal.formatting import BERLIN, heute
from portal.paging import Page, keyset_page
from portal.text import render_markdown

#: Loader option for a relationship to User on pages that show only the person's name: their
#: roles (loaded with every User by default) are not needed there.
NAME_ONLY = lazyload(User.role_rows)


# --- membership and permissions ------------------------------------------------------------------

def active_membership_filter(day: date):
    return and_(Membership.valid_from <= day, or_(Membership.valid_to.is_(None), Membership.valid_to >= day))


def functions_of(user, group: WorkingGroup) -> frozenset[Function]:
    """The functions ``user`` holds in ``group`` today (empty: not a member)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    rows = db.session.scalars(select(Membership.function).where(
        Membership.group_id == group.id, Membership.user_id == user.id, active_membership_filter(heute())))
    return frozenset(rows)


def group_with_functions(slug: str, user) -> tuple[WorkingGroup | None, frozenset[Function]]:
    """The AG with this slug and the functions ``user`` holds in it today, in one query."""
    stmt = select(WorkingGroup).where(WorkingGroup.slug == slug)
    if not user.is_authenticated:
        return db.session.scalar(stmt), frozenset()
    rows = db.session.execute(stmt.add_columns(Membership.function).outerjoin(Membership, and_(
        Membership.group_id == WorkingGroup.id, Membership.user_id == user.id,
        active_membership_filter(heute())))).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(function for _, function in rows if function is not None)


def require_editor(group: WorkingGroup, actor) -> frozenset[Function]:
    """The operations' check for meeting work (WorkingGroup.can_edit); NotAllowed otherwise."""
    functions = functions_of(actor, group)
    if not WorkingGroup.can_edit(functions):
        raise NotAllowed("Das dürfen nur das Protokoll und die Sprecher:innen der AG.")
    return functions


def require_member(group: WorkingGroup, actor) -> frozenset[Function]:
    """Members (any function) only: read receipts and change requests."""
    functions = functions_of(actor, group)
    if not functions:
        raise NotAllowed("Das können die Mitglieder der AG.")
    return functions


def require_manager(actor) -> None:
    if not WorkingGroup.can_manage(actor):
        raise NotAllowed("AGs und Mitgliedschaften verwaltet die Administration.")


def visible_group_ids(user):
    """Subquery (or None for "all") of the AGs whose content ``user`` may see: the SQL form of
    ``WorkingGroup.can_view`` (tests/test_ag.py ties both together for every demo role)."""
    if WorkingGroup.sees_all(user):
        return None
    if user is None or not user.is_authenticated:
        return select(Membership.group_id).where(false())
    return select(Membership.group_id).where(Membership.user_id == user.id, active_membership_filter(heute()))


def closed_group_ids(user):
    """Subquery of the AGs whose nicht öffentliche TOPs ``user`` may see: the SQL form of
    ``WorkingGroup.sees_closed`` (members only, also for the Leitung and Administration)."""
    if user is None or not user.is_authenticated:
        return select(Membership.group_id).where(false())
    return select(Membership.group_id).where(Membership.user_id == user.id, active_membership_filter(heute()))


def agenda_item_visible(user):
    """SQL condition on AgendaItem (joined with Meeting): öffentlich, or the user is a member."""
    return or_(AgendaItem.public.is_(True), Meeting.group_id.in_(closed_group_ids(user)))


def groups_for(user) -> list[WorkingGroup]:
    stmt = select(WorkingGroup).order_by(WorkingGroup.name)
    ids = visible_group_ids(user)
    if ids is not None:
        stmt = stmt.where(WorkingGroup.id.in_(ids))
    return list(db.session.scalars(stmt))


def member_group_ids(user) -> set[int]:
    """The AGs ``user`` is a member of today."""
    if user is None or not user.is_authenticated:
        return set()
    return set(db.session.scalars(select(Membership.group_id).where(
        Membership.user_id == user.id, active_membership_filter(heute()))))


def members_on(group_id: int, day: date) -> list[Membership]:
    """Members on ``day``, Sprecher:innen first, then by name; one query."""
    order = {f: i for i, f in enumerate(Function)}
    rows = db.session.scalars(
        select(Membership).join(Membership.user)
        .where(Membership.group_id == group_id, active_membership_filter(day))
        .options(contains_eager(Membership.user).options(NAME_ONLY), joinedload(Membership.traeger),
                 joinedload(Membership.deputy).options(NAME_ONLY))
        .order_by(User.display_name)
    ).all()
    return sorted(rows, key=lambda m: order[m.function])


def group_html(group: WorkingGroup) -> dict[str, str]:
    """Description and Geschäftsordnung as sanitised HTML."""
    return {"description": render_markdown(group.description), "rules": render_markdown(group.rules)}


def meetings_page(group: WorkingGroup, cursor: int | None, per_page: int = 20) -> Page:
    """One page of the AG's meetings, newest first (portal.paging, ``?nach=<meeting id>``)."""
    stmt = select(Meeting).where(Meeting.group_id == group.id)
    return keyset_page(stmt, [(Meeting.date, "desc"), (Meeting.number, "desc"), (Meeting.id, "desc")],
                       cursor, per_page, id_column=Meeting.id)


# --- quorum and votes ---------------------------------------------------------------------------

def quorum_needed(voting_members: int) -> int:
    """The Geschäftsordnung's quorum: more than half of the voting members."""
    return voting_members // 2 + 1


@dataclass(frozen=True)
class Quorum:
    voting_members: int
    voting_present: int
    present: int
    recorded: bool

    @property
    def needed(self) -> int:
        return quorum_needed(self.voting_members)

    @property
    def reached(self) -> bool:
        return self.voting_members > 0 and self.voting_present >= self.needed


def quorum(meeting: Meeting, members: list[Membership] | None = None) -> Quorum:
    members = members if members is not None else members_on(meeting.group_id, meeting.date)
    presence = {a.membership_id: a.presence for a in meeting.attendance}
    # A voting member whose Stellvertretung was there counts: the deputy votes in their place.
    there = {ms_id for ms_id, p in presence.items() if p.counts_for_quorum}
    voting = [m for m in members if m.voting]
    return Quorum(
        voting_members=len(voting),
        voting_present=sum(1 for m in voting if m.id in there),
        present=sum(1 for m in members if m.id in there),
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


# --- what is new to read --------------------------------------------------------------------------

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
               exists().where(Membership.group_id == Meeting.group_id, *_new_to_member(user.id, heute())))
    )
    return {mid for mid, changed, read in rows if read is None or (changed and read < changed)}


def unread_by_group(user) -> dict[int, int]:
    """AG id -> number of published minutes that are new to ``user`` (members only); one query."""
    member_of = select(Membership.group_id).where(*_new_to_member(user.id, heute()))
    rows = db.session.execute(
        select(Meeting.group_id, func.count(Meeting.id))
        .outerjoin(ReadReceipt, and_(ReadReceipt.meeting_id == Meeting.id, ReadReceipt.user_id == user.id))
        .where(Meeting.group_id.in_(member_of), Meeting.minutes_status != MinutesStatus.ENTWURF,
               or_(ReadReceipt.read_at.is_(None), ReadReceipt.read_at < Meeting.minutes_changed_at))
        .group_by(Meeting.group_id))
    return {group_id: count for group_id, count in rows}


def unread_count(user) -> int:
    """The navigation badge "neu zu lesen" (registered in create_app)."""
    return sum(unread_by_group(user).values())


def readers(meeting: Meeting) -> list[tuple[Membership, ReadReceipt | None]]:
    """Every current member with their read receipt (or None) – for the Protokoll."""
    members = members_on(meeting.group_id, max(meeting.date, heute()))
    receipts = {r.user_id: r for r in db.session.scalars(
        select(ReadReceipt).where(ReadReceipt.meeting_id == meeting.id))}
    # One row per person: someone may hold two memberships at once (e.g. for two Träger).
    once = {}
    for m in members:
        once.setdefault(m.user_id, m)
    return [(m, receipts.get(m.user_id)) for m in once.values()]


# --- tasks ----------------------------------------------------------------------------------------

def open_actions(group_id: int, before: Meeting | None = None, limit: int | None = None, *,
                 editor: bool = False, closed: bool = True) -> list[ActionItem]:
    """Open Aufgaben of the AG (from meetings before ``before``), oldest due date first.

    Tasks written into draft minutes are seen only by the AG's editors (``editor``, the rule of
    ``Meeting.minutes_visible``): for everyone else they appear once the minutes are published.
    With ``closed=False`` (WorkingGroup.sees_closed said no) without those of nicht öffentliche TOPs."""
    stmt = (select(ActionItem).join(ActionItem.meeting)
            .where(ActionItem.group_id == group_id, ActionItem.done_at.is_(None))
            .options(contains_eager(ActionItem.meeting), joinedload(ActionItem.agenda_item))
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id))
    if not editor:
        stmt = stmt.where(Meeting.minutes_status != MinutesStatus.ENTWURF)
    if before is not None:
        stmt = stmt.where(or_(Meeting.date < before.date,
                              and_(Meeting.date == before.date, Meeting.number < before.number)))
    if not closed:
        stmt = stmt.where(or_(ActionItem.agenda_item_id.is_(None),
                              ActionItem.agenda_item_id.in_(select(AgendaItem.id).where(AgendaItem.public.is_(True)))))
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


# --- the meeting page -----------------------------------------------------------------------------

#: Lists of a meeting that most meetings do not have (a Berichtigung, a change request, an Anlage; the
#: history only once the minutes are published): relationship, model, loader options.
_SELDOM = (
    ("events", MinutesEvent, (joinedload(MinutesEvent.actor).options(NAME_ONLY),)),
    ("corrections", Correction, (joinedload(Correction.author).options(NAME_ONLY),)),
    ("change_requests", ChangeRequest, (joinedload(ChangeRequest.author).options(NAME_ONLY),)),
    ("attachments", MeetingAttachment, ()),
    ("replies", MeetingReply, (joinedload(MeetingReply.deputy).options(NAME_ONLY),)),
)


def load_meeting(group: WorkingGroup, meeting_id: int) -> Meeting | None:
    """A meeting with everything its page shows, in a fixed number of queries: one for the meeting
    (with whether it has any of the seldom lists), one per list it has."""
    row = db.session.execute(
        select(Meeting, *(select(model.meeting_id).where(model.meeting_id == Meeting.id).exists()
                          for _, model, _ in _SELDOM))
        .where(Meeting.id == meeting_id, Meeting.group_id == group.id).options(
            selectinload(Meeting.agenda).selectinload(AgendaItem.decisions),
            selectinload(Meeting.agenda).selectinload(AgendaItem.action_items),
            selectinload(Meeting.attendance),
            joinedload(Meeting.approved_by).options(NAME_ONLY),
        )).first()
    if row is None:
        return None
    meeting = row[0]
    for (name, model, options), present in zip(_SELDOM, row[1:]):
        rows = list(db.session.scalars(select(model).where(model.meeting_id == meeting.id)
                                       .options(*options).order_by(*model.__mapper__.primary_key))) if present else []
        set_committed_value(meeting, name, rows)
    return meeting


def next_number(group: WorkingGroup) -> int:
    return (db.session.scalar(select(func.max(Meeting.number)).where(Meeting.group_id == group.id)) or 0) + 1


# --- dates --------------------------------------------------------------------------------------

def meetings_in(start: datetime, end: datetime) -> list[Meeting]:
    """Meetings overlapping [start, end) (aware datetimes), for the AG overview; one query."""
    first = (start.astimezone(BERLIN) - timedelta(days=1)).date()
    last = end.astimezone(BERLIN).date()
    rows = db.session.scalars(
        select(Meeting).where(Meeting.date >= first, Meeting.date <= last)
        .options(selectinload(Meeting.group)).order_by(Meeting.date, Meeting.start_time))
    return [m for m in rows if m.starts_at < end and m.ends_at > start]


def meeting_dates_in(start: datetime, end: datetime) -> list:
    """Meetings overlapping [start, end) as plain rows for the shared calendar, one query."""
    first = (start.astimezone(BERLIN) - timedelta(days=1)).date()
    last = end.astimezone(BERLIN).date()
    rows = db.session.execute(
        select(Meeting.id, Meeting.group_id, Meeting.number, Meeting.date, Meeting.start_time,
               Meeting.end_time, Meeting.place, Meeting.status, Meeting.sequence, Meeting.updated_at,
               WorkingGroup.slug, WorkingGroup.short_name)
        .join(WorkingGroup, WorkingGroup.id == Meeting.group_id)
        .where(Meeting.date >= first, Meeting.date <= last)
        .order_by(Meeting.date, Meeting.start_time))
    return [r for r in rows if datetime.combine(r.date, r.start_time, tzinfo=BERLIN) < end
            and datetime.combine(r.date, r.end_time, tzinfo=BERLIN) > start]


def personal_data(user) -> dict:
    """Everything in the AGs about the user or written by them, for the DSGVO export: memberships,
    change requests, Berichtigungen, steps of the minutes, read confirmations."""
    rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id)
                              .options(joinedload(Membership.group)).order_by(Membership.id))
    requests = db.session.scalars(select(ChangeRequest).where(ChangeRequest.author_id == user.id)
                                  .order_by(ChangeRequest.id)).all()
    corrections = db.session.scalars(select(Correction).where(Correction.author_id == user.id)
                                     .order_by(Correction.id)).all()
    steps = db.session.scalars(select(MinutesEvent).where(MinutesEvent.actor_id == user.id)
                               .order_by(MinutesEvent.id)).all()
    read = db.session.scalars(select(ReadReceipt).where(ReadReceipt.user_id == user.id)).all()
    replies = db.session.scalars(select(MeetingReply).join(MeetingReply.membership)
                                 .where(Membership.user_id == user.id).order_by(MeetingReply.meeting_id)).all()
    deputy_for = db.session.scalars(select(Membership).where(Membership.deputy_id == user.id)
                                    .options(joinedload(Membership.group)).order_by(Membership.id)).all()
    return {
        "mitgliedschaften": [{"ag": m.group.name, "funktion": m.function.label, "stimmberechtigt": m.voting,
                              "von": m.valid_from.isoformat(), "bis": m.valid_to.isoformat() if m.valid_to else None}
                             for m in rows],
        "rueckmeldungen": [{"sitzung": r.meeting_id, "antwort": r.answer.label, "am": r.replied_at.isoformat()}
                           for r in replies],
        "stellvertretung_fuer": [{"ag": m.group.name, "mitgliedschaft": m.id,
                                  "von": m.deputy_from.isoformat() if m.deputy_from else None,
                                  "bis": m.deputy_to.isoformat() if m.deputy_to else None} for m in deputy_for],
        "aenderungswuensche": [{"sitzung": r.meeting_id, "text": r.text, "erstellt": r.created_at.isoformat()}
                               for r in requests],
        "berichtigungen": [{"sitzung": c.meeting_id, "text": c.text, "erstellt": c.created_at.isoformat()}
                           for c in corrections],
        "protokollschritte": [{"sitzung": e.meeting_id, "nach": e.to_status.value, "begruendung": e.reason,
                               "am": e.created_at.isoformat()} for e in steps],
        "gelesen": [{"sitzung": r.meeting_id} for r in read],
    }


# --- the shared calendar's AG dates ----------------------------------------------------------------

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
