"""Projektanträge: the Formblatt, its indicators, its history (events and snapshots), the
discussion, the documents handed in after approval, and the monthly HzE hours for the 15 % target.

Who may see or change a proposal is decided here (``can_view`` / ``can_edit`` / ``is_applicant``);
``visible_to`` is ``can_view`` as SQL for the lists, and a test checks that both agree.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from sqlalchemy import (JSON, Column, Date, Float, ForeignKey, Integer, String, Table, Text,
                        UniqueConstraint, and_, false, func, or_, true)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from portal.auth.models import Role, User
from portal.extensions import UTCDateTime, db, str_enum, utcnow
from portal.org.models import Ortsteil, Sozialraum, Traeger


class ProposalState(enum.StrEnum):
    ENTWURF = "entwurf"
    EINGEREICHT = "eingereicht"
    RUECKFRAGE = "rueckfrage"
    FREIGEGEBEN = "freigegeben"
    ABGELEHNT = "abgelehnt"
    ZURUECKGEZOGEN = "zurueckgezogen"
    BERICHTET = "berichtet"
    ABGESCHLOSSEN = "abgeschlossen"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    ProposalState.ENTWURF: "Entwurf",
    ProposalState.EINGEREICHT: "Eingereicht",
    ProposalState.RUECKFRAGE: "Rückfrage",
    ProposalState.FREIGEGEBEN: "Freigegeben",
    ProposalState.ABGELEHNT: "Abgelehnt",
    ProposalState.ZURUECKGEZOGEN: "Zurückgezogen",
    ProposalState.BERICHTET: "Wirkungsbericht eingereicht",
    ProposalState.ABGESCHLOSSEN: "Abgeschlossen",
}

#: States the applicant may still change the Formblatt in (a Rückfrage sends it back for revision).
EDITABLE_STATES = frozenset({ProposalState.ENTWURF, ProposalState.RUECKFRAGE})
#: Approved projects: they count for the 15 % target and appear under "Freigegebene Projekte".
APPROVED_STATES = frozenset({ProposalState.FREIGEGEBEN, ProposalState.BERICHTET, ProposalState.ABGESCHLOSSEN})
#: States waiting for the Leitung.
WAITING_STATES = frozenset({ProposalState.EINGEREICHT, ProposalState.BERICHTET})



proposal_ortsteil = Table(
    "proposal_ortsteil",
    db.metadata,
    Column("proposal_id", Integer, ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    Column("ortsteil_id", Integer, ForeignKey("ortsteil.id", ondelete="CASCADE"), primary_key=True),
)


class Proposal(db.Model):
    """One Formblatt "Sozialraumprojekt / Gruppenangebot" and where it stands."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Titel, e.g. "Was geht ab in meinem Stadtteil?". Empty only in an early draft.
    title: Mapped[str] = mapped_column(String(200), default="")
    #: Sozialraum / Stadtteilbüro the project works in.
    sozialraum_id: Mapped[int | None] = mapped_column(ForeignKey("sozialraum.id"))
    #: Träger that applies (and owns the proposal).
    traeger_id: Mapped[int] = mapped_column(ForeignKey("traeger.id"))
    #: Zielgruppe, e.g. "Kinder 6–12 Jahre".
    target_group: Mapped[str] = mapped_column(Text, default="")
    #: Thema/Inhalt.
    content: Mapped[str] = mapped_column(Text, default="")
    #: Stundenumfang: Fachleistungsstunden per week.
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    #: Beginn and Ende of the run (at most 12 months unless justified).
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: Begründung für längere Laufzeit (needed for runs over 12 months).
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    #: Erhoffte Wirkung auf den Sozialraum.
    expected_effect: Mapped[str] = mapped_column(Text, default="")
    #: Kosten/Entgelt (optional, free text).
    costs: Mapped[str] = mapped_column(Text, default="")
    #: Ansprechperson (staff, never a client).
    contact_person: Mapped[str] = mapped_column(String(200), default="")

    state: Mapped[ProposalState] = mapped_column(str_enum(ProposalState), default=ProposalState.ENTWURF)
    #: Optimistic lock: raised on every UPDATE; a decision based on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Last (re)submission; the Leitung's inbox is ordered by it, oldest first.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last decision of the Leitung (Freigabe, Ablehnung, Rückfrage).
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Auflagen of the approval.
    conditions: Mapped[str] = mapped_column(Text, default="")
    #: The approval asks for a Leistungsangebot and an Entgeltkalkulation.
    documents_requested: Mapped[bool] = mapped_column(default=False)
    #: Wirkungsbericht: short text (actual values live on the indicators).
    report_text: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sozialraum: Mapped[Sozialraum | None] = relationship()
    traeger: Mapped[Traeger] = relationship()
    ortsteile: Mapped[list[Ortsteil]] = relationship(secondary=proposal_ortsteil, order_by=Ortsteil.name)
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="Indicator.position")
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalEvent.id")
    revisions: Mapped[list[ProposalRevision]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalRevision.number")
    comments: Mapped[list[ProposalComment]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalComment.id")
    documents: Mapped[list[ProposalDocument]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalDocument.id")

    #: Since when it waits for the Leitung: the Wirkungsbericht, else the (last) submission. The
    #: Leitung's inbox is ordered by it.
    waiting_since: Mapped[datetime | None] = column_property(func.coalesce(reported_at, submitted_at))

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        db.Index("ix_proposal_state_submitted", "state", "submitted_at"),
        db.Index("ix_proposal_traeger_updated", "traeger_id", "updated_at"),
        db.Index("ix_proposal_sozialraum_state", "sozialraum_id", "state"),
        # "Freigegebene Projekte" (running ones) and its count: state IN (...) AND ends_on >= today.
        db.Index("ix_proposal_state_ends", "state", "ends_on"),
    )

    def __str__(self) -> str:
        return self.title or f"Antrag Nr. {self.id} (ohne Titel)"

    @property
    def display_title(self) -> str:
        return str(self)

    # --- permissions -------------------------------------------------------------------------
    def is_applicant(self, user) -> bool:
        """The applying side: a Fachkraft of the Träger, or a Koordination of the Sozialraum
        working for that Träger (the Stadtteilbüro's own projects)."""
        if not user.is_authenticated or user.traeger_id is None or user.traeger_id != self.traeger_id:
            return False
        if user.has_role(Role.FACHKRAFT):
            return True
        return user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None \
            and user.sozialraum_id == self.sozialraum_id

    def can_view(self, user) -> bool:
        """The Leitung sees everything; the applying side its own proposals; a Koordination
        everything of its Sozialraum that has left the drafting Träger. SQL: ``visible_to``."""
        if not user.is_authenticated:
            return False
        if user.has_role(Role.LEITUNG) or self.is_applicant(user):
            return True
        return user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None \
            and self.sozialraum_id == user.sozialraum_id and self.state != ProposalState.ENTWURF

    def can_edit(self, user) -> bool:
        return self.state in EDITABLE_STATES and self.is_applicant(user)

    def can_delete_draft(self, user) -> bool:
        """The applying side may delete a draft that never left it (never submitted)."""
        return (self.state == ProposalState.ENTWURF and self.submitted_at is None and not self.revisions
                and self.is_applicant(user))

    def can_discuss(self, user) -> bool:
        return self.can_view(user)

    def can_upload(self, user) -> bool:
        return self.state in APPROVED_STATES and self.is_applicant(user)

    @classmethod
    def visible_to(cls, user):
        """SQL condition matching ``can_view`` (tests/test_proposals.py checks both agree)."""
        if not user.is_authenticated:
            return false()
        if user.has_role(Role.LEITUNG):
            return true()
        parts = []
        if user.traeger_id is not None:
            if user.has_role(Role.FACHKRAFT):
                parts.append(cls.traeger_id == user.traeger_id)
            elif user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None:
                parts.append(and_(cls.traeger_id == user.traeger_id, cls.sozialraum_id == user.sozialraum_id))
        if user.has_role(Role.KOORDINATION) and user.sozialraum_id is not None:
            parts.append(and_(cls.sozialraum_id == user.sozialraum_id, cls.state != ProposalState.ENTWURF))
        return or_(*parts) if parts else false()

    # --- facts -------------------------------------------------------------------------------
    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def is_approved(self) -> bool:
        return self.state in APPROVED_STATES


class Indicator(db.Model):
    """A Wirkungsindikator: what is measured, how, from which value to which."""

    __tablename__ = "proposal_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    #: Order on the Formblatt (0, 1, 2 …).
    position: Mapped[int] = mapped_column(default=0)
    #: Indikator, e.g. "Teilnehmende Familien pro Treffen".
    indicator: Mapped[str] = mapped_column(String(300), default="")
    #: Erhebungsmethode, e.g. "Teilnahmeliste (anonym, nur Anzahl)".
    method: Mapped[str] = mapped_column(String(300), default="")
    #: Ausgangswert and Zielwert as written (numbers or short text).
    baseline: Mapped[str] = mapped_column(String(120), default="")
    target: Mapped[str] = mapped_column(String(120), default="")
    #: Ist-Wert reported in the Wirkungsbericht.
    actual: Mapped[str] = mapped_column(String(120), default="")

    proposal: Mapped[Proposal] = relationship(back_populates="indicators")


class ProposalEvent(db.Model):
    """One state change: who, when, from, to, and why. The timeline of a proposal."""

    __tablename__ = "proposal_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    #: The action of the transition table, e.g. "submit", "approve".
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[ProposalState | None] = mapped_column(str_enum(ProposalState))
    to_state: Mapped[ProposalState] = mapped_column(str_enum(ProposalState))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Reason, Rückfrage text, Auflagen … (plain text).
    comment: Mapped[str] = mapped_column(Text, default="")

    proposal: Mapped[Proposal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ProposalRevision(db.Model):
    """What was submitted: a JSON snapshot of the Formblatt at each submission."""

    __tablename__ = "proposal_revision"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    #: 1 for the first submission, 2 for the next …
    number: Mapped[int] = mapped_column()
    #: Field name -> value as shown (see services.snapshot).
    data: Mapped[dict] = mapped_column(JSON)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="revisions")
    submitted_by: Mapped[User | None] = relationship()


class ProposalComment(db.Model):
    """A message in the discussion between Träger, Koordination and Leitung."""

    __tablename__ = "proposal_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Markdown source and its sanitised HTML (rendered once when saved).
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)

    proposal: Mapped[Proposal] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class DocumentKind(enum.StrEnum):
    LEISTUNGSANGEBOT = "leistungsangebot"
    ENTGELTKALKULATION = "entgeltkalkulation"

    @property
    def label(self) -> str:
        return {"leistungsangebot": "Leistungsangebot", "entgeltkalkulation": "Entgeltkalkulation"}[self.value]


class ProposalDocument(db.Model):
    """A Leistungsangebot or Entgeltkalkulation handed in after approval."""

    __tablename__ = "proposal_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    #: Random name under UPLOAD_DIR (portal.uploads).
    storage_name: Mapped[str] = mapped_column(String(200), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()


class HzeHours(db.Model):
    """Hours of ambulant Hilfen zur Erziehung of one Sozialraum in one month (the 15 % base)."""

    __tablename__ = "hze_hours"
    __table_args__ = (UniqueConstraint("sozialraum_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sozialraum_id: Mapped[int] = mapped_column(ForeignKey("sozialraum.id", ondelete="CASCADE"))
    #: First day of the month.
    month: Mapped[date] = mapped_column(Date, index=True)
    #: e.g. 1507.6 (Nord, Juli 2019).
    hours: Mapped[float] = mapped_column(Float)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sozialraum: Mapped[Sozialraum] = relationship()
