"""Every route x every role answers with the status the matrix expects."""
import pytest

from tests.conftest import ROLES
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


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.endpoint}")
def test_permission(app, client_as, route, role):
    client = client_as(role)
    with app.app_context():
        url = route.url() if callable(route.url) else route.url
        data = route.data() if callable(route.data) else route.data
    response = client.open(url, method=route.method, data=data or {})
    assert response.status_code in route.expected(role), (
        f"{route.method} {url} as {role}: {response.status_code}, expected {route.expected(role)}"
    )
