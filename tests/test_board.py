"""Pinnwand: posting, bad input, attachments, conversation, lists and the light poll."""

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.board import services
from portal.board.models import Attachment, Comment, Post, PostStatus, Reaction
from portal.extensions import db
from portal.uploads import upload_root
from tests.board_helpers import HX, STOVE, image_bytes, ortsteil, post_by_title, post_data, upload
from tests.conftest import get_user


# --- posting ---------------------------------------------------------------------------------------

def test_volunteer_posts_in_own_ortsteil_and_it_is_on_the_board_at_once(app, client_as):
    client = client_as("ehrenamt")
    response = client.post("/board/taubach/new", data=post_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/board/taubach")
    page = client.get("/board/taubach").get_data(as_text=True)
    assert "Laternen basteln am Freitag" in page
    assert "<strong>Laternen</strong>" in page
    other = client_as("fachkraft").get("/board/taubach").get_data(as_text=True)
    assert "Laternen basteln am Freitag" in other
    with app.app_context():
        post = post_by_title("Laternen basteln am Freitag")
        assert post.status == PostStatus.PUBLISHED
        assert post.author.display_name == "Anna Krause"


def test_htmx_post_returns_an_empty_form_and_announces_the_new_post(client_as):
    response = client_as("ehrenamt").post("/board/taubach/new", data=post_data(), headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="post-form"')
    assert "Dein Beitrag ist auf der Pinnwand." in html
    assert 'value="Laternen basteln am Freitag"' not in html
    assert "post-created" in response.headers["HX-Trigger"]


@pytest.mark.parametrize("role, slug, allowed", [
    ("ehrenamt", "taubach", True),
    ("ehrenamt", "legefeld", False),
    ("ehrenamt_legefeld", "taubach", False),
    ("koordination", "schoendorf", True),   # Sozialraum Nord
    ("koordination", "taubach", False),
    ("moderation", "gelmeroda", True),
    ("admin", "ehringsdorf", True),
    ("fachkraft", "taubach", False),
    ("leitung", "taubach", False),
])
def test_who_may_post_where(client_as, role, slug, allowed):
    response = client_as(role).post(f"/board/{slug}/new", data=post_data())
    assert response.status_code == (303 if allowed else 403)
    if not allowed:
        assert "Du kannst nur in deinen eigenen Ortsteilen Beiträge schreiben." in response.get_data(as_text=True)


def test_board_page_offers_the_form_only_where_the_user_may_post(client_as):
    legefeld_volunteer = client_as("ehrenamt_legefeld")
    assert "Neuer Beitrag" not in legefeld_volunteer.get("/board/taubach").get_data(as_text=True)
    assert "Neuer Beitrag" in legefeld_volunteer.get("/board/legefeld").get_data(as_text=True)


def test_readers_are_pointed_to_the_boards_they_write_on(client_as):
    volunteer = client_as("ehrenamt_legefeld").get("/board/taubach").get_data(as_text=True)
    assert 'deine Pinnwand: <a href="/board/legefeld">Legefeld</a>' in volunteer
    coordination = client_as("koordination").get("/board/taubach").get_data(as_text=True)
    assert 'deine Pinnwände: <a href="/board/schoendorf">Schöndorf</a>, <a href="/board/suessenborn">Süßenborn</a>' in coordination
    assert "deine Pinnw" not in client_as("fachkraft").get("/board/taubach").get_data(as_text=True)


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "Bitte gib eine Überschrift ein."),
    ({"title": "x" * 121}, "höchstens 120 Zeichen"),
    ({"body": ""}, "Bitte schreib einen Text."),
    ({"body": "x" * 5001}, "höchstens 5000 Zeichen"),
    ({"visible_until": "2020-01-01"}, "Das Datum liegt in der Vergangenheit."),
    ({"category": "werbung"}, "Keine gültige Auswahl."),
])
def test_bad_input_gets_a_message_and_keeps_what_was_typed(client_as, fields, message):
    data = post_data(body="Mein langer Text bleibt erhalten.", **{k: v for k, v in fields.items() if k != "body"})
    if "body" in fields:
        data["body"] = fields["body"]
    response = client_as("ehrenamt").post("/board/taubach/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    if "title" not in fields:
        assert 'value="Laternen basteln am Freitag"' in html
    if "body" not in fields:
        assert "Mein langer Text bleibt erhalten." in html


def test_posting_and_moderating_need_the_csrf_token(app, client_as):
    import re

    client = client_as("ehrenamt")
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/board/taubach").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/board/taubach/new", data=post_data()).status_code == 400
    assert client.post("/board/taubach/new", data=post_data(csrf_token=token)).status_code == 303
    with app.app_context():
        post_id = post_by_title("Laternen basteln am Freitag").id
    # htmx sends the token as a header (from <body hx-headers>)
    assert client.post(f"/board/posts/{post_id}/thanks", headers=HX).status_code == 400
    assert client.post(f"/board/posts/{post_id}/thanks", headers={**HX, "X-CSRFToken": token}).status_code == 200


