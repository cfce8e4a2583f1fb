"""The shared ground of every feature: German folding in SQL, the keyset pager, caches that the
writes invalidate, files removed only after a commit, German form messages."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import literal, select

from portal.auth.models import User
from portal.caching import generation, invalidate_on_write, kept
from portal.extensions import db
from portal.org.models import Ortsteil, Traeger
from portal.paging import keyset_page, parse_cursor
from portal.search import contains, fold, folded, snippet


@pytest.mark.parametrize("text", ["Übergangsregelung", "ÜBERGANGSREGELUNG", "Straße", "STRASSE", "Ärger", "öffentlich"])
def test_sql_folds_german_text_like_python(app, text):
    with app.app_context():
        assert db.session.scalar(select(folded(literal(text)))) == fold(text)


@pytest.mark.parametrize("query", ["übergangsregelung", "ÜBERGANGS", "Strasse", "straße"])
def test_contains_finds_german_words_whatever_the_case(app, query):
    with app.app_context():
        traeger = Traeger(name="Übergangsregelung Straße e. V.", short_name="ÜR")
        db.session.add(traeger)
        db.session.flush()
        found = db.session.scalars(select(Traeger.id).where(contains(Traeger.name, query))).all()
        assert traeger.id in found
        db.session.rollback()


def test_contains_takes_wildcards_literally(app):
    with app.app_context():
        assert db.session.scalars(select(Traeger.id).where(contains(Traeger.name, "%"))).all() == []
        assert db.session.scalars(select(Traeger.id).where(contains(Traeger.name, "_"))).all() == []


def test_snippet_marks_the_folded_hit_in_the_original_text():
    assert snippet("Die **Straße** am Markt", "strasse") == ("Die ", "Straße", " am Markt")
    assert snippet("nichts davon", "xyz", width=5)[1] == ""


@pytest.mark.parametrize("raw, expected", [
    ("17", 17), ("", None), (None, None), ("0", None), ("-3", None), ("1-2", None), ("²", None),
    ("99999999999999999999999", None), (str(2**31 - 1), 2**31 - 1), (str(2**31), None), ("1\x00", None),
])
def test_cursor_accepts_only_row_ids(raw, expected):
    assert parse_cursor(raw) == expected


def test_keyset_pages_cover_the_list_once_in_order(app):
    with app.app_context():
        everyone = db.session.scalars(select(User.id).order_by(User.display_name, User.id)).all()
        stmt = select(User)
        order = [(User.display_name, "asc"), (User.id, "asc")]
        seen, cursor = [], None
        while True:
            page = keyset_page(stmt, order, cursor, 3, id_column=User.id, count=True)
            assert page.total == len(everyone)
            seen += [u.id for u in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == everyone


def test_a_cursor_from_outside_the_list_starts_over(app):
    with app.app_context():
        admins = select(User).where(User.email.like("admin%"))
        outsider = db.session.scalar(select(User.id).where(~User.email.like("admin%")))
        page = keyset_page(admins, [(User.id, "desc")], outsider, 10, id_column=User.id)
        assert not page.continued
        assert page.items and all(u.email.startswith("admin") for u in page.items)


def test_a_write_raises_the_generation_of_the_caches_that_show_it(app):
    invalidate_on_write("test-orgs", Ortsteil)
    with app.app_context():
        before = generation("test-orgs")
        other = generation("project_hours")
        ortsteil = db.session.scalars(select(Ortsteil)).first()
        ortsteil.name = ortsteil.name + " (neu)"
        db.session.commit()
        assert generation("test-orgs") == before + 1
        assert generation("project_hours") == other


def test_a_rolled_back_write_leaves_the_generation_and_is_never_kept(app):
    invalidate_on_write("test-orgs", Ortsteil)
    with app.app_context():
        before = generation("test-orgs")
        db.session.scalars(select(Ortsteil)).first().name = "Zwischenstand"
        db.session.flush()
        built = kept("test-store", 4, ("k",), lambda: "aus ungesicherten Daten")
        assert built == "aus ungesicherten Daten"
        db.session.rollback()
        assert generation("test-orgs") == before
        assert kept("test-store", 4, ("k",), lambda: "frisch") == "frisch"


def test_a_kept_store_drops_the_least_recently_used_and_expires_by_age(app):
    def value(v):
        return lambda: v

    with app.app_context():
        for k in ("a", "b"):
            kept("test-lru", 2, (k,), value(k))
        assert kept("test-lru", 2, ("a",), value("a neu")) == "a"  # a hit: "a" is now the most recent
        kept("test-lru", 2, ("c",), value("c"))  # a third value: "b" goes
        assert kept("test-lru", 2, ("a",), value("a neu")) == "a"
        assert kept("test-lru", 2, ("b",), value("b neu")) == "b neu"
        assert kept("test-ttl", 4, ("x",), value("x"), max_age=0.05) == "x"
        assert kept("test-ttl", 4, ("x",), value("x neu"), max_age=0.05) == "x"
        time.sleep(0.1)
        assert kept("test-ttl", 4, ("x",), value("x neu"), max_age=0.05) == "x neu"


def test_files_are_removed_only_after_the_commit(app, tmp_path):
    from portal.uploads import remove_after_commit, upload_root

    with app.app_context():
        (upload_root() / "t").mkdir(parents=True, exist_ok=True)
        kept_file = upload_root() / "t" / "a.pdf"
        kept_file.write_bytes(b"%PDF-1.4")
        remove_after_commit("t/a.pdf")
        db.session.rollback()
        assert kept_file.exists(), "a failed transaction must leave the file"
        remove_after_commit("t/a.pdf")
        db.session.commit()
        assert not kept_file.exists()


def test_a_file_written_for_a_failed_transaction_is_removed_again(app):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal.uploads import save_upload, upload_root

    with app.app_context():
        stored = save_upload(FileStorage(BytesIO(b"%PDF-1.4 test"), filename="Plan.pdf"), "t", {"pdf"}, 1024)
        assert (upload_root() / stored.storage_name).exists()
        db.session.rollback()
        assert not (upload_root() / stored.storage_name).exists()


def test_form_messages_of_wtforms_are_german(app):
    from wtforms import IntegerField, StringField
    from wtforms.validators import Length

    from portal.forms import Form

    class Probe(Form):
        name = StringField(validators=[Length(max=3)])
        count = IntegerField()

    with app.test_request_context(method="POST", data={"name": "abcdef", "count": "viele"}):
        form = Probe()
        assert not form.validate()
        assert form.errors == {"name": ["Feld kann nicht länger als 3 Zeichen sein."],
                               "count": ["Keine gültige, ganze Zahl."]}


def _odt_bomb(inflated: int) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("mimetype")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(inflated // len(block)):
                member.write(block)
        z.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def test_an_office_document_that_inflates_hugely_is_refused_without_inflating_it(app):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal.uploads import UploadError, check_upload

    bomb = _odt_bomb(64 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    with app.app_context(), pytest.raises(UploadError, match="gepackt|zu groß"):
        check_upload(FileStorage(BytesIO(bomb), filename="Protokoll.odt"), {"odt"}, 10 * 1024 * 1024)


@pytest.mark.parametrize("cell, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+49 123", "'+49 123"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tTab", "'\tTab"), ("-1,5", "-1,5"), ("-1.507,60", "-1.507,60"), ("- Liste", "'- Liste"), ("Nord", "Nord"),
])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell, written):
    from portal.csvexport import safe_cell

    assert safe_cell(cell) == written


def test_csv_export_is_german_excel_with_one_charset(app):
    from portal.csvexport import csv_response

    with app.test_request_context():
        response = csv_response(["Sozialraum", "Stunden"], [["=1+1", "1.507,6"]], "x.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data(as_text=True) == "\ufeffSozialraum;Stunden\r\n'=1+1;1.507,6\r\n"
