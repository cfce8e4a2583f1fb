"""Routes of the Kinder- und Jugendbudget x roles. Requests of Taubach (Sozialraum Mitte/Süd) are
made by tests/factories/budget.py: the Taubach volunteer, the Leitung and the Administration see
them; the Legefeld volunteer and the Koordination Nord do not even learn they exist (404)."""
from flask import g

from portal.budget.models import RequestState as S
from portal.extensions import db
from tests.factories.budget import make_request
from tests.matrix import Route

USERS = {"admin": 200, "leitung": 200, "koordination": 200, "ehrenamt": 200, "ehrenamt_legefeld": 200}
SETTERS = {"admin": 303, "leitung": 303}


def budget_request(state):
    made = g.setdefault("matrix_budget", {})
    if state not in made:
        made[state] = make_request("taubach", 100, state=state)
        db.session.commit()
    return made[state]


def url(state, suffix=""):
    return lambda: f"/budget/requests/{budget_request(state).id}{suffix}"


def version(state, **extra):
    return lambda: {"version": str(budget_request(state).version), **extra}


ROUTES = [
    Route("budget.index", "GET", "/budget/", expect=USERS, other=403),
    Route("budget.print_view", "GET", "/budget/print", expect=USERS, other=403),
    Route("budget.export_csv", "GET", "/budget/export.csv", expect=USERS, other=403),
    Route("budget.set_amount", "POST", "/budget/amounts/taubach", data={"amount": "3.500"}, expect=SETTERS,
          other=403),
    Route("budget.copy_last_year", "POST", "/budget/copy", expect=SETTERS, other=403),
    Route("budget.new_request", "GET", "/budget/taubach/new", expect={"ehrenamt": 200}, other=403),
    Route("budget.new_request", "POST", "/budget/taubach/new", data={}, expect={"ehrenamt": 422}, other=403),
    Route("budget.detail", "GET", url(S.EINGEREICHT), expect={"ehrenamt": 200, "admin": 200, "leitung": 200},
          other=404),
    Route("budget.decide", "POST", url(S.EINGEREICHT, "/decide"), data=version(S.EINGEREICHT, action="freigegeben"),
          expect={"ehrenamt": 403, "admin": 303, "leitung": 303}, other=404),
    Route("budget.answer", "POST", url(S.RUECKFRAGE, "/answer"), data=version(S.RUECKFRAGE, text="Es sind 12 Kinder."),
          expect={"ehrenamt": 303, "admin": 403, "leitung": 403}, other=404),
    # no receipt sent: the form comes back with 422
    Route("budget.book", "POST", url(S.FREIGEGEBEN, "/book"), data=version(S.FREIGEGEBEN, amount="90"),
          expect={"ehrenamt": 422, "admin": 422, "leitung": 422}, other=404),
    Route("budget.cancel_booking", "POST", url(S.FREIGEGEBEN, "/bookings/999999/cancel"),
          expect={"ehrenamt": 403, "admin": 403, "leitung": 403}, other=404),
    Route("budget.receipt", "GET", url(S.FREIGEGEBEN, "/bookings/999999/receipt"), other=404),
]
