"""Editable text pages: Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit,
Nutzungsbedingungen and the Hilfe pages of each part."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import UTCDateTime, db, utcnow

#: slug -> title of the pages every installation has (linked from the footer).
LEGAL_PAGES = {
    "impressum": "Impressum",
    "datenschutz": "Datenschutzerklärung",
    "barrierefreiheit": "Erklärung zur Barrierefreiheit",
    "nutzungsbedingungen": "Nutzungsbedingungen",
}

#: part -> title of the Hilfe pages (``/hilfe/<part>``); stored as Seiten with the slug ``hilfe-<part>``.
HELP_PAGES = {
    "pinnwand": "Hilfe: Pinnwand",
    "kalender": "Hilfe: Kalender und Kalender-Abo",
    "antraege": "Hilfe: Projektanträge",
    "ag78": "Hilfe: AG 78",
    "budget": "Hilfe: Kinder- und Jugendbudget",
}
HELP_PREFIX = "hilfe-"


def help_slug(part: str) -> str:
    return HELP_PREFIX + part


#: Every Seite the Administration edits: slug -> default title.
EDITABLE_PAGES = {**LEGAL_PAGES, **{help_slug(part): title for part, title in HELP_PAGES.items()}}


class Page(db.Model):
    __tablename__ = "page"

    #: One of EDITABLE_PAGES: a legal page's URL part or "hilfe-<part>".
    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    #: Markdown source, edited by Administration.
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Who from the Administration saved it last (None: the default text from ``seed-demo``).
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
