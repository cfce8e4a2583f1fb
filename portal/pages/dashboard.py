"""The start page "Für dich": what a person has to do, what is new for them, what comes next.

Read-only: every block is built from the features' own queries and permission rules; a block only
appears when the person may use that part of the portal. The number of queries depends on the
person's roles, never on the amount of data (tests/test_dashboard.py counts them).

``blocks_for`` keeps a person's blocks per worker (portal.caching) until a write changes what they
show – the models of the ``start_page`` cache (declared in create_app), the calendar's or the
project hours' – or a minute has passed ("Als Nächstes" moves with the clock).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask import url_for
from sqlalchemy import and_, case, func, select

from portal.auth.models import Role
from portal.extensions import db, utcnow
from portal.formatting import heute

#: Lines per group in "Neu seit deinem letzten Besuch".
NEW_LINES = 3
#: How many unread notifications are read for that block at most.
NEW_READ = 40
#: Days ahead in "Als Nächstes".
NEXT_DAYS = 7
NEXT_LINES = 8
#: "Wirkungsbericht fällig": the project ends within this many days (as the reminder mail).
REPORT_DUE_DAYS = 14


@dataclass
class Todo:
    label: str
    count: int
    url: str


@dataclass
class NewGroup:
    title: str
    items: list = field(default_factory=list)
    more: int = 0


#: Notification kind -> group of "Neu seit deinem letzten Besuch".
NEW_GROUPS = {
    "board_post": "Pinnwand", "post_commented": "Pinnwand", "post_moderated": "Pinnwand",
    "proposal_returned": "Projektanträge", "proposal_decided": "Projektanträge",
    "proposal_commented": "Projektanträge", "report_due": "Projektanträge", "report_returned": "Projektanträge",
    "proposal_submitted": "Projektanträge", "report_submitted": "Projektanträge",
    "meeting_scheduled": "AG 78", "meeting_invitation": "AG 78", "minutes_published": "AG 78", "minutes_approved": "AG 78",
    "task_assigned": "AG 78", "change_request_answered": "AG 78",
    "moderation_pending": "Moderation", "moderation_reported": "Moderation",
}
GROUP_ORDER = ("Pinnwand", "Projektanträge", "AG 78", "Moderation")


# --- which parts a person can use (start page and the phone's bottom bar) ----------------------------

def sections_for(user) -> dict[str, bool]:
    """Parts of the portal ``user`` can use; the AG part only for members, Leitung and Administration,
    the budget for its deciders and the Ortsteile's volunteers. Two queries at most (the AG
    membership, the volunteer's Ortsteile); the layout keeps the result (portal.navigation)."""
    from portal.ag import services as ag
    from portal.ag.models import WorkingGroup
    from portal.budget.models import uses_budget
    from portal.proposals.services import sees_proposals

    if not (user and user.is_authenticated):
        return {}
    return {
        "board": True,
        "calendar": True,
        "proposals": sees_proposals(user),
        "ag": WorkingGroup.sees_all(user) or bool(ag.member_group_ids(user)),
        "budget": uses_budget(user),
    }


# --- Zu erledigen ----------------------------------------------------------------------------------

def todos_for(user) -> list[Todo]:
    from portal.ag.models import Function, Meeting, MeetingReply, Membership, MinutesStatus, WorkingGroup
    from portal.ag.services import active_membership_filter, unread_by_group
    from portal.board.models import is_moderator
    from portal.board.queries import open_report_count, pending_count
    from portal.proposals.models import Proposal, ProposalState

    todos: list[Todo] = []
    if user.has_role(Role.LEITUNG):
        rows = dict(db.session.execute(
            select(Proposal.state, func.count(Proposal.id))
            .where(Proposal.state.in_((ProposalState.EINGEREICHT, ProposalState.BERICHTET)))
            .group_by(Proposal.state)).all())
        todos.append(Todo("Anträge zu entscheiden", rows.get(ProposalState.EINGEREICHT, 0),
                          url_for("proposals.inbox")))
        todos.append(Todo("Wirkungsberichte zur Kenntnis zu nehmen", rows.get(ProposalState.BERICHTET, 0),
                          url_for("proposals.inbox")))
    if user.traeger_id is not None and user.has_role(Role.FACHKRAFT, Role.KOORDINATION):
        # The applying side: the rule of Proposal.is_applicant, within what visible_to allows.
        mine = and_(Proposal.visible_to(user), Proposal.traeger_id == user.traeger_id)
        soon = heute() + timedelta(days=REPORT_DUE_DAYS)
        returned, due = db.session.execute(select(
            func.count(case((Proposal.state == ProposalState.RUECKFRAGE, Proposal.id))),
            func.count(case((and_(Proposal.state == ProposalState.FREIGEGEBEN, Proposal.reported_at.is_(None),
                                  Proposal.ends_on.is_not(None), Proposal.ends_on <= soon), Proposal.id))),
        ).where(mine)).one()
        todos.append(Todo("Rückfragen zu beantworten", returned or 0,
                          url_for("proposals.index", state=ProposalState.RUECKFRAGE.value)))
        todos.append(Todo("Wirkungsberichte fällig", due or 0,
                          url_for("proposals.index", state=ProposalState.FREIGEGEBEN.value)))
    if is_moderator(user):
        todos.append(Todo("Beiträge vor der Freigabe zu prüfen", pending_count(), url_for("board.queue")))
        todos.append(Todo("Meldungen zu bearbeiten", open_report_count(), url_for("board.reports")))
    # Protokoll: minutes of past meetings of their AGs not yet published.
    rows = db.session.execute(
        select(WorkingGroup.slug, WorkingGroup.name, func.count(Meeting.id))
        .join(Meeting, Meeting.group_id == WorkingGroup.id)
        .join(Membership, Membership.group_id == WorkingGroup.id)
        .where(Membership.user_id == user.id, Membership.function == Function.PROTOKOLL,
               active_membership_filter(heute()), Meeting.minutes_status == MinutesStatus.ENTWURF,
               Meeting.date <= heute())
        .group_by(WorkingGroup.slug, WorkingGroup.name).order_by(WorkingGroup.name)).all()
    for slug, name, count in rows:
        todos.append(Todo(f"Niederschriften zu schreiben oder zu veröffentlichen ({name})", count,
                          url_for("ag.group", slug=slug)))
    # Members: invitations they have not answered while an answer is still taken (Meeting.can_reply).
    now = utcnow()
    unanswered = db.session.execute(
        select(Meeting, WorkingGroup.slug)
        .join(WorkingGroup, Meeting.group_id == WorkingGroup.id)
        .join(Membership, Membership.group_id == WorkingGroup.id)
        .where(Membership.user_id == user.id, active_membership_filter(heute()), Meeting.date >= heute(),
               ~select(MeetingReply.meeting_id).where(MeetingReply.meeting_id == Meeting.id,
                                                      MeetingReply.membership_id == Membership.id).exists())
        .order_by(Meeting.date, Meeting.id)).all()
    waiting = [(meeting, slug) for meeting, slug in unanswered if meeting.can_reply(now)]
    if waiting:
        meeting, slug = waiting[0]
        todos.append(Todo("Einladungen zu beantworten", len(waiting),
                          url_for("ag.meeting", slug=slug, meeting_id=meeting.id) if len(waiting) == 1
                          else url_for("ag.index")))
    unread = unread_by_group(user)
    if unread:
        todos.append(Todo("Niederschriften neu zu lesen", sum(unread.values()), url_for("ag.index")))
    return [t for t in todos if t.count]