def test_form_warns_that_no_personal_data_of_families_belongs_here(client_as):
    html = client_as("ehrenamt").get("/board/taubach/new").get_data(as_text=True)
    assert "Keine Namen, Fotos oder anderen persönlichen Daten von Kindern" in html


# --- attachments -----------------------------------------------------------------------------------

def test_photo_gets_a_thumbnail_and_loses_its_gps_data(app, client_as):
    client = client_as("ehrenamt")
    data = post_data(files=[upload(image_bytes(), "IMG_2041.jpg"), upload(b"%PDF-1.4\n%...\n", "Einladung.pdf")])
    assert client.post("/board/taubach/new", data=data, content_type="multipart/form-data").status_code == 303
    with app.app_context():
        post = post_by_title("Laternen basteln am Freitag")
        photo, pdf = post.attachments
        assert (photo.content_type, pdf.content_type) == ("image/jpeg", "application/pdf")
        stored = Image.open(upload_root() / photo.storage_name)
        assert dict(stored.getexif()) == {}
        assert b"Handyhersteller" not in (upload_root() / photo.storage_name).read_bytes()
        thumb = Image.open(upload_root() / photo.thumb_name)
        assert thumb.format == "WEBP" and max(thumb.size) == 480
        assert photo.original_name == "IMG_2041.jpg"
        photo_id, pdf_id = photo.id, pdf.id
    html = client.get("/board/taubach").get_data(as_text=True)
    assert f'src="/board/files/{photo_id}/thumb"' in html
    assert "Einladung.pdf" in html
    original = client_as("leitung").get(f"/board/files/{photo_id}")
    assert original.status_code == 200 and original.mimetype == "image/jpeg"
    download = client.get(f"/board/files/{pdf_id}")
    assert "attachment" in download.headers["Content-Disposition"]
    assert client_as("anonymous").get(f"/board/files/{photo_id}").status_code == 302


@pytest.mark.parametrize("files, status, message", [
    ([upload(b"just text", "notizen.txt")], 422, "nicht erlaubtes Format"),
    ([upload(b"<html><script>alert(1)</script>", "foto.jpg")], 422, "kein gültiges JPEG-Bild"),
    ([upload(b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024 + 10), "riesig.jpg")], 413, "erlaubt sind höchstens 5 MB"),
    ([upload(b"\xff\xd8\xff\xe0 kaputt", "kaputt.jpg")], 422, "beschädigt oder kein Bild"),
    ([upload(image_bytes("PNG"), f"bild{i}.png") for i in range(4)], 422, "Höchstens 3 Anhänge"),
])
def test_bad_files_are_refused_with_a_message_next_to_the_field(app, client_as, files, status, message):
    with app.app_context():
        folder = upload_root() / "board"
    before = set(folder.glob("*"))
    response = client_as("ehrenamt").post("/board/taubach/new", data=post_data(files=files),
                                          content_type="multipart/form-data")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="files-error"' in html
    assert 'value="Laternen basteln am Freitag"' in html
    with app.app_context():
        assert post_by_title("Laternen basteln am Freitag") is None
    assert set(folder.glob("*")) == before  # nothing half-stored stays behind


