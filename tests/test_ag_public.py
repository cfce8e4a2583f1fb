"""Öffentliche and nicht öffentliche TOPs in the portal (issue 15 item 3): who sees N TOPs on the
meeting page, in the print view (a Niederschrift: Ö first, then N, signature lines, issue 18.19),
in the search, as Anlagen and in the report for the JHA; how TOPs get their Ö/N mark."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.ag.models import AgendaItem, MeetingAttachment, WorkingGroup
from portal.extensions import db
from tests.factories.ag import (GO_DECISION, build_ag, make_action, make_attachment, make_decision, make_item, meeting,
                                text)

CLOSED = "Personalangelegenheit Koordinationsstelle"
CLOSED_MINUTES = "Die Stelle wird intern besetzt."
CLOSED_DECISION = "Die AG stimmt der internen Besetzung zu."


@pytest.fixture
def ag(app):
    ag = build_ag(app)
    with app.app_context():
        second = meeting(ag, 2)
        item = make_item(second, CLOSED, minutes=CLOSED_MINUTES, public=False)
        make_decision(item, CLOSED_DECISION, yes=4)
        make_action(item, "Stellenausschreibung intern abstimmen", "Sprecher")
        make_attachment(second, item, "Stellenbeschreibung.pdf")
        db.session.commit()
    return ag


@pytest.mark.parametrize("role, sees", [("ag_mitglied", True), ("protokoll", True),
                                         ("leitung", False), ("admin", False)])
def test_nicht_oeffentliche_tops_are_for_members_only(app, client_as, ag, role, sees):
    client = client_as(role)
    for url in (ag.url(2), ag.url(2, "print")):
        page = text(client.get(url))
        for secret in (CLOSED, CLOSED_MINUTES, CLOSED_DECISION, "Stellenbeschreibung.pdf"):
            assert (secret in page) is sees, (role, url, secret)
        assert "Zielvorgabe 15 % Sozialraumangebote" in page  # the öffentliche part for everyone who sees the AG
    if not sees:
        assert "nicht öffentliche" in text(client.get(ag.url(2))).lower()
    # its open task neither on the AG page nor carried into the next meeting
    for url in (f"{ag.base}/", ag.url(3)):
        assert ("Stellenausschreibung intern abstimmen" in text(client.get(url))) is sees, (role, url)
    with app.app_context():
        attachment = db.session.scalar(select(MeetingAttachment.id).where(
            MeetingAttachment.original_name == "Stellenbeschreibung.pdf"))
    assert client.get(f"{ag.base}/attachments/{attachment}").status_code == (200 if sees else 404)
    found = text(client.get("/ag/search?q=intern", headers={"HX-Request": "true"}))
    assert (CLOSED in found) is sees


def test_non_members_and_anonymous_see_nothing_of_the_ag(client_as, ag):
    assert client_as("fachkraft").get(ag.url(2, "print")).status_code == 404
    assert client_as("anonymous").get(ag.url(2, "print")).status_code == 302


def test_print_view_is_a_niederschrift_oeffentlich_first_then_nicht_oeffentlich(app, client_as, ag):
    with app.app_context():  # the N TOP sits between two Ö TOPs on the agenda
        second = meeting(ag, 2)
        make_item(second, "Verschiedenes")
        db.session.commit()
    page = text(client_as("ag_mitglied").get(ag.url(2, "print")))
    public_part, closed_part = page.index('id="p-teil-oe"'), page.index('id="p-teil-n"')
    assert (public_part < page.index("TOP 1: Bericht aus dem Jugendhilfeausschuss") < page.index("TOP 4: Verschiedenes")
            < closed_part < page.index(f"TOP 3: {CLOSED}"))
    assert "nicht öffentlich" in page[closed_part:]
    for part in ("Unterschrift Sitzungsleitung", "Unterschrift Protokollführung", "Gedruckt am", "Anna Adler"):
        assert part in page
    # the Leitung's print has no nicht öffentlicher Teil at all
    leitung = text(client_as("leitung").get(ag.url(2, "print")))
    assert "Nicht öffentlicher Teil" not in leitung and "nur für die Mitglieder der AG sichtbar" in leitung


def test_new_tops_follow_the_ags_setting_and_can_be_switched(app, client_as, ag):
    client = client_as("protokoll")
    assert client.post(ag.url(3, "agenda"), data={"agenda-title": "Haushalt"}).status_code == 303
    with app.app_context():
        group = db.session.get(WorkingGroup, ag.group_id)
        assert group.agenda_public_default is False
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.title == "Haushalt"))
        assert item.public is False  # the AG's default: nicht öffentlich
        group.agenda_public_default = True
        db.session.commit()
        item_id, version = item.id, item.version
    assert client.post(ag.url(3, "agenda"), data={"agenda-title": "Bericht"}).status_code == 303
    assert client.post(ag.url(3, "agenda"), data={"agenda-title": "Vertrag", "agenda-public": "n"}).status_code == 303
    page = text(client.get(ag.url(3)))
    assert "öffentlich (Ö)" in page  # the add form's choice
    # switch the first one to Ö where TOPs are edited
    response = client.post(ag.url(3, f"agenda/{item_id}"), data={
        "title": "Haushalt", "description": "", "minutes": "", "public": "oe", "version": str(version)})
    assert response.status_code == 303
    with app.app_context():
        public = dict(db.session.execute(select(AgendaItem.title, AgendaItem.public)
                                         .where(AgendaItem.title.in_(["Haushalt", "Bericht", "Vertrag"]))).all())
    assert public == {"Haushalt": True, "Bericht": True, "Vertrag": False}


def test_the_ag_setting_is_saved_from_the_ag_form(app, client_as, ag):
    client = client_as("admin")
    form = {"name": "AG Prüf – Arbeitsgemeinschaft für Tests", "short_name": "AG Prüf", "slug": "pruef",
            "description": "", "rules": "", "agenda_public_default": "y"}
    assert client.post(f"{ag.base}/edit", data=form).status_code == 303
    with app.app_context():
        assert db.session.get(WorkingGroup, ag.group_id).agenda_public_default is True
    assert "Neue TOPs sind öffentlich (Ö)" in text(client.get(f"{ag.base}/edit"))


def test_the_jha_report_leaves_out_nicht_oeffentliche_decisions(app, ag):
    from datetime import date

    from portal.reports.data import Period, Report, section_ag

    with app.app_context():
        report = Report(period=Period(date(2026, 1, 1), date(2026, 12, 31), "2026"), sozialraeume=[], sections=[])
        section_ag(report, [])
        decisions = [d.text for m in report.meetings for d in m.decisions]
    assert GO_DECISION in decisions and CLOSED_DECISION not in decisions
