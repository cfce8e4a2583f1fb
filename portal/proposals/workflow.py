"""The workflow of a Projektantrag: which action leads from which state to which, who may take it,
what a submitted Formblatt must contain, and what changed between two submissions.

``transition`` moves a proposal and records the step; the operations in ``services`` call it and
send the domain events. Nothing here commits.
"""
from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm.exc import StaleDataError

from portal.auth.models import Role
from portal.errors import Conflict, Invalid, NotAllowed, OperationError
from portal.extensions import db, utcnow
from portal.formatting import datum, heute, zahl
from portal.proposals.models import Proposal, ProposalEvent, ProposalRevision, ProposalState

S = ProposalState
MAX_HOURS_PER_WEEK = 40
#: Beginn and Ende lie at most this many years before or after today (no 01.01.0001–31.12.9999).
MAX_YEARS_AWAY = 10
#: Longer than 12 months needs a justification (Formblatt); longer than this is refused even with one.
MAX_RUN_YEARS = 5


class Hidden(OperationError):
    """The user may not know the proposal exists (another Träger's draft): answered like a
    missing page."""

    status = 404


class Incomplete(Invalid):
    """Input that breaks a rule of the Formblatt; ``field_errors``: field name -> German message."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.field_errors = field_errors or {}


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
        raise Hidden("Diesen Antrag gibt es nicht.")
    actor = ACTION_ACTORS[action]
    if not acts_as(proposal, user, actor):
        who = "die Leitung Soziale Dienste" if actor is Actor.LEITUNG else "die antragstellende Seite"
        raise NotAllowed(f"„{action.label}“ darf nur {who}.")
    transition = TRANSITIONS.get((proposal.state, action))
    if transition is None:
        raise Conflict(f"Im Stand „{proposal.state.label}“ ist „{action.label}“ nicht möglich. "
                                     + _current_state_text(proposal))
    return transition


def transition(proposal: Proposal, action: Action, user, *, version: int | None, comment: str = "",
               conditions: str = "", documents_requested: bool = False, at: datetime | None = None) -> ProposalEvent:
    """Move ``proposal`` by ``action``; record the event (and a snapshot on submission).

    ``version`` is the version the user's form was loaded with: a decision on an outdated page is
    refused (409) and exactly one of two concurrent decisions is stored (version_id_col).
    Called by the operations in ``services``, which send the domain event.
    """
    t = check_transition(proposal, action, user)
    if version is not None and version != proposal.version:
        raise Conflict("Der Antrag wurde inzwischen geändert; deine Aktion wurde nicht ausgeführt. "
                                     + _current_state_text(proposal))
    comment = (comment or "").strip()
    if t.needs_comment and not comment:
        what = {Action.QUERY: "eine Rückfrage", Action.REJECT: "eine Ablehnung"}.get(
            action, "das Zurückgeben des Wirkungsberichts")
        raise Incomplete(f"Für {what} ist eine Begründung nötig.", {"comment": "Bitte gib eine Begründung an."})
    if action is Action.SUBMIT:
        problems = submission_problems(proposal)
        if problems:
            raise Incomplete("Der Antrag ist noch nicht vollständig.", problems)
    if action is Action.REPORT and not (proposal.report_text or "").strip():
        raise Incomplete("Der Wirkungsbericht fehlt.",
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
        # Someone else changed it between our read and our write: exactly one decision wins. The
        # failed flush has ended the transaction; rolling it back only lets us read the current
        # state for the message (nothing of this request was stored).
        db.session.rollback()
        fresh = db.session.get(Proposal, pid, populate_existing=True)
        raise Conflict("Der Antrag wurde gerade von jemand anderem geändert; deine Aktion wurde "
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
    today = heute()
    lo, hi = add_months(today, -12 * MAX_YEARS_AWAY), add_months(today, 12 * MAX_YEARS_AWAY)
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if day and not lo <= day <= hi:
            problems[name] = (f"Bitte ein Datum wählen, das höchstens {MAX_YEARS_AWAY} Jahre vor oder nach heute "
                              f"liegt (zwischen {lo:%d.%m.%Y} und {hi:%d.%m.%Y}).")
    if starts_on and ends_on and ends_on < starts_on:
        problems["ends_on"] = "Das Ende liegt vor dem Beginn."
    elif starts_on and ends_on and not problems and ends_on >= add_months(starts_on, 12 * MAX_RUN_YEARS):
        problems["ends_on"] = (f"Auch mit Begründung läuft ein Projekt höchstens {MAX_RUN_YEARS} Jahre. Bitte einen "
                               "kürzeren Zeitraum wählen und danach einen Folgeantrag stellen.")
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
