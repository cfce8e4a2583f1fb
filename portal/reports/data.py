"""What the report contains, collected for a period and Sozialräume. Read-only: only approved,
non-draft data (approved projects, published or approved minutes), no personal names beyond the
Träger and functions, stable order (the same period and data give the same report)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.ag.models import ActionItem, AgendaItem, Meeting, MeetingStatus, MinutesStatus
from portal.extensions import db
from portal.org.models import Sozialraum
from portal.proposals import target as targets
from portal.proposals.models import APPROVED_STATES, Proposal, ProposalState

#: The sections in order: key -> heading. A section not listed here is not offered (budgets:
#: ``section_budgets`` is the hook for the Ortsteil budgets once that part is in main).
SECTIONS = {
    "overview": "Überblick",
    "projects": "Projekte nach Sozialraum",
    "target": "15-%-Ziel nach Sozialraum und Monat",
    "ag": "AG 78: Sitzungen, Beschlüsse und offene Aufgaben",
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
class Report:
    period: Period
    sozialraeume: list[str]
    sections: list[str]
    overview: dict = field(default_factory=dict)
    areas: list[AreaProjects] = field(default_factory=list)
    target: list[TargetRow] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)


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


def section_ag(report: Report, raeume) -> None:
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
    report.meetings = [MeetingRow(
        group=m.group.short_name, title=m.title, date=m.date, minutes_status=m.minutes_status.label,
        decisions=[DecisionRow(item.label, d.text, d.yes, d.no, d.abstain, d.result_label)
                   for item in m.agenda if item.public for d in item.decisions]) for m in meetings]
    meeting_ids = [m.id for m in meetings]
    tasks = db.session.scalars(
        select(ActionItem).outerjoin(ActionItem.agenda_item)
        .where(ActionItem.done_at.is_(None), ActionItem.meeting_id.in_(meeting_ids),
               or_(ActionItem.agenda_item_id.is_(None), AgendaItem.public.is_(True)))
        .order_by(ActionItem.due_on, ActionItem.id)).all() if meeting_ids else []
    groups = {m.id: m.group.short_name for m in meetings}
    report.tasks = [TaskRow(groups[t.meeting_id], t.task, t.responsible, t.due_on) for t in tasks]
    report.overview["meetings"] = len(meetings)
    report.overview["decisions"] = sum(len(m.decisions) for m in report.meetings)


def section_budgets(report: Report, raeume) -> None:  # pragma: no cover - hook
    """Hook for the Ortsteil budgets (another branch): not listed in SECTIONS yet."""
    raise NotImplementedError


COLLECTORS = {"projects": section_projects, "target": section_target, "ag": section_ag}


def build_report(period: Period, sozialraum_ids, sections) -> Report:
    raeume = db.session.scalars(select(Sozialraum).where(Sozialraum.id.in_(list(sozialraum_ids)))
                                .order_by(Sozialraum.name, Sozialraum.id)).all()
    chosen = [k for k in SECTIONS if k in set(sections)]
    report = Report(period, [s.name for s in raeume], chosen)
    # the overview figures need the projects and meetings even when their sections are off
    needed = set(chosen) | ({"projects", "ag"} if "overview" in chosen else set())
    probe = Report(period, report.sozialraeume, chosen)
    for key, collect in COLLECTORS.items():
        if key in needed:
            collect(report if key in chosen else probe, raeume)
    report.overview.update(probe.overview)
    return report
