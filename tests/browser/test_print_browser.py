"""Issue 18, item 18: the Projektantrag printed to PDF by Chromium: page numbers "Seite x von y",
"ENTWURF" on a draft, the Formblatt on page 1 and the appendix on a page of its own."""
import io

from pypdf import PdfReader

from portal.extensions import db
from portal.proposals.models import ProposalState
from tests.browser.conftest import check_page
from tests.factories.proposals import make_proposal


def test_a_draft_prints_with_page_numbers_watermark_and_appendix(page_as, live_server):
    with live_server.app.app_context():
        pid = make_proposal(ProposalState.ENTWURF, title="Kiezdetektive drucken").id
        db.session.commit()
    fachkraft = page_as("fachkraft")
    fachkraft.goto(f"/proposals/{pid}")
    fachkraft.get_by_role("link", name="Drucken").click()
    assert fachkraft.get_by_role("button", name="Drucken").is_visible()
    check_page(fachkraft)
    fachkraft.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(fachkraft.pdf(format="A4", prefer_css_page_size=True)))
    pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) >= 2
    assert "Formblatt" in pages[0] and "Kiezdetektive drucken" in pages[0]
    assert "Erhebungsmethode" in pages[0]  # a column header is not broken inside the word
    assert all("ENTWURF" in text for text in pages)
    assert all(f"Seite {n} von {len(pages)}" in text for n, text in enumerate(pages, start=1))
    assert "Anhang" in pages[-1] and "Anhang" not in pages[0]
