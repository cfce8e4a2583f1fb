"""Every route x every role answers with the status the matrix expects.

Cases that cannot change data — GET requests, anonymous requests and requests the matrix expects to
be refused (4xx) — share one database and one signed-in client per role for the module; a case that
may change data (an allowed POST) gets a fresh database, so no case sees another's writes.
"""
import pytest

from tests.conftest import ROLE_LOGINS, ROLES, login
from tests.matrix import all_routes

ROUTES = all_routes()
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def test_every_route_is_in_the_matrix(app):
    listed = {r.key for r in ROUTES}
    missing = sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - IGNORED_METHODS
        if (rule.endpoint, method) not in listed
    )
    assert missing == [], f"routes without an entry in tests/matrix/: {missing}"


def test_matrix_lists_no_route_that_does_not_exist(app):
    existing = {(rule.endpoint, m) for rule in app.url_map.iter_rules() for m in rule.methods}
    assert sorted(r.key for r in ROUTES if r.key not in existing) == []


def _cannot_write(route, role) -> bool:
    return route.method == "GET" or role == "anonymous" or min(route.expected(role)) >= 400


class SharedPortal:
    """The module's database for the cases that cannot write, with one signed-in client per role."""

    def __init__(self, app):
        self.app = app
        self.clients, self.urls = {}, {}

    def client(self, role):
        if role not in self.clients:
            c = self.app.test_client()
            if role != "anonymous":
                login(c, ROLE_LOGINS[role])
            self.clients[role] = c
        return self.clients[role]

    def url(self, route):
        # A matrix URL may create its objects (tests/matrix/*): build it once per route.
        if id(route) not in self.urls:
            with self.app.app_context():
                self.urls[id(route)] = route.url() if callable(route.url) else route.url
        return self.urls[id(route)]


@pytest.fixture(scope="module")
def shared(module_app):
    return SharedPortal(module_app)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.endpoint}")
def test_permission(request, route, role):
    if _cannot_write(route, role):
        shared = request.getfixturevalue("shared")
        app, client, url = shared.app, shared.client(role), shared.url(route)
    else:
        app = request.getfixturevalue("app")
        client = request.getfixturevalue("client_as")(role)
        with app.app_context():
            url = route.url() if callable(route.url) else route.url
    with app.app_context():
        data = route.data() if callable(route.data) else route.data
    response = client.open(url, method=route.method, data=data or {})
    assert response.status_code in route.expected(role), (
        f"{route.method} {url} as {role}: {response.status_code}, expected {route.expected(role)}"
    )
