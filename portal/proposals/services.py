"""Logic of Projektanträge: the state machine, snapshots and their differences, queries shared
by the views, and the arithmetic of the 15 % target."""
from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, load_only, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.auth.models import Role
from portal.caching import kept
from portal.extensions import db, utcnow
from portal.formatting import MONTHS, datum, zahl
from portal.proposals.models import (APPROVED_STATES, WAITING_STATES, HzeHours, Proposal, ProposalComment, ProposalEvent,
                                     ProposalRevision, ProposalState)

S = ProposalState
TARGET_SHARE = 0.15
MAX_HOURS_PER_WEEK = 40


# --- the state machine -----------------------------------------------------------------------------

class Action(enum.StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    QUERY = "query"
    APPROVE = "approve"
    REJECT = "reject"
    REPORT = "report"
    ACKNOWLEDGE = "acknowledge"
    RETURN_REPORT = "return_report"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.SUBMIT: "Einreichen",
    Action.WITHDRAW: "Zurückziehen",
    Action.QUERY: "Rückfrage senden",
    Action.APPROVE: "Freigeben",
    Action.REJECT: "Ablehnen",
    Action.REPORT: "Wirkungsbericht einreichen",
    Action.ACKNOWLEDGE: "Wirkungsbericht bestätigen",
    Action.RETURN_REPORT: "Wirkungsbericht zurückgeben",
}


class Actor(enum.StrEnum):
    #: The applying side (Proposal.is_applicant).
    APPLICANT = "applicant"
    #: The Leitung Soziale Dienste: only she decides.
    LEITUNG = "leitung"


@dataclass(frozen=True)
class Transition:
    to: ProposalState
    actor: Actor
    #: A Rückfrage and a rejection must say why.
    needs_comment: bool = False


#: state x action -> new state and who may do it. Everything not listed is refused (409).
TRANSITIONS: dict[tuple[ProposalState, Action], Transition] = {
    (S.ENTWURF, Action.SUBMIT): Transition(S.EINGEREICHT, Actor.APPLICANT),
    (S.RUECKFRAGE, Action.SUBMIT): Transition(S.EINGEREICHT, Actor.APPLICANT),
    (S.ENTWURF, Action.WITHDRAW): Transition(S.ZURUECKGEZOGEN, Actor.APPLICANT),
    (S.EINGEREICHT, Action.WITHDRAW): Transition(S.ZURUECKGEZOGEN, Actor.APPLICANT),
    (S.RUECKFRAGE, Action.WITHDRAW): Transition(S.ZURUECKGEZOGEN, Actor.APPLICANT),
    (S.EINGEREICHT, Action.QUERY): Transition(S.RUECKFRAGE, Actor.LEITUNG, needs_comment=True),
    (S.EINGEREICHT, Action.APPROVE): Transition(S.FREIGEGEBEN, Actor.LEITUNG),
    (S.EINGEREICHT, Action.REJECT): Transition(S.ABGELEHNT, Actor.LEITUNG, needs_comment=True),
    (S.FREIGEGEBEN, Action.REPORT): Transition(S.BERICHTET, Actor.APPLICANT),
    (S.BERICHTET, Action.ACKNOWLEDGE): Transition(S.ABGESCHLOSSEN, Actor.LEITUNG),
    # The Leitung sends an incomplete Wirkungsbericht back; the Träger completes it and reports again.
    (S.BERICHTET, Action.RETURN_REPORT): Transition(S.FREIGEGEBEN, Actor.LEITUNG, needs_comment=True),
}
#: Each action belongs to one side, whatever the state.
ACTION_ACTORS: dict[Action, Actor] = {action: t.actor for (_, action), t in TRANSITIONS.items()}
DECISIONS = frozenset({Action.QUERY, Action.APPROVE, Action.REJECT})


def acts_as(proposal: Proposal, user, actor: Actor) -> bool:
    if actor is Actor.LEITUNG:
        return user.has_role(Role.LEITUNG)
    return proposal.is_applicant(user)