def test_too_large_file_via_htmx_answers_413_with_the_form(client_as):
    response = client_as("ehrenamt").post(
        "/board/taubach/new", headers=HX, content_type="multipart/form-data",
        data=post_data(files=[upload(b"%PDF-" + b"0" * (5 * 1024 * 1024 + 1), "Plakat.pdf")]))
    assert response.status_code == 413
    assert response.get_data(as_text=True).lstrip().startswith('<div id="post-form"')


def test_attachments_of_a_waiting_post_are_not_served_to_others(app, client_as):
    client = client_as("ehrenamt_legefeld")  # Legefeld is pre-moderated
    client.post("/board/legefeld/new", content_type="multipart/form-data",
                data=post_data(files=[upload(image_bytes("PNG"), "turnier.png")]))
    with app.app_context():
        attachment_id = post_by_title("Laternen basteln am Freitag").attachments[0].id
    assert client.get(f"/board/files/{attachment_id}").status_code == 200
    assert client_as("ehrenamt").get(f"/board/files/{attachment_id}").status_code == 404
    assert client_as("moderation").get(f"/board/files/{attachment_id}/thumb").status_code == 200


# --- editing and deleting ----------------------------------------------------------------------------

def test_author_edits_and_the_post_is_marked_edited(app, client_as):
    client = client_as("ehrenamt")
    with app.app_context():
        post = post_by_title(STOVE)
        post_id, attachment_id = post.id, post.attachments[0].id
    response = client.post(f"/board/posts/{post_id}/edit", data=post_data(
        title="Neuer Herd – Plätzchenbacken ab 1. Advent", category="information",
        remove_attachments=[str(attachment_id)]))
    assert response.status_code == 303
    html = client.get(f"/board/posts/{post_id}").get_data(as_text=True)
    assert "Neuer Herd – Plätzchenbacken ab 1. Advent" in html
    assert "bearbeitet" in html
    with app.app_context():
        assert db.session.get(Post, post_id).attachments == []
    assert client_as("ehrenamt_legefeld").get(f"/board/posts/{post_id}/edit").status_code == 403


def test_author_deletes_own_post_with_its_files(app, client_as):
    with app.app_context():
        post = post_by_title(STOVE)
        post_id, stored = post.id, upload_root() / post.attachments[0].storage_name
    assert stored.exists()
    client = client_as("ehrenamt")
    assert client.post(f"/board/posts/{post_id}/delete").status_code == 303
    assert client.get(f"/board/posts/{post_id}").status_code == 404
    assert not stored.exists()


# --- conversation ----------------------------------------------------------------------------------

def test_volunteer_of_another_ortsteil_comments_in_place(app, client_as):
    with app.app_context():
        post_id = post_by_title(STOVE).id
    client = client_as("ehrenamt_legefeld")
    response = client.post(f"/board/posts/{post_id}/comments", headers=HX,
                           data={"body": "Wir bringen Ausstecher in Pferdeform mit!"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="comments"')
    assert "Wir bringen Ausstecher in Pferdeform mit!" in html
    assert "Kommentare (4)" in html
    assert "comment-created" in response.headers["HX-Trigger"]
    empty = client.post(f"/board/posts/{post_id}/comments", data={"body": "  "})
    assert empty.status_code == 422 and "Bitte schreib einen Kommentar." in empty.get_data(as_text=True)


def test_comment_text_is_escaped(app, client_as):
    with app.app_context():
        post_id = post_by_title(STOVE).id
    client = client_as("fachkraft")
    client.post(f"/board/posts/{post_id}/comments", data={"body": "<img src=x onerror=alert(1)>"})
    html = client.get(f"/board/posts/{post_id}").get_data(as_text=True)
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_danke_toggles_with_a_count(app, client_as):
    with app.app_context():
        post_id = post_by_title(STOVE).id
    client = client_as("fachkraft")
    first = client.post(f"/board/posts/{post_id}/thanks", headers=HX).get_data(as_text=True)
    assert "(5)" in first and 'aria-pressed="true"' in first
    second = client.post(f"/board/posts/{post_id}/thanks", headers=HX).get_data(as_text=True)
    assert "(4)" in second and 'aria-pressed="false"' in second
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Reaction.post_id == post_id)) == 4


