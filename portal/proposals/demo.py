"""Demo data of Projektanträge: the four published projects of DOMAIN.md (approved), one in
Rückfrage, one draft, one rejected, one waiting for the Leitung, and a year of HzE hours.

Idempotent: proposals are looked up by title, HzE hours by (Sozialraum, month). Every proposal
goes through the real state machine, so timelines and snapshots look as they would in use.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.proposals import workflow
from portal.proposals.models import HzeHours, Indicator, Proposal, ProposalComment
from portal.proposals.workflow import Action
from portal.text import render_markdown

DEMO_YEAR = 2026

#: Hours of ambulant HzE per month; Nord and Mitte/Süd from the evaluation of 31.07.2019
#: (SPFH § 31: Nord 1507.6 h; Mitte 785.3 h + Süd 826.42 h), West invented in that range.
HZE_BASE = {"nord": 1507.6, "mitte-sued": 785.3 + 826.42, "west": 1120.0}
#: Seasonal factor per month (July = 1.0 so July matches the published figure).
HZE_SEASON = [0.96, 0.97, 1.02, 1.01, 0.99, 1.03, 1.0, 0.9, 1.04, 1.05, 1.02, 0.94]

APPLICANTS = {"AWO": "fachkraft@awo.example", "Caritas": "fachkraft@caritas.example",
              "Diakonie": "ag.mitglied@portal.example"}

PROPOSALS = [
    dict(title="Ver-rücktes Leben", raum="nord", traeger="Caritas", ortsteile=["Schöndorf"],
         target_group="Mütter mit psychischen Belastungen oder Suchterfahrung",
         content="Wöchentliche offene Gruppe im Stadtteilbüro Nord: Austausch, Entlastung und gemeinsame "
                 "Aktivitäten, begleitet von einer Fachkraft. Kinderbetreuung während der Treffen.",
         hours=3, start=date(2026, 2, 1), end=date(2027, 1, 31),
         effect="Mütter finden Anschluss im Stadtteil und nehmen Hilfen früher an; weniger Krisen, die zu "
                "Einzelfallhilfen führen.",
         indicators=[("Teilnehmende Mütter pro Treffen", "anonyme Strichliste", "0", "6"),
                     ("Weitervermittlungen an Beratungsstellen", "Zählung der Fachkraft", "0", "10 im Jahr")],
         contact="Lena Wolf, Caritas, Tel. 03643 000-21", flow="approved"),
    dict(title="Markt der Möglichkeiten", raum="nord", traeger="AWO", ortsteile=[],
         target_group="Familien im Stadtteil, die praktische Hilfe im Alltag suchen",
         content="Offener Treff mit praktischer Alltagshilfe: Formulare, Reparaturen, Tauschbörse, "
                 "Tipps zu Behördengängen – Nachbarinnen helfen Nachbarn.",
         hours=4, start=date(2026, 1, 1), end=date(2026, 12, 31),
         effect="Familien lösen Alltagsprobleme mit Hilfe der Nachbarschaft, bevor daraus ein Hilfebedarf wird.",
         indicators=[("Besuche pro Monat", "Strichliste am Eingang", "0", "40"),
                     ("Ehrenamtliche Helfende", "Liste der Aktiven", "2", "8")],
         contact="Thomas Becker, AWO, thomas.becker@awo.example", flow="approved",
         conditions="Bitte nach sechs Monaten kurz über die Besuchszahlen berichten.", documents=True),
    dict(title="Wir sprechen deutsch", raum="mitte-sued", traeger="Diakonie", ortsteile=[],
         target_group="Türkische Frauengruppe, 10–20 Frauen",
         content="Gesprächsgruppe: Deutsch im Alltag sprechen – Einkauf, Schule, Arzt, Amt. Treffen im "
                 "Stadtteilbüro Mitte/Süd.",
         hours=2, start=date(2026, 3, 1), end=date(2027, 2, 28),
         effect="Mehr Sicherheit im Alltag und in Kontakten mit Schule und Kita; Frauen werden zu "
                "Ansprechpartnerinnen für andere Familien.",
         indicators=[("Teilnehmende pro Treffen", "Strichliste", "0", "12"),
                     ("Selbsteinschätzung Sprachsicherheit", "Kurzbefragung (1–5) zu Beginn und Ende", "2", "4")],
         contact="Martin Hoffmann, Diakonie", flow="approved"),
    dict(title="Was geht ab in meinem Stadtteil?", raum="mitte-sued", traeger="AWO", ortsteile=["Ehringsdorf"],
         target_group="Kinder 6–12 Jahre mit ihren Familienhelfer:innen",
         content="Familienhelfer:innen erkunden mit Kindern den Stadtteil: Spielplätze, Bibliothek, "
                 "Vereine, Jugendclub. Die Kinder gestalten eine Stadtteilkarte.",
         hours=3, start=date(2026, 4, 1), end=date(2027, 3, 31),
         effect="Kinder kennen Angebote in ihrem Stadtteil und nutzen sie auch nach dem Ende der Hilfe.",
         indicators=[("Kinder, die ein Angebot im Stadtteil neu nutzen", "Abfrage in der Gruppe", "0", "8")],
         contact="Thomas Becker, AWO", flow="approved"),
    dict(title="Familiencafé Schöndorf", raum="nord", traeger="AWO", ortsteile=["Schöndorf"],
         target_group="Familien mit Kindern unter 6 Jahren",
         content="Ein Familiencafé jeden Freitagnachmittag im Gemeindehaus Schöndorf.",
         hours=2.5, start=date(2026, 9, 1), end=date(2027, 8, 31),
         effect="Mehr Vernetzung der Familien im Ortsteil.",
         indicators=[("Mehr Vernetzung", "Beobachtung", "", "")],
         contact="Thomas Becker, AWO", flow="query",
         query="Bitte präzisiert die Wirkungsindikatoren: Woran messt ihr „mehr Vernetzung“? Und wer stellt "
               "die Räume im Gemeindehaus?"),
    dict(title="Elternfrühstück Legefeld", raum="mitte-sued", traeger="AWO", ortsteile=["Legefeld"],
         target_group="Eltern im Ortsteil Legefeld", content="", hours=None, start=None, end=None,
         effect="", indicators=[], contact="Thomas Becker, AWO", flow="draft"),
    dict(title="Ferienfahrt an die Ostsee", raum="west", traeger="Caritas", ortsteile=[],
         target_group="Jugendliche 12–16 Jahre", content="Eine Woche Ferienfahrt mit zehn Jugendlichen.",
         hours=20, start=date(2026, 7, 6), end=date(2026, 7, 12),
         effect="Gemeinschaftserlebnis und Stärkung der Gruppe.",
         indicators=[("Teilnehmende", "Anmeldeliste", "0", "10")], contact="Lena Wolf, Caritas", flow="rejected",
         reason="Eine einmalige Ferienfahrt ist kein Angebot im Sozialraum. Gern als regelmäßiges "
                "Gruppenangebot im Stadtteil neu beantragen."),
    dict(title="Hobby-Horse-Gruppe Taubach", raum="mitte-sued", traeger="Caritas", ortsteile=["Taubach"],
         target_group="Kinder 6–10 Jahre aus Taubach und Umgebung",
         content="Wöchentliche Hobby-Horse-Gruppe mit Ehrenamtlichen aus dem Ortsteil; eine Fachkraft "
                 "begleitet und bindet Familien an.",
         hours=1.5, start=date(2026, 10, 1), end=date(2027, 9, 30),
         effect="Kinder und Eltern aus dem Ortsteil lernen sich kennen; Ehrenamtliche werden gestärkt.",
         indicators=[("Kinder pro Treffen", "Strichliste", "0", "8")], contact="Lena Wolf, Caritas",
         flow="submitted"),
]


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 30), tzinfo=timezone.utc)


def _create(spec: dict, applicant: User, leitung: User) -> None:
    raum = db.session.scalar(select(Sozialraum).where(Sozialraum.slug == spec["raum"]))
    traeger = db.session.scalar(select(Traeger).where(Traeger.short_name == spec["traeger"]))
    created = _at((spec["start"] or date(DEMO_YEAR, 11, 1)) - timedelta(days=60))
    p = Proposal(title=spec["title"], sozialraum=raum, sozialraum_id=raum.id, traeger=traeger,
                 traeger_id=traeger.id, target_group=spec["target_group"], content=spec["content"],
                 hours_per_week=spec["hours"], starts_on=spec["start"], ends_on=spec["end"],
                 expected_effect=spec["effect"], contact_person=spec["contact"], created_by_id=applicant.id,
                 created_at=created, updated_at=created,
                 ortsteile=list(db.session.scalars(select(Ortsteil).where(Ortsteil.name.in_(spec["ortsteile"])))),
                 indicators=[Indicator(position=i, indicator=a, method=b, baseline=c, target=d)
                             for i, (a, b, c, d) in enumerate(spec["indicators"])])
    workflow.record_creation(p, applicant, at=created)
    db.session.add(p)
    db.session.flush()
    flow = spec["flow"]
    if flow == "draft":
        return
    submitted = created + timedelta(days=14)
    if flow == "submitted":  # waiting a few days, so the inbox shows an age
        submitted = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=4)
    workflow.transition(p, Action.SUBMIT, applicant, version=None, at=submitted)
    decided = submitted + timedelta(days=9)
    if flow == "approved":
        workflow.transition(p, Action.APPROVE, leitung, version=None, at=decided,
                            comment="Passt gut zum Fachkonzept; freigegeben.",
                            conditions=spec.get("conditions", ""), documents_requested=spec.get("documents", False))
    elif flow == "rejected":
        workflow.transition(p, Action.REJECT, leitung, version=None, at=decided, comment=spec["reason"])
    elif flow == "query":
        workflow.transition(p, Action.QUERY, leitung, version=None, at=decided, comment=spec["query"])
        body = "Die Räume stellt die Kirchgemeinde, das ist schon abgesprochen. Die Indikatoren überarbeiten wir."
        p.comments.append(ProposalComment(author_id=applicant.id, body=body, body_html=str(render_markdown(body)),
                                          created_at=decided + timedelta(days=1)))
    db.session.flush()


def seed_hze_hours() -> None:
    raeume = {s.slug: s for s in db.session.scalars(select(Sozialraum))}
    existing = {(h.sozialraum_id, h.month) for h in db.session.scalars(select(HzeHours))}
    rows = [(slug, date(DEMO_YEAR, m + 1, 1), round(base * HZE_SEASON[m], 2))
            for slug, base in HZE_BASE.items() for m in range(12)]
    # (the published 2019 evaluation figures are the July values above; no stray 2019 year in the selector)
    for slug, month, hours in rows:
        raum = raeume.get(slug)
        if raum is not None and (raum.id, month) not in existing:
            db.session.add(HzeHours(sozialraum_id=raum.id, month=month, hours=hours))


def seed(password: str, reset_passwords: bool = False) -> None:
    leitung = _user("leitung@portal.example")
    if leitung is None:
        return
    existing = set(db.session.scalars(select(Proposal.title)))
    for spec in PROPOSALS:
        applicant = _user(APPLICANTS[spec["traeger"]])
        if spec["title"] in existing or applicant is None:
            continue
        _create(spec, applicant, leitung)
    seed_hze_hours()
    db.session.commit()
