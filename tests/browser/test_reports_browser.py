"""The Leitung builds the report for 2026 in a real browser, previews it and downloads the DOCX;
other roles get 403. axe and CSP are checked on the builder and the preview."""
import io

import pytest

from tests.browser.conftest import check_page

pytestmark = pytest.mark.browser


def test_leitung_builds_and_downloads_the_2026_report(page_as):
    page = page_as("leitung", phone=True)
    page.goto("/berichte/")
    check_page(page)
    page.get_by_label("Zeitraum", exact=True).select_option(label="Kalenderjahr")
    page.get_by_label("Jahr", exact=True).fill("2026")
    page.get_by_role("button", name="Vorschau anzeigen").click()
    page.wait_for_url("**/berichte/?*")
    check_page(page)
    assert page.get_by_role("heading", name="Projekte nach Sozialraum").is_visible()
    assert page.get_by_role("cell", name="Markt der Möglichkeiten", exact=True).first.is_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Als Word (DOCX) herunterladen").click()
    download = info.value
    assert download.suggested_filename == "bericht-jha-2026-01-01-2026-12-31.docx"
    import docx
    with open(download.path(), "rb") as fh:
        d = docx.Document(io.BytesIO(fh.read()))
    assert "Bericht der Verwaltung an den Jugendhilfeausschuss" in [p.text for p in d.paragraphs]


@pytest.mark.parametrize("role", ["fachkraft", "koordination"])
def test_other_roles_get_403(page_as, role):
    page = page_as(role)
    response = page.goto("/berichte/")
    assert response.status == 403
