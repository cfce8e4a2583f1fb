"""The 15 % target: project hours of approved projects against the HzE hours, per Sozialraum and
month. The project hours are kept per worker, keyed by the generation of "project_hours"
(``portal.caching``: every write of a Proposal or ProposalEvent raises it)."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.auth.models import Role
from portal.caching import generation, kept
from portal.extensions import db
from portal.formatting import MONTHS, heute
from portal.proposals.models import APPROVED_STATES, HzeHours, Proposal

TARGET_SHARE = 0.15


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
    production size) and change only when a proposal is written, so they are computed once and
    kept until that happens (see ``_project_hours``); the HzE hours are read fresh. The
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


#: Project hours per (year, Sozialraum ids, generation), per process; a handful of years are looked at.
_PROJECT_HOURS_CACHE = "proposals.project_hours"
_PROJECT_HOURS_KEPT = 64


def _project_hours(year: int, ids: tuple[int, ...]) -> dict[int, list[float]]:
    return kept(_PROJECT_HOURS_CACHE, _PROJECT_HOURS_KEPT, (year, ids, generation("project_hours")),
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


#: The year selector looks this far around today (a mistyped 01.01.0001 adds no thousand years).
YEARS_AROUND = 10


def target_years(today: date | None = None) -> list[int]:
    """Years with HzE hours entered, the years from the first approved project's start to the last
    one's end, and the current one (newest first)."""
    today = today or heute()
    years = {m.year for m in db.session.scalars(select(HzeHours.month).distinct())} | {today.year}
    # The span of the approved projects (one aggregate row; listing every project's years cost the
    # page half its throughput at 5,000 proposals, bench/NOTES.md).
    first, last = db.session.execute(select(func.min(Proposal.starts_on), func.max(Proposal.ends_on)).where(
        Proposal.state.in_(APPROVED_STATES), Proposal.starts_on.is_not(None), Proposal.ends_on.is_not(None))).one()
    if first and last:
        years.update(range(first.year, last.year + 1))
    return sorted((y for y in years if abs(y - today.year) <= YEARS_AROUND), reverse=True)


def can_enter_hze(user, sozialraum_id: int | None = None) -> bool:
    """Leitung for every Sozialraum, a Koordination for its own."""
    if user.has_role(Role.LEITUNG):
        return True
    if user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None:
        return sozialraum_id is None or sozialraum_id == user.sozialraum_id
    return False
