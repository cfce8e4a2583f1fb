"""Öffentliche / nicht öffentliche TOPs in a real browser (issue 15 item 3): the Protokoll marks a TOP
nicht öffentlich; a member's Niederschrift shows the öffentliche part first, then the nicht
öffentliche one; the Leitung, who sees the AG without being a member, does not see the N TOP."""
import re

import pytest
from playwright.sync_api import expect

from portal.ag.models import MinutesStatus
from portal.extensions import db
from tests.browser.conftest import check_page
from tests.factories.ag import build_ag, meeting


@pytest.fixture
def ag(live_server):
    return build_ag(live_server.app)


def test_a_top_marked_nicht_oeffentlich_is_printed_last_and_only_for_members(page_as, live_server, ag):
    protokoll = page_as("protokoll")
    protokoll.goto(ag.url(3))
    top = protokoll.get_by_role("region", name=re.compile(r"^TOP 2:"))
    top.get_by_role("link", name=re.compile("^Bearbeiten")).click()
    check_page(protokoll)
    protokoll.get_by_label("Öffentlichkeit").select_option(label="nicht öffentlich (N)")
    protokoll.get_by_role("button", name="Speichern").click()
    top = protokoll.get_by_role("region", name=re.compile(r"^TOP 2:"))
    expect(top.get_by_text("nicht öffentlich")).to_be_attached()
    with live_server.app.app_context():  # the minutes are published (their lifecycle is tested elsewhere)
        m = meeting(ag, 3)
        m.minutes_status = MinutesStatus.VEROEFFENTLICHT
        db.session.commit()

    member = page_as("ag_mitglied")
    member.goto(ag.url(3, "print"))
    check_page(member)
    body = member.locator("article.niederschrift").inner_text()
    public_part = body.index("Öffentlicher Teil\nTOP 1")
    closed_part = body.index("Nicht öffentlicher Teil", public_part)
    assert public_part < body.index("TOP 3: Verschiedenes") < closed_part < body.index("TOP 2: Jugendhilfeplanung")
    expect(member.get_by_role("heading", name=re.compile(r"TOP 2: Jugendhilfeplanung.*nicht öffentlich"))).to_be_visible()
    expect(member.get_by_text("Unterschrift Protokollführung")).to_be_visible()

    leitung = page_as("leitung")
    leitung.goto(ag.url(3, "print"))
    check_page(leitung)
    expect(leitung.get_by_text("Jugendhilfeplanung")).to_have_count(0)
    expect(leitung.get_by_text("Der nicht öffentliche Teil ist nur für die Mitglieder der AG sichtbar.")).to_be_visible()
