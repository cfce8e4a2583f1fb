"""Pinnwand safety and scale: user Markdown cannot inject scripts, styles, event handlers or hx-*
attributes; the board pages run a fixed number of queries however many posts there are."""
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import insert, select

from portal.board import queries
from portal.board.models import Attachment, Comment, Post, Reaction
from portal.extensions import db, utcnow
from tests.board_helpers import ortsteil, post_by_title, post_data
from tests.conftest import get_user

XSS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "[klick](javascript:alert(1))",
    "[klick](JaVaScRiPt:alert(1))",
    "[daten](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![bild](javascript:alert(1))",
    '<a href="#" onclick="alert(1)">x</a>',
    '<div hx-get="/admin/users" hx-trigger="load">lade</div>',
    '<button hx-post="/board/taubach/settings" hx-vals=\'{"premoderation": "y"}\'>x</button>',
    '<p data-hx-delete="/board/posts/1/delete">x</p>',
    '<span style="position:fixed;top:0">über allem</span>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=password></form>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "<<script>script>alert(1)<</script>/script>",
    '<a href="&#106;avascript:alert(1)">x</a>',
    '[x](https://example.org "titel" onmouseover="alert(1)")',
]
ALLOWED_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"href", "title", "rel", "align"}


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES:
                self.problems.append(f"{tag}[{name}]")
            if name == "href" and not re.match(r"^(https?:|mailto:|#|/)", (value or "").strip(), re.I):
                self.problems.append(f"href={value}")


def markup_problems(html: str) -> list[str]:
    """Tags, attributes and link schemes outside the allow-list (parsed, not pattern-matched)."""
    parser = _Markup()
    parser.feed(html)
    return parser.problems


@pytest.mark.parametrize("payload", XSS)
def test_markdown_cannot_inject_markup(app, client_as, payload):
    client = client_as("ehrenamt")
    response = client.post("/board/taubach/new", data=post_data(title="Sicherheitstest", body=f"Text davor\n\n{payload}"))
    assert response.status_code == 303
    with app.app_context():
        post = post_by_title("Sicherheitstest")
        post_id, body_html = post.id, post.body_html
    assert markup_problems(body_html) == [], body_html
    for url in ("/board/taubach", f"/board/posts/{post_id}", "/board/alle"):
        html = client.get(url).get_data(as_text=True)
        body = html[html.index(f'id="post-{post_id}"'):]
        body = body[body.index('class="usercontent post__body" hx-disable>') + 42:]
        body = body[:body.index("</div>")]
        assert markup_problems(body) == [], (url, body)


def test_title_is_escaped(app, client_as):
    client = client_as("ehrenamt")
    client.post("/board/taubach/new", data=post_data(title='<img src=x onerror=alert(1)>'))
    html = client.get("/board/taubach").get_data(as_text=True)
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_harmless_markdown_still_renders(app, client_as):
    client_as("ehrenamt").post("/board/taubach/new", data=post_data(
        title="Formatierung", body="**fett** und *kursiv*\n\n- eins\n- zwei\n\n[Stadt](https://example.org)"))
    with app.app_context():
        html = post_by_title("Formatierung").body_html
    assert "<strong>fett</strong>" in html and "<em>kursiv</em>" in html and "<li>eins</li>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html


# --- query counts ----------------------------------------------------------------------------------

def _bulk(app, count: int) -> None:
    """``count`` posts spread over all boards, with photos, comments and thanks."""
    with app.app_context():
        boards = [o.id for o in db.session.scalars(select(type(ortsteil("taubach"))))]
        users = [get_user(r).id for r in ("ehrenamt", "ehrenamt_legefeld", "moderation", "fachkraft")]
        now = utcnow()
        start = db.session.scalar(select(db.func.max(Post.id))) or 0
        db.session.execute(insert(Post), [
            {"ortsteil_id": boards[i % len(boards)], "author_id": users[i % 4], "category": "idee",
             "title": f"Massenbeitrag {i}", "body": "Text", "body_html": "<p>Text</p>", "search_text": "text",
             "status": ("published", "pending", "hidden")[i % 3] if i % 10 == 0 else "published",
             # a few pinned posts, fewer than a page (a page of only pinned posts asks for the newest
             # id once more: queries.list_posts)
             "pinned": i % 1000 == 0, "created_at": now, "version": 1}
            for i in range(count)])
        ids = range(start + 1, start + count + 1)
        db.session.execute(insert(Attachment), [
            {"post_id": pid, "storage_name": "board/x.jpg", "thumb_name": "board/x.thumb.webp",
             "original_name": "x.jpg", "content_type": "image/jpeg", "size": 1000, "position": 0,
             "width": 800, "height": 600} for pid in ids if pid % 3 == 0])
        db.session.execute(insert(Comment), [
            {"post_id": pid, "author_id": users[pid % 4], "body": "Super!", "created_at": now, "hidden": False}
            for pid in ids if pid % 2 == 0])
        db.session.execute(insert(Reaction), [
            {"post_id": pid, "user_id": users[pid % 4], "created_at": now} for pid in ids if pid % 4 == 0])
        db.session.commit()


PAGES = ["/board/", "/board/alle", "/board/taubach", "/board/legefeld?kategorie=idee", "/board/alle?q=text",
         "/board/moderation", "/board/moderation/meldungen", "/board/moderation/log",
         "/board/new-posts?ortsteil=taubach&after=0"]


@pytest.mark.parametrize("role", ["ehrenamt", "moderation"])
def test_board_pages_run_a_fixed_number_of_queries_with_5000_posts(app, client_as, count_queries, role):
    client = client_as(role)

    def measure():
        counts = {}
        client.get("/impressum")  # the write renewed the kept layout facts (portal.navigation): counted once, then kept
        for url in PAGES:
            client.get(url)  # counted on a warm worker: what it keeps (next dates, layout) is kept already
            with count_queries() as q:
                response = client.get(url)
            assert response.status_code in (200, 204, 403), url
            counts[url] = q.count
        with app.app_context():  # "Mehr laden" after the first page of Taubach
            board = queries.PostFilter(ortsteil=ortsteil("taubach"))
            cursor = queries.list_posts(board, get_user(role), limit=3).next_cursor
        assert cursor is not None
        with count_queries() as q:
            response = client.get(f"/board/taubach?nach={cursor}", headers={"HX-Request": "true", "HX-Target": "post-list"})
        assert response.status_code == 200
        counts["more"] = q.count
        return counts

    _bulk(app, 12)  # a few posts on every board, so that every list has something to show
    small = measure()
    _bulk(app, 5000)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Post.id))) > 5000
    large = measure()
    assert large == small


def test_a_jpeg_comment_does_not_survive_the_re_encoding(app, tmp_path):
    """Phones and editors write names and places into the JPEG comment (COM) too."""
    from io import BytesIO

    from PIL import Image

    from portal.board.images import process
    from portal.uploads import upload_root

    with app.app_context():
        folder = upload_root() / "board"
        folder.mkdir(parents=True, exist_ok=True)
        buffer = BytesIO()
        Image.new("RGB", (64, 48), "orange").save(buffer, "JPEG", comment=b"Familie Muster, Taubach 12")
        (folder / "probe.jpg").write_bytes(buffer.getvalue())
        process("board/probe.jpg")
        stored = (folder / "probe.jpg").read_bytes()
    assert b"Familie Muster" not in stored
    assert "comment" not in Image.open(BytesIO(stored)).info
