"""Factories for Projektanträge in tests: a complete proposal in any state, without HTTP."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.org.models import Sozialraum, Traeger
from portal.proposals.models import Indicator, Proposal, ProposalState


def make_proposal(state: ProposalState = ProposalState.ENTWURF, traeger: str = "AWO", raum: str = "nord",
                  title: str = "Spielenachmittag im Stadtteil", **values) -> Proposal:
    """A complete Formblatt of ``traeger`` in Sozialraum ``raum`` put directly into ``state``; flushed."""
    t = db.session.scalar(select(Traeger).where(Traeger.short_name == traeger))
    s = db.session.scalar(select(Sozialraum).where(Sozialraum.slug == raum))
    defaults = dict(
        title=title, target_group="Kinder 6–12 Jahre", content="Spielen, basteln, draußen sein.",
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


def proposal_id(title: str) -> int:
    return db.session.scalar(select(Proposal.id).where(Proposal.title == title))