def allowed_actions(proposal: Proposal, user) -> list[Action]:
    """Actions ``user`` may take on ``proposal`` now (drives the buttons on the page)."""
    return [action for (state, action), t in TRANSITIONS.items()
            if state == proposal.state and acts_as(proposal, user, t.actor)]


class TransitionRefused(Exception):
    """A refused transition with the HTTP status the view answers and a German message."""

    def __init__(self, status: int, message: str, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field_errors = field_errors or {}


def _current_state_text(proposal: Proposal) -> str:
    last = proposal.events[-1] if proposal.events else None
    text = f"Aktueller Stand: „{proposal.state.label}“"
    if last is not None and last.actor is not None:
        text += f" (zuletzt geändert von {last.actor.display_name} am {datum(last.created_at)})"
    return text + "."


def check_transition(proposal: Proposal, action: Action, user) -> Transition:
    """404 if the user may not know the proposal, 403 if the action is not theirs, 409 if the
    proposal's state does not allow it."""
    if not proposal.can_view(user):
        raise TransitionRefused(404, "Diesen Antrag gibt es nicht.")
    actor = ACTION_ACTORS[action]
    if not acts_as(proposal, user, actor):
        who = "die Leitung Soziale Dienste" if actor is Actor.LEITUNG else "die antragstellende Seite"
        raise TransitionRefused(403, f"„{action.label}“ darf nur {who}.")
    transition = TRANSITIONS.get((proposal.state, action))
    if transition is None:
        raise TransitionRefused(409, f"Im Stand „{proposal.state.label}“ ist „{action.label}“ nicht möglich. "
                                     + _current_state_text(proposal))
    return transition


def transition(proposal: Proposal, action: Action, user, *, version: int | None, comment: str = "",
               conditions: str = "", documents_requested: bool = False, at: datetime | None = None) -> ProposalEvent:
    """Move ``proposal`` by ``action``; record the event (and a snapshot on submission).

    ``version`` is the version the user's form was loaded with: a decision on an outdated page is
    refused (409) and exactly one of two concurrent decisions is stored (version_id_col).
    The caller commits.
    """
    t = check_transition(proposal, action, user)
    if version is not None and version != proposal.version:
        raise TransitionRefused(409, "Der Antrag wurde inzwischen geändert; deine Aktion wurde nicht ausgeführt. "
                                     + _current_state_text(proposal))
    comment = (comment or "").strip()
    if t.needs_comment and not comment:
        what = {Action.QUERY: "eine Rückfrage", Action.REJECT: "eine Ablehnung"}.get(
            action, "das Zurückgeben des Wirkungsberichts")
        raise TransitionRefused(422, f"Für {what} ist eine Begründung nötig.",
                                {"comment": "Bitte gib eine Begründung an."})
    if action is Action.SUBMIT:
        problems = submission_problems(proposal)
        if problems:
            raise TransitionRefused(422, "Der Antrag ist noch nicht vollständig.", problems)
    if action is Action.REPORT and not (proposal.report_text or "").strip():
        raise TransitionRefused(422, "Der Wirkungsbericht fehlt.",
                                {"report_text": "Bitte beschreibe kurz, was das Projekt bewirkt hat."})

    at = at or utcnow()
    from_state = proposal.state
    pid = proposal.id
    try:
        # no autoflush: the UPDATE (with its version check) goes out once, in the flush below
        with db.session.no_autoflush:
            proposal.state = t.to
            proposal.updated_at = at
            if action is Action.SUBMIT:
                proposal.submitted_at = at
                proposal.revisions.append(ProposalRevision(
                    number=len(proposal.revisions) + 1, data=snapshot(proposal), submitted_by_id=user.id,
                    created_at=at))
            if action in DECISIONS:
                proposal.decided_at = at
                proposal.decided_by_id = user.id
            if action is Action.APPROVE:
                proposal.conditions = (conditions or "").strip()
                proposal.documents_requested = bool(documents_requested)
            if action is Action.REPORT:
                proposal.reported_at = at
            event = ProposalEvent(action=action.value, from_state=from_state, to_state=t.to,
                                  actor_id=user.id, created_at=at, comment=comment)
            proposal.events.append(event)
        db.session.flush()
    except StaleDataError:
        # Someone else changed it between our read and our write: exactly one decision wins.
        db.session.rollback()
        fresh = db.session.get(Proposal, pid, populate_existing=True)
        raise TransitionRefused(409, "Der Antrag wurde gerade von jemand anderem geändert; deine Aktion wurde "
                                     "nicht ausgeführt. " + _current_state_text(fresh)) from None
    return event


def record_creation(proposal: Proposal, user, at: datetime | None = None) -> None:
    """The first line of the timeline: the draft was created."""
    proposal.events.append(ProposalEvent(action="create", from_state=None, to_state=S.ENTWURF,
                                         actor_id=user.id, created_at=at or utcnow()))


# --- completeness -------------------------------------------------------------------------------------

def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year, month = d.year + month // 12, month % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def longer_than_a_year(starts_on: date, ends_on: date) -> bool:
    """A run of 01.01.–31.12. is twelve months; 01.01.–01.01. of the next year is longer."""
    return ends_on >= add_months(starts_on, 12)


REQUIRED_TEXT = {
    "title": "Bitte gib einen Titel an.",
    "target_group": "Bitte beschreibe die Zielgruppe.",
    "content": "Bitte beschreibe Thema und Inhalt.",
    "expected_effect": "Bitte beschreibe die erhoffte Wirkung auf den Sozialraum.",
    "contact_person": "Bitte nenne eine Ansprechperson.",
}


def value_problems(hours: float | None, starts_on: date | None, ends_on: date | None) -> dict[str, str]:
    """Checks that hold for drafts too: a value that is given must make sense."""
    problems = {}
    if hours is not None and not 0 < hours <= MAX_HOURS_PER_WEEK:
        problems["hours_per_week"] = (f"Der Stundenumfang muss größer als 0 und höchstens "
                                      f"{MAX_HOURS_PER_WEEK} Stunden pro Woche sein.")
    if starts_on and ends_on and ends_on < starts_on:
        problems["ends_on"] = "Das Ende liegt vor dem Beginn."
    return problems


def ortsteil_problems(sozialraum_id: int | None, ortsteile) -> dict[str, str]:
    wrong = [o.name for o in ortsteile if sozialraum_id is not None and o.sozialraum_id != sozialraum_id]
    if wrong:
        return {"ortsteile": f"Nicht im gewählten Sozialraum: {', '.join(wrong)}."}
    return {}


def submission_problems(p: Proposal) -> dict[str, str]:
    """Everything a submitted Formblatt needs; field name -> German message."""
    problems = {name: msg for name, msg in REQUIRED_TEXT.items() if not (getattr(p, name) or "").strip()}
    if p.sozialraum_id is None and p.sozialraum is None:
        problems["sozialraum"] = "Bitte wähle einen Sozialraum."
    if p.hours_per_week is None:
        problems["hours_per_week"] = "Bitte gib den Stundenumfang pro Woche an."
    if p.starts_on is None:
        problems["starts_on"] = "Bitte gib den Beginn an."
    if p.ends_on is None:
        problems["ends_on"] = "Bitte gib das Ende an."
    problems.update({k: v for k, v in value_problems(p.hours_per_week, p.starts_on, p.ends_on).items()})
    if p.starts_on and p.ends_on and p.ends_on >= p.starts_on and longer_than_a_year(p.starts_on, p.ends_on) \
            and not (p.extension_reason or "").strip():
        problems["extension_reason"] = ("Das Projekt läuft länger als 12 Monate. Bitte begründe die "
                                        "längere Laufzeit oder kürze den Zeitraum.")
    rows = [i for i in p.indicators if (i.indicator or i.method or i.baseline or i.target).strip()]
    if not rows:
        problems["indicators"] = "Bitte nenne mindestens einen Wirkungsindikator mit Erhebungsmethode."
    elif any(not i.indicator.strip() or not i.method.strip() for i in rows):
        problems["indicators"] = "Jeder Wirkungsindikator braucht eine Bezeichnung und eine Erhebungsmethode."
    return problems


# --- snapshots and what changed -------------------------------------------------------------------------

#: Fields of the Formblatt in snapshot order: key -> label.
SNAPSHOT_FIELDS = {
    "title": "Titel",
    "sozialraum": "Sozialraum",
    "traeger": "Träger",
    "ortsteile": "Ortsteile",
    "target_group": "Zielgruppe",
    "content": "Thema/Inhalt",
    "hours_per_week": "Stundenumfang pro Woche",
    "starts_on": "Beginn",
    "ends_on": "Ende",
    "extension_reason": "Begründung für längere Laufzeit",
    "expected_effect": "Erhoffte Wirkung auf den Sozialraum",
    "indicators": "Wirkungsindikatoren",
    "costs": "Kosten/Entgelt",
    "contact_person": "Ansprechperson",
}


def indicator_line(row: dict) -> str:
    text = f"{row.get('indicator', '')} – Erhebung: {row.get('method', '')}"
    if row.get("baseline") or row.get("target"):
        text += f" – Ausgangswert {row.get('baseline') or '–'}, Zielwert {row.get('target') or '–'}"
    return text


def snapshot(p: Proposal) -> dict:
    """The Formblatt as submitted, in words (JSON-safe)."""
    return {
        "title": p.title,
        "sozialraum": p.sozialraum.name if p.sozialraum else "",
        "traeger": p.traeger.short_name if p.traeger else "",
        "ortsteile": [o.name for o in p.ortsteile],
        "target_group": p.target_group,
        "content": p.content,
        "hours_per_week": zahl(p.hours_per_week, 1) if p.hours_per_week is not None else "",
        "starts_on": datum(p.starts_on),
        "ends_on": datum(p.ends_on),
        "extension_reason": p.extension_reason,
        "expected_effect": p.expected_effect,
        "indicators": [{"indicator": i.indicator, "method": i.method, "baseline": i.baseline, "target": i.target}
                       for i in p.indicators],
        "costs": p.costs,
        "contact_person": p.contact_person,
    }


@dataclass
class Change:
    label: str
    before: str | list[str]
    after: str | list[str]


def _as_text(key: str, value) -> str | list[str]:
    if key == "indicators":
        return [indicator_line(r) for r in value or []]
    if key == "ortsteile":
        return ", ".join(value or []) or "–"
    return value if value not in (None, "") else "–"


def changes(before: dict, after: dict) -> list[Change]:
    """Field by field what differs between two snapshots."""
    result = []
    for key, label in SNAPSHOT_FIELDS.items():
        old, new = _as_text(key, before.get(key)), _as_text(key, after.get(key))
        if old != new:
            result.append(Change(label, old, new))
    return result


def latest_changes(p: Proposal) -> tuple[ProposalRevision, ProposalRevision, list[Change]] | None:
    """(previous, latest, changes) when the proposal was submitted at least twice."""
    if len(p.revisions) < 2:
        return None
    previous, latest = p.revisions[-2], p.revisions[-1]
    return previous, latest, changes(previous.data, latest.data)


# --- queries shared by the views ---------------------------------------------------------------------------

#: Columns the list pages show (and the permission check needs); the rest of the Formblatt stays unloaded.
LIST_COLUMNS = (Proposal.title, Proposal.sozialraum_id, Proposal.traeger_id, Proposal.state, Proposal.updated_at,
                Proposal.submitted_at, Proposal.decided_at, Proposal.reported_at)


def list_options(*more_columns):
    """Loader options of the list pages: the shown columns, Träger and Sozialraum in the same query."""
    return (load_only(*LIST_COLUMNS, *more_columns), joinedload(Proposal.traeger), joinedload(Proposal.sozialraum))


@dataclass
class KeysetPage:
    """One page of a list that may grow large: no OFFSET, the next page starts after ``next_cursor``
    (the id of this page's last row). A fixed number of queries however far one pages."""
    items: list
    #: Id of the last row when there are more rows, else None.
    next_cursor: int | None
    #: Rows in the whole list (one COUNT), for "123 Anträge".
    total: int
    #: This page was reached through a cursor (offer "back to the start").
    continued: bool = False


def parse_cursor(raw: str | None) -> int | None:
    """The ``nach`` query argument: a positive row id, else None (a malformed cursor starts over)."""
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value > 0 else None


def _keyset_page(stmt, total_stmt, after, limit: int) -> KeysetPage:
    items = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(items) > limit
    items = items[:limit]
    return KeysetPage(items=items, next_cursor=items[-1].id if more and items else None,
                      total=db.session.scalar(total_stmt) or 0, continued=after is not None)


def _visible_conditions(user, state: ProposalState | None):
    conditions = [Proposal.visible_to(user)]
    if state is not None:
        conditions.append(Proposal.state == state)
    return conditions


def visible_proposals(user, state: ProposalState | None = None):
    stmt = select(Proposal).where(*_visible_conditions(user, state)).options(*list_options())
    return stmt.order_by(Proposal.updated_at.desc(), Proposal.id.desc())


def visible_proposals_page(user, state: ProposalState | None = None, after: int | None = None,
                           limit: int = 25) -> KeysetPage:
    """The proposals list (last changed first), keyset-paginated on (updated_at, id)."""
    stmt = visible_proposals(user, state)
    if after is not None:
        # the cursor row must be in the same list: a foreign id tells nothing and starts over
        last = db.session.execute(select(Proposal.updated_at, Proposal.id)
                                  .where(Proposal.id == after, *_visible_conditions(user, state))).first()
        if last is None:
            after = None
        else:
            stmt = stmt.where(or_(Proposal.updated_at < last.updated_at,
                                  and_(Proposal.updated_at == last.updated_at, Proposal.id < last.id)))
    total = select(func.count(Proposal.id)).where(*_visible_conditions(user, state))
    return _keyset_page(stmt, total, after, limit)


def waiting_for_leitung():
    """The Leitung's inbox, oldest first."""
    return (select(Proposal).where(Proposal.state.in_(WAITING_STATES)).options(*list_options())
            .order_by(func.coalesce(Proposal.reported_at, Proposal.submitted_at).asc(), Proposal.id.asc()))


def waiting_count(user) -> int:
    """Nav badge: proposals and reports waiting for the Leitung (0 for everyone else)."""
    if not user.has_role(Role.LEITUNG):
        return 0
    return db.session.scalar(select(func.count(Proposal.id)).where(Proposal.state.in_(WAITING_STATES))) or 0


def _approved_conditions(running_on: date | None):
    # A submitted proposal always has a Sozialraum; the condition keeps the keyset order total.
    conditions = [Proposal.state.in_(APPROVED_STATES), Proposal.sozialraum_id.is_not(None)]
    if running_on is not None:
        conditions.append(or_(Proposal.ends_on >= running_on, Proposal.ends_on.is_(None)))
    return conditions


def approved_projects(running_on: date | None = None):
    """Freigegebene Projekte: every signed-in user sees them, grouped by Sozialraum.
    ``running_on``: only projects that have not ended before that day."""
    return (select(Proposal).where(*_approved_conditions(running_on))
            .options(*list_options(Proposal.target_group, Proposal.content, Proposal.hours_per_week,
                                   Proposal.starts_on, Proposal.ends_on), selectinload(Proposal.ortsteile))
            .order_by(Proposal.sozialraum_id, Proposal.title, Proposal.id))


def approved_projects_page(running_on: date | None = None, after: int | None = None, limit: int = 50) -> KeysetPage:
    """Freigegebene Projekte keyset-paginated on (sozialraum_id, title, id)."""
    stmt = approved_projects(running_on)
    if after is not None:
        last = db.session.execute(select(Proposal.sozialraum_id, Proposal.title, Proposal.id)
                                  .where(Proposal.id == after, *_approved_conditions(running_on))).first()
        if last is None:
            after = None
        else:
            stmt = stmt.where(or_(
                Proposal.sozialraum_id > last.sozialraum_id,
                and_(Proposal.sozialraum_id == last.sozialraum_id, Proposal.title > last.title),
                and_(Proposal.sozialraum_id == last.sozialraum_id, Proposal.title == last.title,
                     Proposal.id > last.id)))
    total = select(func.count(Proposal.id)).where(*_approved_conditions(running_on))
    return _keyset_page(stmt, total, after, limit)


def age_in_days(since: datetime | None, now: datetime | None = None) -> int:
    if since is None:
        return 0
    return max(0, ((now or utcnow()) - since).days)


# --- the 15 % target ------------------------------------------------------------------------------------------

def weeks_in_run(year: int, month: int, starts_on: date, ends_on: date) -> float:
    """Weeks of a month that lie in the run [starts_on, ends_on]: its days inside the run / 7."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    lo, hi = max(first, starts_on), min(last, ends_on)
    return ((hi - lo).days + 1) / 7 if hi >= lo else 0.0


@dataclass
class MonthFigure:
    month: date
    project_hours: float
    hze_hours: float | None

    @property
    def label(self) -> str:
        return f"{MONTHS[self.month.month - 1]} {self.month.year}"

    @property
    def name(self) -> str:
        """The month's name alone (tables whose caption names the year)."""
        return MONTHS[self.month.month - 1]

    @property
    def share(self) -> float | None:
        """project hours ÷ (project hours + HzE hours); None while the HzE hours are missing."""
        if self.hze_hours is None:
            return None
        total = self.project_hours + self.hze_hours
        return self.project_hours / total if total > 0 else None

    @property
    def hours_to_target(self) -> float | None:
        """Project hours still missing for 15 %: P/(P+H) = 0.15 <=> P = 0.15/0.85 * H."""
        if self.hze_hours is None:
            return None
        return max(0.0, TARGET_SHARE / (1 - TARGET_SHARE) * self.hze_hours - self.project_hours)

    @property
    def reached(self) -> bool:
        return self.share is not None and self.share >= TARGET_SHARE


@dataclass
class AreaYear:
    sozialraum: object
    months: list[MonthFigure] = field(default_factory=list)

    @property
    def project_hours(self) -> float:
        return sum(m.project_hours for m in self.months if m.hze_hours is not None)

    @property
    def hze_hours(self) -> float | None:
        known = [m.hze_hours for m in self.months if m.hze_hours is not None]
        return sum(known) if known else None

    @property
    def share(self) -> float | None:
        """Over the months with HzE hours."""
        return MonthFigure(self.months[0].month, self.project_hours, self.hze_hours).share if self.months else None


def target_figures(year: int, sozialraeume) -> list[AreaYear]:
    """Per Sozialraum and month of ``year``: project hours, HzE hours, share.

    The project hours come from every approved project of the year (a thousand and more at
    production size) and change only when a proposal changes state, so they are computed once
    and kept until that happens (see ``_project_hours``); the HzE hours are read fresh. The
    figures are the same for everyone who may open the page (Koordination and Leitung see every
    Sozialraum). Two queries when the project hours are known, three when they are computed.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    ids = tuple(s.id for s in sozialraeume)
    hours = _project_hours(year, ids)
    hze = {(h.sozialraum_id, h.month): h.hours for h in db.session.execute(
        select(HzeHours.sozialraum_id, HzeHours.month, HzeHours.hours)
        .where(HzeHours.sozialraum_id.in_(ids), HzeHours.month.between(first, last)))}
    result = []
    for s in sozialraeume:
        area = AreaYear(s)
        for m in range(1, 13):
            area.months.append(MonthFigure(date(year, m, 1), hours[s.id][m - 1], hze.get((s.id, date(year, m, 1)))))
        result.append(area)
    return result


#: Project hours per (year, Sozialraum ids, fingerprint), per process; a handful of years are looked at.
_PROJECT_HOURS_CACHE = "proposals.project_hours"
_PROJECT_HOURS_KEPT = 64


def _proposals_fingerprint() -> tuple:
    """Changes whenever the project hours of any year may change, in two index look-ups.

    Hours, run and Sozialraum of a proposal can only be changed while it is a draft or sent back
    (``EDITABLE_STATES``), where it does not count; it starts or stops counting only by a state
    change, and every state change records a ProposalEvent (``transition``). New and deleted
    proposals change the count. So (newest event, number of proposals) covers every input.
    """
    return tuple(db.session.execute(select(
        select(func.max(ProposalEvent.id)).scalar_subquery(),
        select(func.count()).select_from(Proposal).scalar_subquery())).one())


def _project_hours(year: int, ids: tuple[int, ...]) -> dict[int, list[float]]:
    return kept(_PROJECT_HOURS_CACHE, _PROJECT_HOURS_KEPT, (year, ids, _proposals_fingerprint()),
                lambda: compute_project_hours(year, ids))


def compute_project_hours(year: int, ids) -> dict[int, list[float]]:
    """Project hours per Sozialraum and month of ``year`` (index 0 = January), from the database.

    Only the four columns the sum needs are loaded, and the sum goes by day: each run adds
    hours_per_week / 7 to the days it covers (a difference array, one entry at its first and one
    after its last day), and the months add up their days. That is the same sum as weeks_in_run
    per run and month, in time linear in runs plus days.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    days = (last - first).days + 1
    change = {i: [0.0] * (days + 1) for i in ids}
    for sozialraum_id, hours, starts_on, ends_on in db.session.execute(
            select(Proposal.sozialraum_id, Proposal.hours_per_week, Proposal.starts_on, Proposal.ends_on)
            .where(Proposal.state.in_(APPROVED_STATES), Proposal.sozialraum_id.in_(ids),
                   Proposal.starts_on <= last, Proposal.ends_on >= first, Proposal.hours_per_week > 0)):
        daily = change[sozialraum_id]
        daily[(max(starts_on, first) - first).days] += hours / 7
        daily[(min(ends_on, last) - first).days + 1] -= hours / 7
    month_of_day = [(first + timedelta(days=d)).month - 1 for d in range(days)]
    result = {}
    for i in ids:
        per_month, rate = [0.0] * 12, 0.0
        for d in range(days):
            rate += change[i][d]
            per_month[month_of_day[d]] += rate
        result[i] = [round(h, 6) for h in per_month]
    return result


def target_years() -> list[int]:
    """Years with HzE hours entered, plus the current one."""
    months = db.session.scalars(select(HzeHours.month).distinct()).all()
    return sorted({m.year for m in months} | {date.today().year}, reverse=True)


def set_hze_hours(sozialraum_id: int, month: date, hours: float, user) -> HzeHours:
    month = month.replace(day=1)
    row = db.session.scalar(select(HzeHours).where(HzeHours.sozialraum_id == sozialraum_id,
                                                   HzeHours.month == month))
    if row is None:
        row = HzeHours(sozialraum_id=sozialraum_id, month=month)
        db.session.add(row)
    row.hours = hours
    row.updated_by_id = user.id
    row.updated_at = utcnow()
    return row


def can_enter_hze(user, sozialraum_id: int | None = None) -> bool:
    if user.has_role(Role.LEITUNG):
        return True
    if user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None:
        return sozialraum_id is None or sozialraum_id == user.sozialraum_id
    return False


def can_draft(user) -> bool:
    """Fachkraft of a Träger, or Koordination of a Sozialraum (for its own Träger)."""
    if user.traeger_id is None:
        return False
    return user.has_role(Role.FACHKRAFT) or (user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None)


def personal_data(user) -> dict:
    """Proposals the user created and their messages in discussions, for the DSGVO export."""
    proposals = db.session.scalars(select(Proposal).where(Proposal.created_by_id == user.id).order_by(Proposal.id))
    comments = db.session.scalars(select(ProposalComment).where(ProposalComment.author_id == user.id)
                                  .order_by(ProposalComment.id))
    return {
        "antraege": [{"titel": p.title, "status": p.state.value, "ansprechperson": p.contact_person,
                      "erstellt": p.created_at.isoformat()} for p in proposals],
        "nachrichten": [{"text": c.body, "erstellt": c.created_at.isoformat()} for c in comments],
    }
