"""Routes of the Bericht für den Jugendhilfeausschuss: Leitung and Administration only."""
from tests.matrix import Route

ALLOWED = {"leitung": 200, "admin": 200}
QUERY = "?art=jahr&jahr=2026&raeume=1&teile=projects&teile=ag"

ROUTES = [
    Route("reports.builder", "GET", "/berichte/", expect=ALLOWED, other=403),
    Route("reports.builder", "GET", "/berichte/" + QUERY, expect=ALLOWED, other=403),
    # no Sozialraum chosen: the form comes back with its error
    Route("reports.builder", "GET", "/berichte/?art=jahr&jahr=2026&teile=ag", expect={"leitung": 422, "admin": 422},
          other=403),
    Route("reports.download", "GET", "/berichte/bericht.docx" + QUERY, expect=ALLOWED, other=403),
    Route("reports.download", "GET", "/berichte/bericht.odt" + QUERY, expect=ALLOWED, other=403),
]