def test_reporting_puts_the_post_into_the_queue(app, client_as):
    with app.app_context():
        post_id = post_by_title(STOVE).id
    response = client_as("fachkraft").post(f"/board/posts/{post_id}/report",
                                           data={"reason": "Bitte Foto prüfen, ist da ein Kind zu erkennen?"})
    assert response.status_code == 303
    queue = client_as("moderation").get("/board/moderation").get_data(as_text=True)
    assert "Bitte Foto prüfen, ist da ein Kind zu erkennen?" in queue


# --- lists -----------------------------------------------------------------------------------------

def _bulk_posts(app, count: int, slug: str = "taubach", **values):
    with app.app_context():
        board = ortsteil(slug)
        author = get_user("ehrenamt")
        db.session.execute(Post.__table__.insert(), [
            {"ortsteil_id": board.id, "author_id": author.id, "category": "information", "title": f"Beitrag {i}",
             "body": "Text", "body_html": "<p>Text</p>", "search_text": f"beitrag {i}\ntext", "status": "published",
             "pinned": False, "created_at": services.utcnow(), "version": 1, **values}
            for i in range(count)])
        db.session.commit()


def test_mehr_laden_pages_by_keyset_with_pinned_first(app, client_as):
    _bulk_posts(app, 45)
    client = client_as("fachkraft")
    with app.app_context():
        page = services.list_posts(services.PostFilter(ortsteil=ortsteil("taubach")), get_user("fachkraft"))
        assert page.posts[0].title == STOVE and page.posts[0].pinned
        assert [p.title for p in page.posts[1:3]] == ["Beitrag 44", "Beitrag 43"]
        cursor = page.next_cursor
    more = client.get(f"/board/taubach?vor={cursor}", headers={**HX, "HX-Target": "post-list"})
    html = more.get_data(as_text=True)
    assert html.lstrip().startswith("<li>")
    assert "Beitrag 25" in html and "Beitrag 44" not in html
    assert 'id="load-more" class="load-more" hx-swap-oob="true"' in html
    plain = client.get(f"/board/taubach?vor={cursor}").get_data(as_text=True)
    assert "Zu den neuesten Beiträgen" in plain


def test_list_fragments_load_only_the_list(app, client_as, count_queries):
    """"Mehr laden" and the filters ask for the list alone: no calendar, settings or form behind it."""
    _bulk_posts(app, 25)
    client = client_as("ehrenamt")
    with app.app_context():
        cursor = services.list_posts(services.PostFilter(ortsteil=ortsteil("taubach")), get_user("ehrenamt")).next_cursor
    for url, target in ((f"/board/taubach?vor={cursor}", "post-list"), ("/board/taubach?kategorie=frage", "board-posts")):
        client.get(url, headers={**HX, "HX-Target": target})
        with count_queries() as q:
            response = client.get(url, headers={**HX, "HX-Target": target})
        assert response.status_code == 200
        assert not any("calendar_" in s or "board_settings" in s for s in q.statements), url
    empty = client.get("/board/taubach?q=gibtesnicht", headers={**HX, "HX-Target": "board-posts"})
    assert "Keine passenden Beiträge." in empty.get_data(as_text=True)