# --- Neu seit deinem letzten Besuch ------------------------------------------------------------------

def new_for(user) -> list[NewGroup]:
    """Unread notifications (what happened since the person last looked), grouped by part."""
    from portal.notifications.models import Notification

    rows = db.session.execute(
        select(Notification.kind, Notification.text, Notification.url, Notification.created_at)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.id.desc()).limit(NEW_READ)).all()
    groups = {name: NewGroup(name) for name in GROUP_ORDER}
    for kind, text, url, created_at in rows:
        group = groups[NEW_GROUPS.get(kind, "Pinnwand")]
        if len(group.items) < NEW_LINES:
            group.items.append({"text": text, "url": url, "at": created_at})
        else:
            group.more += 1
    return [g for g in groups.values() if g.items]


# --- Als Nächstes ------------------------------------------------------------------------------------

def next_dates(user) -> list:
    """The person's dates of the next seven days: their Ortsteile (with their Sozialraum's and the
    city's dates), their Sozialraum, the AG meetings they may open. Cancelled dates left out."""
    from portal.calendar.occurrences import occurrences
    from portal.calendar.queries import Filters

    now = utcnow()
    end = now + timedelta(days=NEXT_DAYS)
    filters = [Filters(ortsteil_id=o.id) for o in user.ortsteile]
    if not filters and user.sozialraum_id:
        filters = [Filters(sozialraum_id=user.sozialraum_id)]
    if not filters:
        filters = [Filters()]
    seen, found = set(), []
    for i, f in enumerate(filters):
        for o in occurrences(now, end, user, f, include_external=(i == 0)):
            key = (o.uid, o.start)
            if key in seen or o.dropped or o.cancelled:
                continue
            if o.external and not o.url:  # an AG meeting the person may not open: not theirs
                continue
            seen.add(key)
            found.append(o)
    found.sort(key=lambda o: (o.start, o.title))
    return found[:NEXT_LINES]


# --- 15 % ------------------------------------------------------------------------------------------

def target_areas(user) -> list:
    """Koordination: their Sozialraum; Leitung: every Sozialraum – this year's figure."""
    from portal.org.models import Sozialraum
    from portal.proposals import target

    if user.has_role(Role.LEITUNG):
        raeume = list(db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)))
    elif user.has_role(Role.KOORDINATION) and user.sozialraum is not None:
        raeume = [user.sozialraum]
    else:
        return []
    return target.target_figures(heute().year, raeume) if raeume else []


#: People whose start page a worker keeps, and for how long at most.
KEPT_PEOPLE = 1024
KEPT_SECONDS = 60


def blocks_for(user) -> dict:
    """``build(user)``, kept (see the module docstring). The key holds everything of the person the
    blocks depend on; the value holds nothing of anyone else."""
    from portal.caching import generation, kept, person_key

    key = ("start", person_key(user), generation("start_page"), generation("calendar"), generation("project_hours"))
    return kept("start_page", KEPT_PEOPLE, key, lambda: build(user), max_age=KEPT_SECONDS)


def build(user) -> dict:
    from portal.proposals.target import TARGET_SHARE

    return {
        "sections": sections_for(user),
        "todos": todos_for(user),
        "news": new_for(user),
        "next_dates": next_dates(user),
        "areas": target_areas(user),
        "target_share": TARGET_SHARE,
    }
