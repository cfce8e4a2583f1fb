"""Factories for Projektanträge in tests: a complete proposal in any state, its documents, and a
clean slate without the demo proposals. No HTTP, no demo titles."""
from __future__ import annotations

import itertools
import secrets
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select

from portal.extensions import db
from portal.org.models import Sozialraum, Traeger
from portal.proposals.models import DocumentKind, Indicator, Proposal, ProposalDocument, ProposalState

_numbers = itertools.count(1)


def make_proposal(state: ProposalState = ProposalState.ENTWURF, traeger: str = "AWO", raum: str = "nord",
                  title: str | None = None, **values) -> Proposal:
    """A complete Formblatt of ``traeger`` (short name) in Sozialraum ``raum`` (slug) put directly
    into ``state``; flushed. Without ``title`` it gets a unique one ("Projekt 7 (freigegeben)")."""
    t = db.session.scalar(select(Traeger).where(Traeger.short_name == traeger))
    s = db.session.scalar(select(Sozialraum).where(Sozialraum.slug == raum))
    defaults = dict(
        title=f"Projekt {next(_numbers)} ({state.value})" if title is None else title, target_group="Kinder 6–12 Jahre",
        content="Spielen, basteln, draußen sein.",
        hours_per_week=3.0, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
        expected_effect="Kinder kennen ihren Stadtteil besser.", contact_person="Thomas Becker",
        report_text="Es kamen regelmäßig acht Kinder." if state in (ProposalState.FREIGEGEBEN,) else "",
    )
    defaults["indicators"] = [Indicator(position=0, indicator="Kinder pro Treffen", method="Strichliste",
                                        baseline="0", target="8")]
    defaults.update(values)
    p = Proposal(traeger=t, traeger_id=t.id, sozialraum=s, sozialraum_id=s.id, state=state, **defaults)
    db.session.add(p)
    db.session.flush()
    return p


def make_document(proposal: Proposal, kind: DocumentKind = DocumentKind.LEISTUNGSANGEBOT,
                  name: str = "leistungsangebot.pdf") -> ProposalDocument:
    """A stored PDF (a real file under UPLOAD_DIR) handed in for ``proposal``; flushed."""
    storage_name = f"proposals/{secrets.token_hex(8)}.pdf"
    path = Path(current_app.config["UPLOAD_DIR"]) / storage_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    doc = ProposalDocument(kind=kind, storage_name=storage_name, original_name=name,
                           content_type="application/pdf", size=path.stat().st_size)
    proposal.documents.append(doc)
    db.session.flush()
    return doc


def document_path(doc: ProposalDocument) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / doc.storage_name


def remove_demo_proposals() -> None:
    """Start from no proposals at all (the seeded template has the demo ones)."""
    db.session.execute(delete(Proposal))
    db.session.commit()
