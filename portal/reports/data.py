"""What the report contains, collected for a period and Sozialräume. Read-only: only approved,
non-draft data (approved projects, published or approved minutes, approved budget requests), no
personal names beyond the Träger and functions, stable order (the same period and data give the
same report).

Personal names: the report goes to the Jugendhilfeausschuss and is published with its papers.
Decision texts, tasks ("Zuständig") and the purposes of budget requests are free text and often
name people ("Frau Adler stellt den Bericht vor"). ``Names`` replaces the name of every person
with an account in the portal by their function – in the AG of the meeting their AG function with
their Träger ("Sprecher:in (AWO)"), elsewhere their role ("Koordination Nord", "Fachkraft
Caritas") – so the report keeps who did what without saying who the person is. Names of people
without an account cannot be known and stay; the Leitung reads the document before sending it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.ag.models import ActionItem, AgendaItem, Meeting, MeetingStatus, Membership, MinutesStatus
from portal.auth.models import ROLE_LABELS, Role, User, UserRole
from portal.budget.models import Booking, Budget, BudgetRequest, RequestState
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.proposals import target as targets
from portal.proposals.models import APPROVED_STATES, Proposal, ProposalState

#: The sections in order: key -> heading.
SECTIONS = {
    "overview": "Überblick",
    "projects": "Projekte nach Sozialraum",
    "target": "15-%-Ziel nach Sozialraum und Monat",
    "ag": "AG 78: Sitzungen, Beschlüsse und offene Aufgaben",
    "budgets": "Kinder- und Jugendbudget der Ortsteile",
}

#: Minutes the report may quote: published or approved, never a draft.
PUBLIC_MINUTES = (MinutesStatus.VEROEFFENTLICHT, MinutesStatus.GENEHMIGT)


@dataclass
class Period:
    start: date
    end: date
    label: str


@dataclass
class ProjectRow:
    title: str
    traeger: str
    target_group: str
    hours_per_week: float | None
    starts_on: date | None
    ends_on: date | None
    status: str
    indicators: list[tuple[str, str, str]]  # (indicator, target, actual)


@dataclass
class AreaProjects:
    sozialraum: str
    projects: list[ProjectRow] = field(default_factory=list)


@dataclass
class TargetRow:
    sozialraum: str
    months: list  # MonthFigure of the period
    share: float | None


@dataclass
class DecisionRow:
    top: str
    text: str
    yes: int
    no: int
    abstain: int
    result: str


@dataclass
class MeetingRow:
    group: str
    title: str
    date: date
    minutes_status: str
    decisions: list[DecisionRow]


@dataclass
class TaskRow:
    group: str
    task: str
    responsible: str
    due_on: date | None


@dataclass
class BudgetRow:
    ortsteil: str
    sozialraum: str
    year: int
    amount_cents: int
    committed_cents: int
    spent_cents: int

    @property
    def left_cents(self) -> int:
        return self.amount_cents - self.committed_cents


@dataclass
class SpendingRow:
    ortsteil: str
    year: int
    purpose: str
    age_group: str
    participants: int | None
    approved_cents: int
    booked_cents: int
    state: str


@dataclass
class Report:
    period: Period
    sozialraeume: list[str]
    sections: list[str]
    overview: dict = field(default_factory=dict)
    areas: list[AreaProjects] = field(default_factory=list)
    target: list[TargetRow] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    budgets: list[BudgetRow] = field(default_factory=list)
    spendings: list[SpendingRow] = field(default_factory=list)


class Names:
    """Replaces the names of the portal's people in free text by their function (see above)."""

    def __init__(self):
        traeger = dict(db.session.execute(select(Traeger.id, Traeger.short_name)).all())
        raeume = dict(db.session.execute(select(Sozialraum.id, Sozialraum.name)).all())
        roles: dict[int, set[Role]] = {}
        for user_id, role in db.session.execute(select(UserRole.user_id, UserRole.role)):
            roles.setdefault(user_id, set()).add(role)
        self.general: dict[str, str] = {}  # name -> function outside an AG
        self.in_group: dict[tuple[int, str], str] = {}  # (AG, name) -> function in that AG
        ids: dict[int, str] = {}
        for uid, name, traeger_id, raum_id in db.session.execute(
                select(User.id, User.display_name, User.traeger_id, User.sozialraum_id).order_by(User.id)):
            name = (name or "").strip()
            if len(name) < 4 or " " not in name:  # "Anna Adler", not a single word that may be anything
                continue
            ids[uid] = name
            self.general.setdefault(name, self._role_label(roles.get(uid, set()), traeger.get(traeger_id),
                                                           raeume.get(raum_id)))
        for group_id, uid, function, traeger_id in db.session.execute(
                select(Membership.group_id, Membership.user_id, Membership.function, Membership.traeger_id)
                .order_by(Membership.valid_from, Membership.id)):
            if uid in ids:  # the latest membership counts
                label = function.label + (f" ({traeger[traeger_id]})" if traeger_id in traeger else "")
                self.in_group[(group_id, ids[uid])] = label
        # "Anna Adler", and "Frau Adler"/"Herrn Adler" where only one person has that surname
        surnames: dict[str, list[str]] = {}
        for name in self.general:
            surnames.setdefault(name.rsplit(" ", 1)[1], []).append(name)
        self.by_surname = {sur: names[0] for sur, names in surnames.items() if len(names) == 1}
        alternatives = sorted(self.general, key=lambda n: (-len(n), n))
        self.full = re.compile(r"(?<!\w)(?:(?:Frau|Herrn?) )?(" + "|".join(map(re.escape, alternatives)) + r")(?!\w)") \
            if alternatives else None
        sur = sorted(self.by_surname, key=lambda n: (-len(n), n))
        self.short = re.compile(r"(?<!\w)(?:Frau|Herrn?) (" + "|".join(map(re.escape, sur)) + r")(?!\w)") \
            if sur else None

    @staticmethod
    def _role_label(roles: set[Role], traeger: str | None, raum: str | None) -> str:
        if Role.LEITUNG in roles:
            return ROLE_LABELS[Role.LEITUNG]
        if Role.KOORDINATION in roles:
            return "Koordination" + (f" {raum}" if raum else "")
        if Role.FACHKRAFT in roles or traeger:
            return "Fachkraft" + (f" {traeger}" if traeger else " eines Trägers")
        for role in (Role.ADMIN, Role.MODERATION, Role.EHRENAMT):
            if role in roles:
                return ROLE_LABELS[role]
        return "eine beteiligte Person"

    def _label(self, name: str, group_id: int | None) -> str:
        return self.in_group.get((group_id, name)) or self.general[name]

    def __call__(self, text: str, group_id: int | None = None) -> str:
        if not text:
            return text
        if self.full is not None:
            text = self.full.sub(lambda m: self._label(m.group(1), group_id), text)
        if self.short is not None:
            text = self.short.sub(lambda m: self._label(self.by_surname[m.group(1)], group_id), text)
        return text


