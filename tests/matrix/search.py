"""Portal-wide search: every signed-in role may search (what it finds is checked in tests/test_search.py)."""
from tests.matrix import Route

ROUTES = [
    Route("search.results", "GET", "/suche"),
    Route("search.results", "GET", "/suche?q=Ferienfreizeit"),
    Route("search.results", "GET", "/suche?q=Sitzung&art=top&ort=ag1&nach=5"),
    Route("search.results", "GET", "/suche?q=%22*%20NEAR(%20:"),
]
