"""Kinder- und Jugendbudget: a yearly amount per Ortsteil, requests from its volunteers, bookings.

Money is stored in whole cents. ``Budget.committed_cents`` is what the Ortsteil's approved
requests bind (the approved amount until it is booked, then the booked amount); it only ever
changes through one conditional UPDATE (portal.budget.services._commit) that refuses to go above
``amount_cents`` — inside the database transaction, so two workers can never overspend.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db, str_enum, utcnow
from portal.org.models import Ortsteil


class Budget(db.Model):
    __tablename__ = "budget"
    __table_args__ = (
        UniqueConstraint("year", "ortsteil_id", name="uq_budget_year_ortsteil"),
        CheckConstraint("committed_cents <= amount_cents", name="not_overspent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Calendar year, e.g. 2026; what is left at its end is gone.
    year: Mapped[int] = mapped_column(Integer)
    ortsteil_id: Mapped[int] = mapped_column(ForeignKey("ortsteil.id"), index=True)
    #: The Ortsteil's amount for the year, in cents (set by Administration or Leitung).
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)
    #: Bound by approved requests (approved amount, or the booked amount once booked), in cents.
    committed_cents: Mapped[int] = mapped_column(Integer, default=0)
    #: Booked (spent) so far, in cents; counter-bookings subtract.
    spent_cents: Mapped[int] = mapped_column(Integer, default=0)

    ortsteil: Mapped[Ortsteil] = relationship()

    @property
    def left_cents(self) -> int:
        return self.amount_cents - self.committed_cents

    @property
    def approved_open_cents(self) -> int:
        """Approved but not yet booked."""
        return self.committed_cents - self.spent_cents


class RequestState(enum.StrEnum):
    EINGEREICHT = "eingereicht"
    RUECKFRAGE = "rueckfrage"
    FREIGEGEBEN = "freigegeben"
    ABGELEHNT = "abgelehnt"
    ABGERECHNET = "abgerechnet"

    @property
    def label(self) -> str:
        return {"eingereicht": "wartet auf Entscheidung", "rueckfrage": "Rückfrage",
                "freigegeben": "freigegeben", "abgelehnt": "abgelehnt",
                "abgerechnet": "abgerechnet"}[self.value]


class BudgetRequest(db.Model):
    """A volunteer's Antrag: what for, for whom, how much, when."""

    __tablename__ = "budget_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: What the money is for, e.g. "Neuer Herd für die Backgruppe".
    purpose: Mapped[str] = mapped_column(String(200))
    #: Details; no names of children or families.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Age group, e.g. "6–12 Jahre".
    age_group: Mapped[str] = mapped_column(String(80), default="")
    #: About how many children and young people.
    participants: Mapped[int | None] = mapped_column(Integer)
    #: Requested amount in cents.
    amount_cents: Mapped[int] = mapped_column(Integer)
    #: When the money is needed.
    needed_on: Mapped[date | None]
    state: Mapped[RequestState] = mapped_column(str_enum(RequestState), default=RequestState.EINGEREICHT,
                                                index=True)
    #: Approved amount in cents (bound in the budget while approved).
    approved_cents: Mapped[int] = mapped_column(Integer, default=0)
    #: Optimistic lock: a stale decision gets 409.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    budget: Mapped[Budget] = relationship()
    author: Mapped[User | None] = relationship()
    events: Mapped[list[BudgetRequestEvent]] = relationship(order_by="BudgetRequestEvent.id",
                                                            cascade="all, delete-orphan")
    bookings: Mapped[list[Booking]] = relationship(order_by="Booking.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def booked_cents(self) -> int:
        return sum(b.amount_cents for b in self.bookings)

    # --- rules (the one place each permission lives) ------------------------------------------
    def can_view(self, user) -> bool:
        return can_see_ortsteil(user, self.budget.ortsteil)

    def can_decide(self, user) -> bool:
        return can_decide_for(user, self.budget.ortsteil) and self.state in (
            RequestState.EINGEREICHT, RequestState.RUECKFRAGE)

    def can_answer(self, user) -> bool:
        """The applicant (or another volunteer of the Ortsteil) answers a Rückfrage."""
        return self.state == RequestState.RUECKFRAGE and is_volunteer_of(user, self.budget.ortsteil)

    def can_book(self, user) -> bool:
        return self.state == RequestState.FREIGEGEBEN and (
            is_volunteer_of(user, self.budget.ortsteil) or can_decide_for(user, self.budget.ortsteil))

    def can_counter_book(self, user) -> bool:
        return self.state == RequestState.ABGERECHNET and can_decide_for(user, self.budget.ortsteil)


class BudgetRequestEvent(db.Model):
    """History of a request: who did what, when and why."""

    __tablename__ = "budget_request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("budget_request.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "eingereicht", "rueckfrage", "beantwortet", "freigegeben", "abgelehnt", "gebucht", "gegengebucht".
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


class Booking(db.Model):
    """What was really spent, with its receipt. Never edited or deleted: a mistake is
    corrected by a counter-booking (negative amount, ``corrects_id`` set)."""

    __tablename__ = "budget_booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("budget_request.id"), index=True)
    #: Cents; negative for a counter-booking.
    amount_cents: Mapped[int] = mapped_column(Integer)
    #: The booking this one cancels (counter-booking), else None.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("budget_booking.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    #: Receipt (Beleg) under UPLOAD_DIR; None for a counter-booking.
    receipt_storage_name: Mapped[str | None] = mapped_column(String(200))
    receipt_name: Mapped[str] = mapped_column(String(200), default="")
    receipt_type: Mapped[str] = mapped_column(String(100), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


# --- who may do what -----------------------------------------------------------------------------

def is_volunteer_of(user, ortsteil: Ortsteil) -> bool:
    return user.is_authenticated and user.has_role(Role.EHRENAMT) and any(
        o.id == ortsteil.id for o in user.ortsteile)


def can_decide_for(user, ortsteil: Ortsteil) -> bool:
    """Koordination of the Ortsteil's Sozialraum, the Leitung (Familienamt) or Administration."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN, Role.LEITUNG):
        return True
    return user.has_role(Role.KOORDINATION) and user.sozialraum_id == ortsteil.sozialraum_id


def can_see_ortsteil(user, ortsteil: Ortsteil) -> bool:
    return is_volunteer_of(user, ortsteil) or can_decide_for(user, ortsteil)


def can_set_amounts(user) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN, Role.LEITUNG)


def uses_budget(user) -> bool:
    """Who sees the section in the navigation."""
    return user.is_authenticated and (user.has_role(Role.ADMIN, Role.LEITUNG, Role.KOORDINATION)
                                      or (user.has_role(Role.EHRENAMT) and bool(user.ortsteile)))
