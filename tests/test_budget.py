"""Kinder- und Jugendbudget: requests, decisions, bookings with receipts, never overspent (also
with real parallel requests), overview, CSV, board banner, query counts."""
import io
import threading

import pytest
from sqlalchemy import func, select

from portal.budget import services
from portal.budget.models import Booking, Budget, BudgetRequest, RequestState
from portal.budget.money import euro, euro_short, parse_euro
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db
from portal.formatting import jetzt
from tests.conftest import get_user, login, ROLE_LOGINS
from tests.factories.budget import make_budget, make_request, ortsteil

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def receipt(name="beleg.pdf", content=PDF):
    return (io.BytesIO(content), name)


@pytest.mark.parametrize("text,cents", [("250", 25000), ("238,40", 23840), ("1.234,5", 123450), ("12 €", 1200),
                                        ("0,99", 99)])
def test_amounts_are_read_the_german_way(text, cents):
    assert parse_euro(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1,234", "12.5", "-3", "1e5", "9" * 20])
def test_nonsense_is_no_amount(text):
    assert parse_euro(text) is None


def test_amounts_are_shown_the_german_way():
    assert euro(123450) == "1.234,50 €"
    assert euro_short(84000) == "840 €"
    assert euro(-2384) == "-23,84 €"


# --- the whole way through the web ---------------------------------------------------------------

def test_volunteer_asks_coordinator_approves_volunteer_books_and_the_rest_returns(app, client_as):
    year = jetzt().year
    with app.app_context():
        budget = make_budget("taubach", None)  # the demo's amount, 1.440 € still free
        db.session.commit()
        before_left = budget.left_cents
    volunteer, leitung = client_as("ehrenamt"), client_as("leitung")
    r = volunteer.post("/budget/taubach/new", data={"purpose": "Kochtöpfe für die Backgruppe", "amount": "250",
                                                    "age_group": "8–12 Jahre", "participants": "14"})
    assert r.status_code == 303
    request_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    with app.app_context():
        version = db.session.get(BudgetRequest, request_id).version
    assert leitung.post(f"/budget/requests/{request_id}/decide",
                        data={"action": "freigegeben", "version": version}).status_code == 303
    with app.app_context():
        req = db.session.get(BudgetRequest, request_id)
        assert req.state == RequestState.FREIGEGEBEN and req.budget.left_cents == before_left - 25000
        version = req.version
    r = volunteer.post(f"/budget/requests/{request_id}/book",
                       data={"version": version, "amount": "238,40", "receipt": receipt()},
                       content_type="multipart/form-data")
    assert r.status_code == 303
    with app.app_context():
        req = db.session.get(BudgetRequest, request_id)
        assert req.state == RequestState.ABGERECHNET and req.booked_cents == 23840
        assert req.budget.left_cents == before_left - 23840  # 11,60 € went back
        assert req.budget.year == year
        left = req.budget.left_cents
        booking_id = req.bookings[0].id
    page = volunteer.get("/board/taubach").get_data(as_text=True)
    assert f"Budget {year}: noch {euro_short(left)} frei" in page
    assert volunteer.get(f"/budget/requests/{request_id}/bookings/{booking_id}/receipt").data == PDF
    assert client_as("ehrenamt_legefeld").get(f"/budget/requests/{request_id}/bookings/{booking_id}/receipt"
                                              ).status_code == 404
    history = volunteer.get(f"/budget/requests/{request_id}").get_data(as_text=True)
    assert "freigegeben" in history and "gebucht" in history


def test_a_wrong_amount_keeps_the_input_with_422(client_as):
    r = client_as("ehrenamt").post("/budget/taubach/new", data={"purpose": "Bälle", "amount": "zwölf"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="Bälle"' in html and 'value="zwölf"' in html and 'aria-invalid="true"' in html


def test_a_receipt_that_is_no_pdf_is_refused(app, client_as):
    with app.app_context():
        req = make_request("taubach", 100, state=RequestState.FREIGEGEBEN)
        db.session.commit()
        rid, version = req.id, req.version
    r = client_as("ehrenamt").post(f"/budget/requests/{rid}/book",
                                   data={"version": version, "amount": "90", "receipt": receipt("x.pdf", b"MZ...")},
                                   content_type="multipart/form-data")
    assert r.status_code == 422 and "kein gültiges PDF" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(BudgetRequest, rid).state == RequestState.FREIGEGEBEN


def test_legefeld_volunteer_neither_sees_nor_acts_on_taubach_requests(app, client_as):
    with app.app_context():
        req = make_request("taubach", 100)
        db.session.commit()
        rid = req.id
    other = client_as("ehrenamt_legefeld")
    assert other.get(f"/budget/requests/{rid}").status_code == 404
    assert other.post(f"/budget/requests/{rid}/decide", data={"action": "freigegeben"}).status_code == 404
    assert other.post("/budget/taubach/new", data={"purpose": "x", "amount": "5"}).status_code == 403
    listing = other.get("/budget/").get_data(as_text=True)
    assert req.purpose not in listing and "Taubach" not in listing


# --- operations ----------------------------------------------------------------------------------

def test_return_and_reject_need_a_reason_and_are_recorded(app):
    with app.app_context():
        req = make_request("taubach", 100)
        leitung = get_user("leitung")
        with pytest.raises(Invalid):
            services.decide(leitung, req, "rueckfrage", version=req.version, reason=" ")
        services.decide(leitung, req, "rueckfrage", version=req.version, reason="Für wie viele Kinder?")
        services.answer(get_user("ehrenamt"), req, version=req.version, text="Für 12.", amount_cents=8000)
        services.decide(leitung, req, "abgelehnt", version=req.version, reason="Passt nicht zum Zweck.")
        assert [(e.action, e.actor.display_name, e.reason) for e in req.events][1:] == [
            ("rueckfrage", "Dr. Karin Lehmann", "Für wie viele Kinder?"),
            ("beantwortet", "Anna Krause", "Für 12."),
            ("abgelehnt", "Dr. Karin Lehmann", "Passt nicht zum Zweck.")]
        assert req.amount_cents == 8000
        with pytest.raises(Conflict):
            services.decide(leitung, req, "freigegeben", version=req.version)


def test_koordination_decides_only_in_its_own_sozialraum(app):
    with app.app_context():
        req = make_request("taubach", 100)
        with pytest.raises(NotAllowed):
            services.decide(get_user("koordination"), req, "freigegeben", version=req.version)  # Nord
        nord = make_request("schoendorf", 100, author="koordination.nord@portal.example")
        services.decide(get_user("koordination"), nord, "freigegeben", version=nord.version)
        assert nord.state == RequestState.FREIGEGEBEN


def test_a_stale_decision_is_a_conflict(app):
    with app.app_context():
        req = make_request("taubach", 100)
        with pytest.raises(Conflict):
            services.decide(get_user("leitung"), req, "freigegeben", version=req.version - 1)


def test_approval_that_does_not_fit_is_refused_and_nothing_is_bound(app):
    with app.app_context():
        budget = make_budget("gelmeroda", 500, year=2040)
        req = make_request("gelmeroda", 600, year=2040, budget_euros=500)
        db.session.commit()
        with pytest.raises(Conflict, match="reicht"):
            services.decide(get_user("leitung"), req, "freigegeben", version=req.version)
        db.session.rollback()
        assert db.session.get(Budget, budget.id).committed_cents == 0
        assert db.session.get(BudgetRequest, req.id).state == RequestState.EINGEREICHT


def test_booking_more_than_approved_must_still_fit(app):
    with app.app_context():
        make_budget("gelmeroda", 100, year=2040)
        req = make_request("gelmeroda", 90, year=2040, state=RequestState.FREIGEGEBEN, budget_euros=100)
        db.session.commit()
        from werkzeug.datastructures import FileStorage
        with app.test_request_context():
            with pytest.raises(Conflict):
                services.book(get_user("leitung"), req,
                              version=req.version, amount_cents=12000,
                              receipt=FileStorage(io.BytesIO(PDF), "b.pdf"))


def test_a_booking_is_corrected_only_by_a_counter_booking(app):
    with app.app_context():
        make_budget("gelmeroda", 1000, year=2040)
        req = make_request("gelmeroda", 300, year=2040, state=RequestState.FREIGEGEBEN, budget_euros=1000)
        leitung = get_user("leitung")
        from werkzeug.datastructures import FileStorage
        with app.test_request_context():
            booking = services.book(leitung, req, version=req.version, amount_cents=25000,
                                    receipt=FileStorage(io.BytesIO(PDF), "b.pdf"))
            assert (req.budget.committed_cents, req.budget.spent_cents) == (25000, 25000)
            services.counter_book(leitung, req, booking, version=req.version, reason="Falscher Betrag")
            assert (req.budget.committed_cents, req.budget.spent_cents) == (30000, 0)
            assert [b.amount_cents for b in db.session.scalars(select(Booking).where(Booking.request_id == req.id))
                    ] == [25000, -25000]
            assert req.state == RequestState.FREIGEGEBEN
            with pytest.raises(Conflict):
                req.state = RequestState.ABGERECHNET
                services.counter_book(leitung, req, booking, version=req.version, reason="noch mal")


def test_budget_cannot_be_set_below_what_is_bound(app):
    with app.app_context():
        make_budget("gelmeroda", 1000, year=2040)
        req = make_request("gelmeroda", 600, year=2040, state=RequestState.FREIGEGEBEN, budget_euros=1000)
        with pytest.raises(Invalid):
            services.set_amount(get_user("leitung"), ortsteil("gelmeroda"), 2040, 50000)


def test_copy_last_year_takes_over_the_amounts_once(app, client_as):
    with app.app_context():
        make_budget("gelmeroda", 1234, year=2040)
        make_budget("taubach", 2000, year=2040)
        make_budget("taubach", 999, year=2041)
        db.session.commit()
    assert client_as("leitung").post("/budget/copy?jahr=2041").status_code == 303
    with app.app_context():
        amounts = dict(db.session.execute(select(Budget.ortsteil_id, Budget.amount_cents).where(Budget.year == 2041)).all())
        assert amounts == {ortsteil("gelmeroda").id: 123400, ortsteil("taubach").id: 99900}
    assert client_as("ehrenamt").post("/budget/copy?jahr=2041").status_code == 403


# --- never overspent, with real parallel requests --------------------------------------------------

def _parallel(app, n, make_call):
    clients = [app.test_client() for _ in range(n)]
    for c in clients:
        login(c, ROLE_LOGINS["leitung"])
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        results[i] = make_call(clients[i], i).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_parallel_approvals_never_exceed_the_budget(app):
    n = 6
    with app.app_context():
        budget = make_budget("gelmeroda", 1000, year=2040)
        reqs = [make_request("gelmeroda", 300, year=2040, budget_euros=1000) for _ in range(n)]
        db.session.commit()
        ids = [(r.id, r.version) for r in reqs]
        bid = budget.id
    results = _parallel(app, n, lambda c, i: c.post(f"/budget/requests/{ids[i][0]}/decide",
                                                    data={"action": "freigegeben", "version": ids[i][1]}))
    assert sorted(results) == [303, 303, 303, 409, 409, 409], results
    with app.app_context():
        budget = db.session.get(Budget, bid)
        assert budget.committed_cents == 90000 <= budget.amount_cents
        approved = db.session.scalar(select(func.count()).select_from(BudgetRequest).where(
            BudgetRequest.budget_id == bid, BudgetRequest.state == RequestState.FREIGEGEBEN))
        assert approved == 3


def test_two_parallel_decisions_on_one_request_bind_its_money_once(app):
    with app.app_context():
        budget = make_budget("gelmeroda", 1000, year=2040)
        req = make_request("gelmeroda", 300, year=2040, budget_euros=1000)
        db.session.commit()
        rid, version, bid = req.id, req.version, budget.id
    results = _parallel(app, 2, lambda c, i: c.post(f"/budget/requests/{rid}/decide",
                                                    data={"action": "freigegeben", "version": version}))
    assert sorted(results) == [303, 409], results
    with app.app_context():
        assert db.session.get(Budget, bid).committed_cents == 30000


# --- overview, CSV, print, query counts --------------------------------------------------------------

def test_overview_shows_budget_approved_spent_and_left(app, client_as):
    with app.app_context():
        make_budget("gelmeroda", 2500, year=2040)
        make_request("gelmeroda", 300, year=2040, state=RequestState.FREIGEGEBEN)
        db.session.commit()
    html = client_as("leitung").get("/budget/?jahr=2040").get_data(as_text=True)
    assert "2.500,00 €" in html and "300,00 €" in html and "2.200,00 €" in html and "<svg" in html


def test_csv_export_follows_german_excel_conventions(app, client_as):
    with app.app_context():
        make_budget("gelmeroda", 1234, year=2040)
        db.session.commit()
    r = client_as("leitung").get("/budget/export.csv?jahr=2040")
    body = r.data.decode("utf-8")
    assert body.startswith("\ufeffJahr;Ortsteil;")
    assert "2040;Gelmeroda;Mitte/Süd;1.234,00;0,00;0,00;1.234,00" in body
    assert r.headers["Content-Disposition"].startswith("attachment")


def test_csv_neutralises_formulas(app, client_as):
    from portal.org.models import Ortsteil

    with app.app_context():
        db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach")).name = "=HYPERLINK(1)"
        db.session.commit()
    csv_text = client_as("leitung").get("/budget/export.csv").get_data(as_text=True)
    assert ";'=HYPERLINK(1);" in csv_text and ";=HYPERLINK" not in csv_text
    assert ";Legefeld;" in csv_text


def test_print_view_is_the_jahresbilanz(client_as):
    html = client_as("leitung").get("/budget/print").get_data(as_text=True)
    assert "Jahresbilanz" in html and "Herd" in html


def test_demo_has_eight_ortsteile_with_about_21000_euros(app):
    with app.app_context():
        year = jetzt().year
        rows = db.session.scalars(select(Budget).where(Budget.year == year)).all()
        assert len(rows) == 8 and sum(b.amount_cents for b in rows) == 2_100_000
        purposes = set(db.session.scalars(select(BudgetRequest.purpose)))
        assert any("Herd" in p for p in purposes) and any("Hobby-Horse" in p for p in purposes)
        for b in rows:
            assert 0 <= b.spent_cents <= b.committed_cents <= b.amount_cents


@pytest.mark.parametrize("role,path", [("leitung", "/budget/"), ("ehrenamt", "/board/taubach"),
                                       ("leitung", "/budget/print")])
def test_overview_and_banner_take_a_fixed_number_of_queries(app, client_as, count_queries, role, path):
    c = client_as(role)
    c.get(path)
    with count_queries() as few:
        assert c.get(path).status_code == 200
    with app.app_context():
        for _ in range(30):
            make_request("taubach", 1)
        db.session.commit()
    c.get(path)  # the write renewed the kept layout facts (portal.navigation): counted once, then kept
    with count_queries() as many:
        assert c.get(path).status_code == 200
    assert many.count == few.count, many.statements


def test_requests_list_is_keyset_paginated(app, client_as):
    app.config["PAGE_SIZE"] = 50
    with app.app_context():
        made = [make_request("gelmeroda", 1, year=2040).purpose for _ in range(55)]
        db.session.commit()
    c = client_as("leitung")
    first = c.get("/budget/?jahr=2040").get_data(as_text=True)
    import re
    link = re.search(r'href="([^"]*nach=\d+[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = c.get(link).get_data(as_text=True)
    assert made[-1] + "<" in first and made[0] + "<" in second and made[0] + "<" not in first
