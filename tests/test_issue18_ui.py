"""Issue 18, items 13 (rest), 14, 15, 16 and 17 without a browser: wording, comments in Markdown
and their edit window, one post per form sent, deleting a never submitted draft, the moderation
counts sent out of band. Each test failed on main before the fix."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal import signals
from portal.board.models import Comment, Post, PostStatus
from portal.extensions import db, utcnow
from portal.formatting import heute
from portal.proposals.models import Indicator, Proposal, ProposalEvent, ProposalState
from tests.board_helpers import HX, post_data
from tests.conftest import get_user
from tests.factories.board import make_comment, make_post, set_premoderation
from tests.factories.proposals import make_proposal

S = ProposalState


def html(response) -> str:
    return response.get_data(as_text=True)


# --- 13: wording ----------------------------------------------------------------------------------------

def test_a_rueckfrage_is_not_listed_as_decided(app, client_as):
    with app.app_context():
        p = make_proposal(S.RUECKFRAGE, title="Zurückgefragt Nord", decided_at=utcnow())
        db.session.commit()
        pid = p.id
    page = html(client_as("fachkraft").get("/proposals/"))
    row = re.search(rf'<tr>(?:(?!</tr>).)*?/proposals/{pid}"(?:(?!</tr>).)*</tr>', page, re.S).group(0)
    assert "Rückfrage" in row and "entschieden" not in row


def test_a_pre_checked_board_asks_to_send_for_checking(app, client_as):
    with app.app_context():
        set_premoderation("taubach")
        db.session.commit()
    client = client_as("ehrenamt")
    assert "Zur Prüfung senden" in html(client.get("/board/taubach"))
    assert "Zur Prüfung senden" in html(client.get("/board/taubach/new"))
    # the Moderation's own posts are not held back: its button still publishes
    assert "Beitrag veröffentlichen" in html(client_as("moderation").get("/board/taubach"))


def test_an_unchecked_board_publishes_at_once(client_as):
    page = html(client_as("ehrenamt").get("/board/taubach"))
    assert "Beitrag veröffentlichen" in page and "Zur Prüfung senden" not in page


# --- 14: comments in Markdown, editable for a while -----------------------------------------------------

def test_comments_render_markdown_sanitised_inside_hx_disable(app, client_as):
    with app.app_context():
        post = make_post()
        make_comment(post, body='**Wir kommen** mit <script>alert(1)</script><a href="#" hx-get="/x">Link</a>')
        db.session.commit()
        post_id = post.id
    page = html(client_as("ehrenamt").get(f"/board/posts/{post_id}"))
    body = re.search(r'<div class="comment__body usercontent" hx-disable>(.*?)</div>', page, re.S).group(1)
    assert "<strong>Wir kommen</strong>" in body
    assert "**" not in body and "<script" not in body and "hx-get" not in body


def test_the_author_edits_a_comment_within_the_window_and_it_shows_bearbeitet(app, client_as):
    with app.app_context():
        post = make_post()
        comment = make_comment(post, "ehrenamt_legefeld", body="Wir bringen Kuchen.")
        db.session.commit()
        post_id, comment_id = post.id, comment.id
    edited = []
    signals.comment_edited.connect(lambda sender, **kw: edited.append(sender.id), weak=False)
    author = client_as("ehrenamt_legefeld")
    assert f"/board/comments/{comment_id}/edit" in html(author.get(f"/board/posts/{post_id}"))
    response = author.post(f"/board/comments/{comment_id}/edit", data={"body": "Wir bringen *zwei* Kuchen."})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/board/posts/{post_id}#comment-{comment_id}")
    page = html(author.get(f"/board/posts/{post_id}"))
    assert "Wir bringen <em>zwei</em> Kuchen." in page and "bearbeitet" in page
    assert edited == [comment_id]
    with app.app_context():
        assert db.session.get(Comment, comment_id).edited_at is not None
    # nobody else edits it, and no edit link for others
    assert client_as("ehrenamt").post(f"/board/comments/{comment_id}/edit", data={"body": "x"}).status_code == 403
    assert f"/board/comments/{comment_id}/edit" not in html(client_as("ehrenamt").get(f"/board/posts/{post_id}"))


def test_after_the_edit_window_a_comment_stays_as_written(app, client_as):
    app.config["COMMENT_EDIT_MINUTES"] = 15
    with app.app_context():
        post = make_post()
        comment = make_comment(post, "ehrenamt_legefeld", body="Alt.")
        comment.created_at = utcnow() - timedelta(minutes=16)
        db.session.commit()
        post_id, comment_id = post.id, comment.id
    author = client_as("ehrenamt_legefeld")
    assert f"/board/comments/{comment_id}/edit" not in html(author.get(f"/board/posts/{post_id}"))
    response = author.post(f"/board/comments/{comment_id}/edit", data={"body": "Neu."})
    assert response.status_code == 409
    assert "nur in den ersten 15 Minuten" in html(response)
    with app.app_context():
        assert db.session.get(Comment, comment_id).body == "Alt."


# --- 15: one post per form sent ----------------------------------------------------------------------------

def _form_key(page: str) -> str:
    """The request key of the "Neuer Beitrag" form on ``page``."""
    return re.search(r'name="request_key"[^>]*value="([0-9a-f]+)"', page).group(1)


def test_the_same_form_sent_twice_creates_one_post(app, client_as):
    client = client_as("ehrenamt")
    key = _form_key(html(client.get("/board/taubach")))
    data = post_data(title="Doppelt geklickt", request_key=key)
    first = client.post("/board/taubach/new", data=dict(data))
    second = client.post("/board/taubach/new", data=dict(data))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        posts = db.session.scalars(select(Post).where(Post.title == "Doppelt geklickt")).all()
        assert len(posts) == 1
        assert first.headers["Location"].endswith(f"/board/taubach#post-{posts[0].id}")
    # htmx: the repeated request answers with the existing post (same event), a fresh form with a new key
    again = client.post("/board/taubach/new", data=dict(data), headers=HX)
    assert again.status_code == 200
    assert f'"post-created": {posts[0].id}' in again.headers["HX-Trigger"]
    assert _form_key(html(again)) != key
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post).where(Post.title == "Doppelt geklickt")) == 1


def test_a_key_of_another_person_is_not_their_post(app, client_as):
    client = client_as("ehrenamt")
    key = _form_key(html(client.get("/board/taubach")))
    client.post("/board/taubach/new", data=post_data(title="Von Anna", request_key=key))
    response = client_as("moderation").post("/board/taubach/new", data=post_data(title="Von der Moderation",
                                                                                  request_key=key))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post).where(Post.title.in_(
            ["Von Anna", "Von der Moderation"]))) == 2


def test_htmx_post_sends_the_event_that_closes_the_composer(client_as):
    response = client_as("ehrenamt").post("/board/taubach/new", data=post_data(title="Sofort oben"), headers=HX)
    assert response.status_code == 200
    assert "post-created" in response.headers["HX-Trigger"]
    assert "Dein Beitrag ist auf der Pinnwand." in response.headers["HX-Trigger"]


# --- 16: deleting a draft that was never submitted -------------------------------------------------------

def test_the_author_deletes_an_unsubmitted_draft(app, client_as):
    with app.app_context():
        p = make_proposal(S.ENTWURF, title="")
        db.session.commit()
        pid = p.id
    deleted = []
    signals.proposal_draft_deleted.connect(lambda sender, **kw: deleted.append(kw["actor"].email), weak=False)
    client = client_as("fachkraft")
    page = html(client.get(f"/proposals/{pid}"))
    assert "Entwurf löschen" in page and f"/proposals/{pid}/delete" in page
    response = client.post(f"/proposals/{pid}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/proposals/")
    assert f"Der Entwurf „Antrag Nr. {pid} (ohne Titel)“ ist gelöscht." in html(client.get("/proposals/"))
    assert client.get(f"/proposals/{pid}").status_code == 404
    assert deleted == ["fachkraft@awo.example"]
    with app.app_context():
        assert db.session.get(Proposal, pid) is None
        assert db.session.scalar(select(func.count()).select_from(ProposalEvent)
                                 .where(ProposalEvent.proposal_id == pid)) == 0
        assert db.session.scalar(select(func.count()).select_from(Indicator).where(Indicator.proposal_id == pid)) == 0


def test_a_submitted_proposal_cannot_be_deleted(app, client_as):
    with app.app_context():
        submitted = make_proposal(S.EINGEREICHT)
        queried = make_proposal(S.RUECKFRAGE, submitted_at=utcnow())
        db.session.commit()
        ids = [submitted.id, queried.id]
    client = client_as("fachkraft")
    for pid in ids:
        assert "Entwurf löschen" not in html(client.get(f"/proposals/{pid}"))
        assert client.post(f"/proposals/{pid}/delete").status_code == 409
    assert client_as("leitung").post(f"/proposals/{ids[0]}/delete").status_code == 403
    with app.app_context():
        assert all(db.session.get(Proposal, pid) for pid in ids)


# --- 17: the moderation counts follow a decision ---------------------------------------------------------

def test_a_decision_from_the_queue_sends_the_counts_out_of_band(app, client_as):
    with app.app_context():
        posts = [make_post("ehrenamt", "taubach", status=PostStatus.PENDING) for _ in range(2)]
        db.session.commit()
        ids, versions = [p.id for p in posts], [p.version for p in posts]
    client = client_as("moderation")
    queue = html(client.get("/board/moderation"))
    waiting = int(re.search(r'<span id="pending-count">(\d+)</span>', queue).group(1))
    badge = int(re.search(r'id="nav-badge-board"[^>]*>\s*<span class="badge"[^>]*>(\d+)', queue).group(1))
    response = client.post(f"/board/posts/{ids[0]}/approve", headers=HX,
                           data={"version": versions[0], "next": "/board/moderation"})
    answer = html(response)
    assert f'<span id="pending-count" hx-swap-oob="true">{waiting - 1}</span>' in answer
    assert re.search(rf'id="nav-badge-board"[^>]*hx-swap-oob="true"[^>]*>\s*<span class="badge"[^>]*>{badge - 1}<',
                     answer)
    response = client.post(f"/board/posts/{ids[1]}/hide", headers=HX,
                           data={"version": versions[1], "reason": "Doppelt.", "next": "/board/moderation"})
    assert f'<span id="pending-count" hx-swap-oob="true">{waiting - 2}</span>' in html(response)
    # on a board page only the navigation badge is sent (the board has no queue heading)
    with app.app_context():
        post = make_post("ehrenamt", "taubach", status=PostStatus.PENDING)
        db.session.commit()
        pid, version = post.id, post.version
    answer = html(client.post(f"/board/posts/{pid}/approve", headers=HX, data={"version": version, "next": "/board/taubach"}))
    assert "pending-count" not in answer and 'id="nav-badge-board"' in answer


# --- 18: the Projektantrag print view --------------------------------------------------------------------

def test_the_proposal_page_offers_drucken_and_the_print_view_starts_with_the_formblatt(app, client_as):
    with app.app_context():
        p = make_proposal(S.ENTWURF, title="Wirkungsindikatorenerhebung im Sozialraum")
        db.session.commit()
        pid = p.id
    client = client_as("fachkraft")
    assert f'href="/proposals/{pid}/print">Drucken</a>' in html(client.get(f"/proposals/{pid}"))
    response = client.get(f"/proposals/{pid}/print")
    assert response.status_code == 200
    page = html(response)
    assert 'class="proposal proposal-print proposal-print--draft" lang="de"' in page
    assert '<p class="proposal-print__watermark" aria-hidden="true">ENTWURF</p>' in page
    order = [page.index(marker) for marker in ('id="formblatt-h"', "Prüfvermerk Leitung Soziale Dienste",
                                               'id="appendix-h"', 'id="timeline-h"')]
    assert order == sorted(order)
    assert "data-print" in page  # the button (shown by portal.js)


def test_an_approved_proposal_prints_without_the_watermark(app, client_as):
    with app.app_context():
        p = make_proposal(S.FREIGEGEBEN)
        db.session.commit()
        pid = p.id
    response = client_as("leitung").get(f"/proposals/{pid}/print")
    assert response.status_code == 200
    page = html(response)
    assert 'class="proposal proposal-print"' in page and "Prüfvermerk Leitung Soziale Dienste" in page
    assert "proposal-print--draft" not in page and "ENTWURF" not in page


def test_the_print_css_numbers_pages_and_hyphenates():
    from pathlib import Path

    css = (Path(__file__).parent.parent / "static/css/print.css").read_text()
    rule = re.search(r"@page antrag \{(.*?)\n\}", css, re.S).group(1)
    assert 'content: "Seite " counter(page) " von " counter(pages)' in rule
    assert "body:has(.proposal-print) { page: antrag; }" in css
    assert re.search(r"\.proposal-print \{[^}]*hyphens: auto", css)
    assert re.search(r"\.proposal-print__appendix \{[^}]*break-before: page", css)


# --- 20: HzE hours from a CSV, and the years offered -------------------------------------------------------

def _upload(client, data: bytes, name="hze.csv"):
    import io

    return client.post("/proposals/target/hours/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _hze(app, raum_slug, month):
    from portal.org.models import Sozialraum
    from portal.proposals.models import HzeHours

    with app.app_context():
        raum = db.session.scalar(select(Sozialraum).where(Sozialraum.slug == raum_slug))
        row = db.session.scalar(select(HzeHours).where(HzeHours.sozialraum_id == raum.id, HzeHours.month == month))
        return None if row is None else float(row.hours)


def test_a_german_excel_csv_is_previewed_then_saved(app, client_as):
    from datetime import date

    table = ("Sozialraum;Monat;Stunden\r\n"
             "Nord/Schöndorf;2031-01;1.507,6\r\n"
             "Nord/Schöndorf;02.2031;1432,25\r\n"
             "West;März 2031;1120\r\n").encode("cp1252")
    leitung = client_as("leitung")
    preview = _upload(leitung, table)
    assert preview.status_code == 200
    page = html(preview)
    assert "3 Monatswerte speichern" in page and "1.507,6" in page
    assert _hze(app, "nord", date(2031, 1, 1)) is None  # nothing saved by the preview
    rows = re.search(r'name="rows" type="hidden" value="([^"]*)"', page).group(1)
    from html import unescape

    response = leitung.post("/proposals/target/hours/import", data={"rows": unescape(rows)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/proposals/target?year=2031")
    assert _hze(app, "nord", date(2031, 1, 1)) == 1507.6
    assert _hze(app, "nord", date(2031, 2, 1)) == 1432.25
    assert _hze(app, "west", date(2031, 3, 1)) == 1120.0


def test_utf8_with_bom_and_errors_per_row_save_nothing(app, client_as):
    from datetime import date

    table = ("\ufeffSozialraum;Monat;Stunden\n"
             "Nord;2031-04;900,5\n"
             "Ostviertel;2031-05;10\n"
             "Nord;13/2031;10\n"
             "Nord;2031-06;viel\n"
             "Nord;2031-04;1\n").encode("utf-8")
    response = _upload(client_as("leitung"), table)
    assert response.status_code == 422
    page = html(response)
    assert "4 von 5 Zeilen sind noch nicht in Ordnung." in page
    assert "Den Sozialraum „Ostviertel“ gibt es nicht." in page
    assert "„13/2031“ ist kein Monat" in page
    assert "„viel“ ist keine Zahl" in page
    assert "Nord/Schöndorf 04/2031 steht schon in Zeile 2." in page
    assert "Monatswerte speichern" not in page
    assert _hze(app, "nord", date(2031, 4, 1)) is None


def test_a_koordination_imports_only_its_own_sozialraum(app, client_as):
    from datetime import date

    response = _upload(client_as("koordination"), b"West;2031-07;100\nNord;2031-07;200\n")
    assert response.status_code == 422
    assert "Für „West“ darfst du keine Stunden eintragen." in html(response)
    forged = client_as("koordination").post("/proposals/target/hours/import", data={"rows": "West;2031-07;100,0"})
    assert forged.status_code == 422
    assert _hze(app, "west", date(2031, 7, 1)) is None


def test_the_year_selector_offers_years_with_data_or_running_projects(app, client_as):
    from datetime import date

    with app.app_context():
        make_proposal(S.FREIGEGEBEN, starts_on=date(heute().year + 1, 9, 1),
                      ends_on=date(heute().year + 2, 6, 30))
        make_proposal(S.ENTWURF, starts_on=date(2011, 1, 1), ends_on=date(2011, 12, 31))  # a draft counts not
        db.session.commit()
    page = html(client_as("leitung").get("/proposals/target"))
    offered = [int(y) for y in re.findall(r'<option value="(\d{4})"', page)]
    this_year = heute().year
    assert {this_year, this_year + 1, this_year + 2} <= set(offered)
    assert 2011 not in offered and 2019 not in offered
    assert offered == sorted(offered, reverse=True)