def _status(p: Proposal, period: Period) -> str:
    if p.state == ProposalState.ABGESCHLOSSEN or (p.ends_on and p.ends_on < period.end):
        return "beendet"
    if p.starts_on and p.starts_on >= period.start:
        return "neu begonnen"
    return "laufend"


def section_projects(report: Report, raeume) -> None:
    ids = [s.id for s in raeume]
    projects = db.session.scalars(
        select(Proposal).options(selectinload(Proposal.traeger), selectinload(Proposal.indicators),
                                 selectinload(Proposal.sozialraum))
        .where(Proposal.state.in_(APPROVED_STATES), Proposal.sozialraum_id.in_(ids),
               Proposal.starts_on <= report.period.end, Proposal.ends_on >= report.period.start)
        .order_by(Proposal.starts_on, Proposal.title, Proposal.id)).all()
    by_area = {s.id: AreaProjects(s.name) for s in raeume}
    for p in projects:
        by_area[p.sozialraum_id].projects.append(ProjectRow(
            title=p.display_title, traeger=p.traeger.name, target_group=p.target_group,
            hours_per_week=p.hours_per_week, starts_on=p.starts_on, ends_on=p.ends_on,
            status=_status(p, report.period),
            # the Ist-Wert only once the Wirkungsbericht is in (berichtet/abgeschlossen)
            indicators=[(i.indicator, i.target, i.actual if p.state != ProposalState.FREIGEGEBEN else "")
                        for i in p.indicators]))
    report.areas = [by_area[s.id] for s in raeume]
    report.overview["projects"] = len(projects)
    report.overview["hours"] = sum(p.hours_per_week or 0 for p in projects)
    report.overview["traeger"] = len({p.traeger_id for p in projects})


def section_target(report: Report, raeume) -> None:
    """Reuses portal.proposals.target: the months of the period, per Sozialraum."""
    start, end = report.period.start, report.period.end
    rows = {s.id: [] for s in raeume}
    for year in range(start.year, end.year + 1):
        for area in targets.target_figures(year, list(raeume)):
            rows[area.sozialraum.id] += [m for m in area.months
                                         if date(start.year, start.month, 1) <= m.month <= end]
    report.target = []
    for s in raeume:
        months = rows[s.id]
        known = [m for m in months if m.hze_hours is not None]
        p = sum(m.project_hours for m in known)
        h = sum(m.hze_hours for m in known)
        report.target.append(TargetRow(s.name, months, p / (p + h) if known and p + h > 0 else None))