def test_search_and_category_filter_update_the_list(client_as):
    client = client_as("fachkraft")
    html = client.get("/board/alle?q=hobby-horse", headers={**HX, "HX-Target": "board-posts"}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="board-posts"')
    assert "Hobby-Horse-Gruppe sucht Mitreiterinnen" in html
    assert "Familiencafé jeden Freitag" not in html
    html = client.get("/board/gelmeroda?kategorie=gesuch").get_data(as_text=True)
    assert "Kuchenbäckerinnen und -bäcker" in html and "Familiencafé jeden Freitag" not in html
    assert client.get("/board/alle?q=%C3%9CBRIGE+tannenzweige").get_data(as_text=True).count("Übrige Tannenzweige") >= 1


def test_search_takes_wildcards_literally(app, client_as):
    _bulk_posts(app, 1, title="Rabatt 100% auf_Bastelkram/Papier", search_text="rabatt 100% auf_bastelkram/papier")
    _bulk_posts(app, 1, title="Rabatt 1000 auf Bastelkram", search_text="rabatt 1000 auf bastelkram")
    client = client_as("fachkraft")
    for q, found in (("100%", True), ("auf_b", True), ("m/p", True), ("1%0", False), ("auf_", True), ("_", True)):
        html = client.get("/board/taubach", query_string={"q": q}).get_data(as_text=True)
        assert ("Rabatt 100% auf_Bastelkram/Papier" in html) is found, q
        assert "Rabatt 1000 auf Bastelkram" not in html, q  # "%" and "_" are no wildcards


def test_expired_posts_leave_the_board_but_stay_in_the_archive(client_as):
    client = client_as("fachkraft")
    assert "Spielplatzfest mit Seifenblasen" not in client.get("/board/gaberndorf").get_data(as_text=True)
    archive = client.get("/board/gaberndorf?archiv=1").get_data(as_text=True)
    assert "Spielplatzfest mit Seifenblasen" in archive


def test_poll_answers_204_until_someone_else_posts(app, client_as):
    reader = client_as("ehrenamt_legefeld")
    with app.app_context():
        newest = services.newest_post_id(services.PostFilter(ortsteil=ortsteil("taubach")), get_user("ehrenamt_legefeld"))
    url = f"/board/new-posts?ortsteil=taubach&after={newest}"
    assert reader.get(url, headers=HX).status_code == 204
    client_as("ehrenamt").post("/board/taubach/new", data=post_data())
    client_as("ehrenamt").post("/board/taubach/new", data=post_data(title="Noch ein Beitrag"))
    response = reader.get(url, headers=HX)
    assert response.status_code == 200
    assert "2 neue Beiträge – anzeigen" in response.get_data(as_text=True)


def test_overview_shows_every_ortsteil_with_its_newest_posts(client_as):
    html = client_as("ehrenamt").get("/board/").get_data(as_text=True)
    for name in ("Taubach", "Legefeld", "Gelmeroda", "Schöndorf", "Ehringsdorf"):
        assert f">{name}</a></h2>" in html
    assert html.index(">Taubach</a></h2>") < html.index(">Gaberndorf</a></h2>")  # own Ortsteil first
    assert "Dein Ortsteil" in html


def test_overview_lists_the_newest_posts_each_user_may_see_per_board(app):
    """The overview's one query gives, per board, the first posts of that board's own list."""
    from datetime import timedelta

    from portal.board.models import Category, today

    with app.app_context():
        author, other = get_user("ehrenamt"), get_user("ehrenamt_legefeld")
        taubach = ortsteil("taubach")
        for title, status, author_id, pinned, until in [
            ("Eigener ausgeblendeter Beitrag", PostStatus.HIDDEN, author.id, False, None),
            ("Fremder wartender Beitrag", PostStatus.PENDING, other.id, False, None),
            ("Abgelaufener Beitrag", PostStatus.PUBLISHED, other.id, False, today() - timedelta(days=1)),
            ("Angehefteter alter Beitrag", PostStatus.PUBLISHED, other.id, True, None),
        ]:
            db.session.add(Post(ortsteil=taubach, author_id=author_id, title=title, body="Text", body_html="<p>Text</p>",
                                category=Category.IDEE, status=status, pinned=pinned, visible_until=until))
        db.session.commit()
        for role in ("ehrenamt", "ehrenamt_legefeld", "moderation"):
            user = get_user(role)
            for board, posts in services.overview(user):
                expected = services.list_posts(services.PostFilter(ortsteil=board), user, limit=3).posts
                assert [p.id for p in posts] == [p.id for p in expected], (role, board.name)
        titles = {role: [p.title for b, posts in services.overview(get_user(role)) if b.slug == "taubach" for p in posts]
                  for role in ("ehrenamt", "ehrenamt_legefeld", "moderation")}
    assert titles["ehrenamt"] == ["Angehefteter alter Beitrag", STOVE, "Eigener ausgeblendeter Beitrag"]
    assert titles["ehrenamt_legefeld"][:2] == ["Angehefteter alter Beitrag", STOVE]
    assert "Eigener ausgeblendeter Beitrag" not in titles["ehrenamt_legefeld"]
    assert titles["moderation"] == ["Angehefteter alter Beitrag", STOVE, "Fremder wartender Beitrag"]
    assert not any("Abgelaufener" in t for ts in titles.values() for t in ts)


def test_ortsteil_board_shows_the_next_dates_of_its_calendar(client_as):
    html = client_as("ehrenamt_legefeld").get("/board/taubach").get_data(as_text=True)
    assert 'id="upcoming-events"' in html and "Nächste Termine in Taubach" in html
    assert "Familiencafé" in html  # the demo calendar's weekly Friday event in Taubach


def test_demo_data_is_realistic_and_idempotent(app):
    from portal.demo import seed_demo

    with app.app_context():
        before = db.session.scalar(select(func.count(Post.id)))
        assert before >= 24
        assert db.session.scalar(select(func.count(Comment.id))) >= 10
        assert db.session.scalar(select(func.count(Attachment.id)).where(Attachment.thumb_name.is_not(None))) >= 3
        assert db.session.scalar(select(func.count(Post.id)).where(Post.status == PostStatus.PENDING)) == 1
        assert services.settings_for(ortsteil("legefeld")).premoderation
        seed_demo("demo-passwort")
        assert db.session.scalar(select(func.count(Post.id))) == before


@pytest.mark.parametrize("script_root", ["", "/portal"])
def test_card_links_are_the_urls_url_for_builds(app, script_root):
    """id_url builds each kind of card link once per request and puts the ids in; same result as url_for."""
    from flask import url_for

    from portal.urls import id_url

    calls = [("board.post_detail", {"post_id": 7}), ("board.post_detail", {"post_id": 12345, "_anchor": "comments"}),
             ("board.post_moderate", {"post_id": 3, "action": "pin"}), ("board.post_moderate", {"post_id": 3, "action": "unpin"}),
             ("board.thumbnail", {"attachment_id": 918}), ("board.attachment", {"attachment_id": 5}),
             ("board.ortsteil", {"slug": "taubach"}), ("board.ortsteil", {"slug": "legefeld"})]
    with app.test_request_context("/board/", base_url=f"http://localhost{script_root}"):
        for _ in range(2):  # first built, then taken from the request's cache
            for endpoint, values in calls:
                assert id_url(endpoint, **values) == url_for(endpoint, **values)
        assert id_url("board.post_detail", post_id=7).startswith(f"{script_root}/board/posts/7")


def test_post_page_queries_do_not_grow_with_comments_or_their_authors(app, client_as, count_queries):
    from portal.auth.models import User

    client = client_as("fachkraft")
    with app.app_context():
        post = post_by_title(STOVE)
        post_id = post.id
        users = db.session.scalars(select(User).order_by(User.id)).all()

    def queries() -> int:
        client.get(f"/board/posts/{post_id}")
        with count_queries() as q:
            html = client.get(f"/board/posts/{post_id}").get_data(as_text=True)
        assert "Kommentare (" in html
        return q.count

    before = queries()
    with app.app_context():
        db.session.add_all(Comment(post_id=post_id, author_id=u.id, body=f"Kommentar von {u.display_name}") for u in users)
        db.session.commit()
    assert queries() == before
