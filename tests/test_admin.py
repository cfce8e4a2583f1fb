"""Administration: users with roles and scopes, Träger, Sozialräume, Ortsteile, legal pages."""
import re

from sqlalchemy import func, insert, select

from portal.auth.models import Role, User
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger
from tests.conftest import get_user


def ids(app, model, **by):
    with app.app_context():
        return db.session.scalar(select(model.id).filter_by(**by))


def test_fachkraft_without_traeger_is_refused_and_typed_values_stay(client_as):
    response = client_as("admin").post("/admin/users/new", data={
        "display_name": "Jana Roth", "email": "jana.roth@awo.example", "roles": ["fachkraft"],
        "traeger": "0", "sozialraum": "0"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Eine Fachkraft braucht ihren Träger." in body
    assert 'value="Jana Roth"' in body and 'value="jana.roth@awo.example"' in body


def test_user_without_any_role_is_refused(client_as):
    response = client_as("admin").post("/admin/users/new", data={
        "display_name": "Jana Roth", "email": "jana.roth@awo.example", "traeger": "0", "sozialraum": "0"})
    assert response.status_code == 422
    assert "Bitte wähle mindestens eine Rolle." in response.get_data(as_text=True)


def test_email_of_another_account_is_refused(client_as):
    response = client_as("admin").post("/admin/users/new", data={
        "display_name": "Doppelt", "email": "LEITUNG@portal.example", "roles": ["leitung"],
        "traeger": "0", "sozialraum": "0"})
    assert response.status_code == 422
    assert "Diese E-Mail-Adresse hat schon ein anderes Konto." in response.get_data(as_text=True)


def test_admin_gives_a_user_several_roles_with_their_scopes(app, client_as):
    with app.app_context():
        uid = get_user("fachkraft").id
    nord = ids(app, Sozialraum, slug="nord")
    awo = ids(app, Traeger, short_name="AWO")
    taubach = ids(app, Ortsteil, slug="taubach")
    response = client_as("admin").post(f"/admin/users/{uid}", data={
        "display_name": "Thomas Becker", "email": "fachkraft@awo.example",
        "roles": ["fachkraft", "koordination", "ehrenamt"], "traeger": str(awo), "sozialraum": str(nord),
        "ortsteile": [str(taubach)]})
    assert response.status_code == 303
    with app.app_context():
        user = get_user("fachkraft")
        assert user.roles == {Role.FACHKRAFT, Role.KOORDINATION, Role.EHRENAMT}
        assert user.sozialraum.slug == "nord" and [o.slug for o in user.ortsteile] == ["taubach"]


def test_admin_cannot_take_away_their_own_admin_role(app, client_as):
    with app.app_context():
        uid = get_user("admin").id
    response = client_as("admin").post(f"/admin/users/{uid}", data={
        "display_name": "Sabine Adler", "email": "admin@portal.example", "roles": ["moderation"],
        "traeger": "0", "sozialraum": "0"})
    assert response.status_code == 422
    with app.app_context():
        assert get_user("admin").is_admin


def test_admin_cannot_deactivate_their_own_account(app, client_as):
    with app.app_context():
        uid = get_user("admin").id
    assert client_as("admin").post(f"/admin/users/{uid}/deactivate").status_code == 409


def test_new_ortsteil_gets_a_slug_and_duplicates_are_refused(app, client_as):
    admin = client_as("admin")
    west = ids(app, Sozialraum, slug="west")
    assert admin.post("/admin/ortsteile/new", data={"name": "Oberweimar/Ehringsdorf", "sozialraum": str(west)}).status_code == 303
    assert ids(app, Ortsteil, slug="oberweimar-ehringsdorf")
    again = admin.post("/admin/ortsteile/new", data={"name": "Taubach", "sozialraum": str(west)})
    assert again.status_code == 422
    assert "schon vergeben" in again.get_data(as_text=True)


def test_traeger_kind_is_saved(app, client_as):
    response = client_as("admin").post("/admin/traeger/new", data={
        "name": "Kinder- und Jugendhaus e. V.", "short_name": "KJH", "kind": "frei"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Traeger).where(Traeger.short_name == "KJH")).kind.label == "freier Träger"


def test_edited_legal_page_is_public_and_sanitised(client_as, client):
    response = client_as("admin").post("/admin/pages/impressum", data={
        "title": "Impressum", "body": "Stadt **Musterstadt**\n\n<script>alert(1)</script>"})
    assert response.status_code == 303
    page = client.get("/impressum").get_data(as_text=True)
    assert "<strong>Musterstadt</strong>" in page
    assert "<script>alert" not in page


def test_user_list_is_paginated_and_its_query_count_does_not_grow(app, client_as, count_queries):
    admin = client_as("admin")
    with count_queries() as few:
        admin.get("/admin/users")
    with app.app_context():
        taubach = db.session.scalar(select(Ortsteil).where(Ortsteil.slug == "taubach"))
        db.session.execute(insert(User), [
            {"email": f"person{i}@example.org", "display_name": f"Person {i:03}", "active": True,
             "session_version": 1} for i in range(300)])
        for user in db.session.scalars(select(User).where(User.email.like("person%"))):
            user.ortsteile.append(taubach)
            user.set_roles([Role.EHRENAMT])
        db.session.commit()
        assert db.session.scalar(select(func.count(User.id))) > 300
    with count_queries() as many:
        response = admin.get("/admin/users")
    assert many.count == few.count
    html = response.get_data(as_text=True)
    assert len(re.findall(r'href="/admin/users/\d+"', html)) == 25
    next_page = re.search(r'href="(/admin/users\?nach=\d+)"', html).group(1)
    with count_queries() as later:
        second = admin.get(next_page).get_data(as_text=True)
    assert later.count <= few.count + 1  # at most the cursor row's sort key more
    first_names = set(re.findall(r'href="/admin/users/(\d+)"', html))
    assert first_names.isdisjoint(re.findall(r'href="/admin/users/(\d+)"', second))


def test_ortsteil_slug_cannot_hide_a_pinboard_page(app, client_as):
    west = ids(app, Sozialraum, slug="west")
    response = client_as("admin").post("/admin/ortsteile/new", data={"name": "Alle", "sozialraum": str(west)})
    assert response.status_code == 422
    assert "für die Pinnwand reserviert" in response.get_data(as_text=True)