def section_ag(report: Report, raeume, names: Names | None = None) -> None:
    """Meetings held in the period with published/approved minutes, their decisions with votes;
    open tasks of those groups. Names of attendees are not shown. The report goes to the
    Jugendhilfeausschuss: decisions and tasks of nicht öffentliche TOPs stay out."""
    meetings = db.session.scalars(
        select(Meeting).options(selectinload(Meeting.group),
                                selectinload(Meeting.agenda).selectinload(AgendaItem.decisions))
        .where(Meeting.date.between(report.period.start, report.period.end),
               Meeting.status == MeetingStatus.DURCHGEFUEHRT,
               Meeting.minutes_status.in_(PUBLIC_MINUTES))
        .order_by(Meeting.date, Meeting.group_id, Meeting.number)).all()
    names = names or Names()
    report.meetings = [MeetingRow(
        group=m.group.short_name, title=m.title, date=m.date, minutes_status=m.minutes_status.label,
        decisions=[DecisionRow(item.label, names(d.text, m.group_id), d.yes, d.no, d.abstain, d.result_label)
                   for item in m.agenda if item.public for d in item.decisions]) for m in meetings]
    meeting_ids = [m.id for m in meetings]
    tasks = db.session.scalars(
        select(ActionItem).outerjoin(ActionItem.agenda_item)
        .where(ActionItem.done_at.is_(None), ActionItem.meeting_id.in_(meeting_ids),
               or_(ActionItem.agenda_item_id.is_(None), AgendaItem.public.is_(True)))
        .order_by(ActionItem.due_on, ActionItem.id)).all() if meeting_ids else []
    groups = {m.id: m.group for m in meetings}
    report.tasks = [TaskRow(groups[t.meeting_id].short_name, names(t.task, t.group_id),
                            names(t.responsible, t.group_id), t.due_on) for t in tasks]
    report.overview["meetings"] = len(meetings)
    report.overview["decisions"] = sum(len(m.decisions) for m in report.meetings)


def section_budgets(report: Report, raeume, names: Names | None = None) -> None:
    """The Kinder- und Jugendbudget of the Ortsteile in the chosen Sozialräume, for every calendar
    year the period touches: amount, approved (bound), spent, left; and what the approved requests
    were for (purpose, age group, children, approved and booked amount) – no names of volunteers."""
    names = names or Names()
    years = list(range(report.period.start.year, report.period.end.year + 1))
    ids = [s.id for s in raeume]
    budgets = db.session.execute(
        select(Budget, Ortsteil.name, Sozialraum.name).join(Ortsteil, Budget.ortsteil_id == Ortsteil.id)
        .join(Sozialraum, Ortsteil.sozialraum_id == Sozialraum.id)
        .where(Budget.year.in_(years), Ortsteil.sozialraum_id.in_(ids))
        .order_by(Budget.year, Ortsteil.name, Budget.id)).all()
    report.budgets = [BudgetRow(o, r, b.year, b.amount_cents, b.committed_cents, b.spent_cents)
                      for b, o, r in budgets]
    booked = (select(func.coalesce(func.sum(Booking.amount_cents), 0))
              .where(Booking.request_id == BudgetRequest.id).correlate(BudgetRequest).scalar_subquery())
    spent = db.session.execute(
        select(BudgetRequest, Budget.year, Ortsteil.name, booked)
        .join(Budget, BudgetRequest.budget_id == Budget.id).join(Ortsteil, Budget.ortsteil_id == Ortsteil.id)
        .where(Budget.id.in_([b.id for b, _, _ in budgets]),
               BudgetRequest.state.in_((RequestState.FREIGEGEBEN, RequestState.ABGERECHNET)))
        .order_by(Budget.year, Ortsteil.name, BudgetRequest.id)).all() if budgets else []
    report.spendings = [SpendingRow(o, year, names(r.purpose), names(r.age_group), r.participants,
                                    r.approved_cents, int(b or 0), r.state.label) for r, year, o, b in spent]
    report.overview["budget_cents"] = sum(b.amount_cents for b in report.budgets)
    report.overview["budget_spent_cents"] = sum(b.spent_cents for b in report.budgets)


COLLECTORS = {"projects": section_projects, "target": section_target, "ag": section_ag,
              "budgets": section_budgets}
#: Sections that write free text of people and get the ``Names`` replacer.
NAMED = {"ag", "budgets"}


def build_report(period: Period, sozialraum_ids, sections) -> Report:
    raeume = db.session.scalars(select(Sozialraum).where(Sozialraum.id.in_(list(sozialraum_ids)))
                                .order_by(Sozialraum.name, Sozialraum.id)).all()
    chosen = [k for k in SECTIONS if k in set(sections)]
    report = Report(period, [s.name for s in raeume], chosen)
    # the overview figures need the projects and meetings even when their sections are off
    needed = set(chosen) | ({"projects", "ag", "budgets"} if "overview" in chosen else set())
    probe = Report(period, report.sozialraeume, chosen)
    names = Names() if needed & NAMED else None
    for key, collect in COLLECTORS.items():
        if key in needed:
            target = report if key in chosen else probe
            if key in NAMED:
                collect(target, raeume, names)
            else:
                collect(target, raeume)
    report.overview.update(probe.overview)
    return report
