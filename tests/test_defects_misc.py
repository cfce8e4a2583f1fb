"""Issue 18, items 13 and 21: German wording and headers found in a walk through every role.
Each test failed on main before the fix."""
from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from portal.board.models import PostStatus
from portal.extensions import db
from portal.uploads import UploadError, check_upload
from tests.factories.board import make_post


def test_csv_content_type_names_the_charset_once(client_as):
    response = client_as("leitung").get("/proposals/target.csv?year=2019")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_upload_size_uses_a_german_decimal_comma():
    file = FileStorage(io.BytesIO(b"x" * int(6.2 * 1024 * 1024)), filename="foto.v2.pdf")
    with pytest.raises(UploadError) as caught:
        check_upload(file, {"pdf"}, 5 * 1024 * 1024)
    assert "„foto.v2.pdf“ ist 6,2 MB groß" in str(caught.value.args[0] if caught.value.args else caught.value)


def test_pending_post_tells_its_author_in_the_second_person_singular(app, client_as):
    with app.app_context():
        post = make_post("ehrenamt", status=PostStatus.PENDING)
        db.session.commit()
        post_id = post.id
    html = client_as("ehrenamt").get(f"/board/posts/{post_id}").get_data(as_text=True)
    assert "Bis dahin siehst nur du" in html and "seht nur du" not in html
