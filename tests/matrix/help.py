"""Routes of the Hilfe pages and the Seiten added with them (Nutzungsbedingungen)."""
from tests.matrix import Route

ROUTES = [
    # public, like the legal pages: also for people about to join through an invitation link
    Route("pages.help_index", "GET", "/hilfe/", anon=200),
    Route("pages.help_page", "GET", "/hilfe/kalender", anon=200),
    Route("pages.help_page", "GET", "/hilfe/budget", anon=200),
    Route("pages.legal", "GET", "/nutzungsbedingungen", anon=200),
    Route("admin.page_edit", "GET", "/admin/pages/hilfe-pinnwand", expect={"admin": 200}, other=403),
    Route("admin.page_edit", "POST", "/admin/pages/hilfe-pinnwand", expect={"admin": 422}, other=403),
    Route("admin.page_edit", "GET", "/admin/pages/nutzungsbedingungen", expect={"admin": 200}, other=403),
]
