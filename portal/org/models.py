"""Sozialräume, Ortsteile and Träger: the structure every feature hangs on."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import UTCDateTime, db, str_enum, utcnow


class Sozialraum(db.Model):
    __tablename__ = "sozialraum"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Display name, e.g. "Nord/Schöndorf".
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: URL part, e.g. "nord".
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: Name of the district office, e.g. "Stadtteilbüro Nord".
    office: Mapped[str] = mapped_column(String(120), default="")

    ortsteile: Mapped[list[Ortsteil]] = relationship(
        back_populates="sozialraum", order_by="Ortsteil.name"
    )

    def __str__(self) -> str:
        return self.name


#: Words the Pinnwand uses itself under /board/ – an Ortsteil slug must not hide them.
RESERVED_ORTSTEIL_SLUGS = frozenset({"alle", "new-posts", "moderation", "posts", "comments", "reports", "files"})


class Ortsteil(db.Model):
    __tablename__ = "ortsteil"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Village or district, e.g. "Taubach".
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: URL part used by its pinboard, e.g. "taubach".
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: The Sozialraum the Ortsteil belongs to.
    sozialraum_id: Mapped[int] = mapped_column(ForeignKey("sozialraum.id"), index=True)

    sozialraum: Mapped[Sozialraum] = relationship(back_populates="ortsteile")

    def __str__(self) -> str:
        return self.name


class TraegerKind(enum.StrEnum):
    OEFFENTLICH = "oeffentlich"
    FREI = "frei"

    @property
    def label(self) -> str:
        return {"oeffentlich": "öffentlicher Träger", "frei": "freier Träger"}[self.value]


class Traeger(db.Model):
    __tablename__ = "traeger"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Full name, e.g. "Arbeiterwohlfahrt Kreisverband Weimar e. V.".
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: Short name used in lists, e.g. "AWO".
    short_name: Mapped[str] = mapped_column(String(40), unique=True)
    #: öffentlich (the city) or frei (non-profit provider).
    kind: Mapped[TraegerKind] = mapped_column(
        str_enum(TraegerKind),
        default=TraegerKind.FREI,
    )
    #: OParl ``created``/``modified`` of the Träger as an Organization.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.short_name
