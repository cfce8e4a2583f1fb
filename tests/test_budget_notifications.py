"""Budget requests notify: filed or answered -> the Koordination of the Ortsteil's Sozialraum;
approved, returned or rejected -> the volunteer who asked (with the reason). The overview's phone
table labels every cell."""
import re

import pytest
from sqlalchemy import select

from portal.auth.models import Role, User
from portal.budget import services
from portal.extensions import db
from portal.notifications.models import Notification, OutboxMail
from tests.conftest import get_user, login
from tests.factories.budget import make_budget, ortsteil

PASSWORD = "Schöndorf backt am Samstag Brot"


@pytest.fixture
def volunteer(app):
    """A volunteer of Schöndorf (Sozialraum Nord, the demo Koordination's)."""
    from portal.security import hash_password

    with app.app_context():
        user = User(email="vera@example.org", display_name="Vera Vogt", password_hash=hash_password(PASSWORD))
        user.set_roles([Role.EHRENAMT])
        user.ortsteile = [ortsteil("schoendorf")]
        db.session.add(user)
        budget = make_budget("schoendorf", None)
        budget.amount_cents = budget.committed_cents + 100_000  # 1.000 € free, whatever the demo bound
        db.session.commit()
        return user.id


def _notes(app, user_id, kind):
    with app.app_context():
        return db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                             Notification.kind == kind)).all()


def _file(app, volunteer, purpose="Backofen für die Kindergruppe", euros=250):
    with app.app_context():
        user = db.session.get(User, volunteer)
        req = services.file_request(user, ortsteil("schoendorf"), make_budget("schoendorf", None).year,
                                    services.RequestValues(purpose=purpose, description="", age_group="6–12 Jahre",
                                                           participants=12, amount_cents=euros * 100, needed_on=None))
        db.session.commit()
        return req.id


def test_a_filed_request_reaches_the_coordination_of_its_sozialraum(app, volunteer):
    rid = _file(app, volunteer)
    with app.app_context():
        koord = get_user("koordination")
        [entry] = db.session.scalars(select(Notification).where(Notification.user_id == koord.id,
                                                                Notification.kind == "budget_request_waiting")).all()
        assert "Vera Vogt (Schöndorf)" in entry.text and "Backofen für die Kindergruppe" in entry.text
        assert entry.url == f"/budget/requests/{rid}"
        assert db.session.scalar(select(OutboxMail).where(OutboxMail.to_address == koord.email,
                                                          OutboxMail.kind == "budget_request_waiting"))
        # nobody else hears of it; the volunteer herself neither
        others = db.session.scalars(select(Notification.user_id).where(
            Notification.kind == "budget_request_waiting")).all()
        assert others == [koord.id]


def test_a_request_of_another_sozialraum_does_not_reach_this_coordination(app, client_as):
    with app.app_context():
        make_budget("taubach", 1000)
        db.session.commit()
    taubach = client_as("ehrenamt")  # Taubach lies in Mitte/Süd
    r = taubach.post("/budget/taubach/new", data={"purpose": "Bastelmaterial", "amount": "80",
                                                  "age_group": "6–10 Jahre", "participants": "8"})
    assert r.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Notification).where(Notification.kind == "budget_request_waiting")) is None


@pytest.mark.parametrize("action, reason, words", [
    ("freigegeben", "", "ist freigegeben"),
    ("rueckfrage", "Für wie viele Kinder genau?", "hat eine Rückfrage"),
    ("abgelehnt", "Das zahlt schon der Verein.", "wurde abgelehnt"),
])
def test_the_decision_reaches_the_volunteer_who_asked(app, volunteer, client_as, action, reason, words):
    rid = _file(app, volunteer)
    with app.app_context():
        version = db.session.get(services.BudgetRequest, rid).version
    r = client_as("koordination").post(f"/budget/requests/{rid}/decide",
                                       data={"action": action, "reason": reason, "version": str(version)})
    assert r.status_code == 303
    [entry] = _notes(app, volunteer, "budget_request_decided")
    assert words in entry.text and entry.detail == reason and entry.url == f"/budget/requests/{rid}"
    with app.app_context():  # the deciding Koordination is not told about its own decision
        assert _notes(app, get_user("koordination").id, "budget_request_decided") == []


def test_an_answered_rueckfrage_reaches_the_coordination_again(app, volunteer):
    rid = _file(app, volunteer)
    with app.app_context():
        req = db.session.get(services.BudgetRequest, rid)
        services.decide(get_user("koordination"), req, "rueckfrage", version=req.version, reason="Wofür genau?")
        db.session.commit()
        services.answer(db.session.get(User, volunteer), req, version=req.version, text="Für die Backgruppe.",
                        amount_cents=None)
        db.session.commit()
        koord = get_user("koordination").id
    entries = _notes(app, koord, "budget_request_waiting")
    assert [e.text.endswith("beantwortet") for e in entries] == [False, True]
    assert entries[1].detail == "Für die Backgruppe."


def test_a_losing_decision_leaves_no_notification(app, volunteer, client_as):
    rid = _file(app, volunteer)
    with app.app_context():
        version = db.session.get(services.BudgetRequest, rid).version
    koord = client_as("koordination")
    assert koord.post(f"/budget/requests/{rid}/decide", data={"action": "freigegeben", "version": str(version)}
                      ).status_code == 303
    stale = koord.post(f"/budget/requests/{rid}/decide",
                       data={"action": "abgelehnt", "reason": "zu spät", "version": str(version)})
    assert stale.status_code == 409
    assert [e.text for e in _notes(app, volunteer, "budget_request_decided")] == [
        "Dein Budget-Antrag „Backofen für die Kindergruppe“ ist freigegeben"]


def test_settings_offer_the_budget_kinds_to_whom_they_concern(client_as):
    assert "Budget-Antrag eingereicht" in client_as("koordination").get("/notifications/settings").get_data(as_text=True)
    volunteer_page = client_as("ehrenamt").get("/notifications/settings").get_data(as_text=True)
    assert "Entscheidung oder Rückfrage zu meinem Budget-Antrag" in volunteer_page
    assert "Budget-Antrag eingereicht" not in volunteer_page


def test_overview_cells_say_what_they_are_on_the_phone(app, client_as):
    with app.app_context():
        make_budget("schoendorf", 1000)
        db.session.commit()
    html = client_as("koordination").get("/budget/").get_data(as_text=True)
    table = html[html.index('id="budget-table"'):]
    table = table[:table.index("</table>")]
    body = table[table.index("<tbody>"):table.index("</tbody>")]
    cells = re.findall(r"<td([^>]*)>", body)
    assert cells and all("data-label=" in attrs for attrs in cells if "no-print" not in attrs), cells
    css = app.open_resource("../static/css/portal.css").read().decode()
    assert ".budget-table td[data-label]::before" in css
