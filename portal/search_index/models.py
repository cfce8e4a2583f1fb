"""The search index: one row per searchable thing, with its normalised words (``terms``).

Who may see a row is never stored here: a search joins each row to its source (post, comment,
proposal, meeting) and applies that feature's own SQL rule (``Post.visible_to``,
``Proposal.visible_to``, ``visible_group_ids``) at query time, so a change of rights or state needs
no re-indexing and nothing invisible is ever a hit or counted.

The full-text part lives beside the table, created by migration 0016 only:
SQLite: an FTS5 table ``search_fts`` (external content = this table, kept by triggers, with prefix
indexes) and its vocabulary ``search_vocab``;
PostgreSQL: a GIN index ``ix_search_entry_terms`` on ``to_tsvector('german', terms)``.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import UTCDateTime, db, str_enum
from portal.org.models import Ortsteil, Sozialraum

#: Tables and indexes of the index that the models do not describe (see the module docstring).
FULLTEXT_OBJECTS = frozenset({"search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
                              "search_fts_config", "search_fts_content", "search_vocab", "ix_search_entry_terms"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: the full-text table and index are the migration's, not the models'."""
    return name not in FULLTEXT_OBJECTS


class Kind(enum.StrEnum):
    POST = "beitrag"
    COMMENT = "kommentar"
    EVENT = "termin"
    PROPOSAL = "antrag"
    AGENDA = "top"
    DECISION = "beschluss"
    MINUTES = "protokoll"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    Kind.POST: "Beitrag", Kind.COMMENT: "Kommentar", Kind.EVENT: "Termin", Kind.PROPOSAL: "Antrag",
    Kind.AGENDA: "Tagesordnungspunkt", Kind.DECISION: "Beschluss", Kind.MINUTES: "Protokoll",
}


class SearchEntry(db.Model):
    __tablename__ = "search_entry"
    __table_args__ = (UniqueConstraint("kind", "object_id"),)

    #: Sorts like the hit list: ``entry_id(kind, object_id, happened_at)``, never a counter. Hits are
    #: listed by descending id (newest first), and on SQLite the id is FTS5's rowid too, so the
    #: full-text index reads a word's entries in list order and stops after one page.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=False)
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    #: Id of the indexed row in its own table (post, comment, event, proposal, agenda item, decision).
    object_id: Mapped[int] = mapped_column(Integer)
    #: The source rows whose rules decide who sees the hit (and which go with it when deleted).
    post_id: Mapped[int | None] = mapped_column(ForeignKey("board_post.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("board_comment.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_event.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("ag_meeting.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("ag_agenda_item.id", ondelete="CASCADE"),
                                                       index=True)
    #: The place shown and filtered by: Ortsteil, Sozialraum (also set for Ortsteil places), AG.
    ortsteil_id: Mapped[int | None] = mapped_column(ForeignKey("ortsteil.id", ondelete="SET NULL"), index=True)
    sozialraum_id: Mapped[int | None] = mapped_column(ForeignKey("sozialraum.id", ondelete="SET NULL"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("ag_group.id", ondelete="CASCADE"), index=True)
    #: Heading of the hit and its plain text (for the snippet).
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    #: The date shown: written (posts, comments), first date (events), submitted (proposals), meeting day.
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Normalised words of title and body (portal.search.index_terms): what the full-text index sees.
    terms: Mapped[str] = mapped_column(Text, default="")

    ortsteil: Mapped[Ortsteil | None] = relationship()
    sozialraum: Mapped[Sozialraum | None] = relationship()
    group = relationship("WorkingGroup")


#: The largest id (BIGINT): a search's ``nach`` may be up to this.
MAX_ENTRY_ID = 2**63 - 1
#: The number of each kind in an entry's id (fixed: ids in the database are built from it).
KIND_NUMBERS = {Kind.POST: 0, Kind.COMMENT: 1, Kind.EVENT: 2, Kind.PROPOSAL: 3, Kind.AGENDA: 4, Kind.DECISION: 5,
                Kind.MINUTES: 6}


def entry_id(kind: Kind, object_id: int, happened_at: datetime) -> int:
    """The id of an entry: seconds of its date × 2³¹ + object id × 8 + its kind's number.

    Unique because (kind, object id) is (object ids stay below 2²⁸); ordered like the list: by date,
    within one second by object. Dates before 1970 count as 1970, dates from 2106 on (an AG meeting's
    date is free) as 2106, so the id stays within 64 bits. Migration 0023 computes the same in SQL."""
    if not 0 <= object_id < 2**28:
        raise ValueError(f"object id {object_id} does not fit into a search entry's id")
    seconds = min(max(int(happened_at.timestamp()), 0), 2**32 - 1)
    return seconds * 2**31 + object_id * 8 + KIND_NUMBERS[kind]
