"""Accounts: invitation and reset links, password change, own data export."""
import re
from datetime import timedelta

import pytest

from sqlalchemy import select

from portal.auth.models import AccountLink, User
from portal.extensions import db, utcnow
from tests.conftest import get_user, login


def ortsteil_id(app, slug: str) -> int:
    from portal.org.models import Ortsteil

    with app.app_context():
        return db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == slug))


def invite(admin_client, ortsteil: int, **overrides) -> str:
    data = {"display_name": "Erika Neumann", "email": "Erika.Neumann@Example.org", "roles": ["ehrenamt"],
            "ortsteile": [str(ortsteil)], "traeger": "0", "sozialraum": "0", **overrides}
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.search(r'value="(http://localhost/account/set-password/[^"]+)"', response.get_data(as_text=True)).group(1)


def path_of(link: str) -> str:
    return link.removeprefix("http://localhost")


def test_invited_user_sets_a_password_once_and_signs_in(app, client_as, client):
    link = invite(client_as("admin"), ortsteil_id(app, "gelmeroda"))
    assert "Erika Neumann" in client.get(path_of(link)).get_data(as_text=True)
    response = client.post(path_of(link), data={"password": "Kinderfest-2026", "confirm": "Kinderfest-2026"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/account").status_code == 200  # signed in at once
    login(app.test_client(), "erika.neumann@example.org", "Kinderfest-2026")  # stored lower-case
    # the link is used up
    assert client.get(path_of(link)).status_code == 404
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "erika.neumann@example.org"))
        assert [o.name for o in user.ortsteile] == ["Gelmeroda"]
        assert user.display_name == "Erika Neumann"


def test_expired_invitation_link_is_refused(app, client_as, client):
    link = invite(client_as("admin"), ortsteil_id(app, "gelmeroda"))
    with app.app_context():
        for row in db.session.scalars(select(AccountLink)):
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get(path_of(link))
    assert response.status_code == 404
    assert "gilt nicht mehr" in response.get_data(as_text=True)


def test_a_new_reset_link_revokes_the_older_one(app, client_as, client):
    admin = client_as("admin")
    with app.app_context():
        uid = get_user("fachkraft").id
    first = re.search(r'value="http://localhost([^"]+)"', admin.post(f"/admin/users/{uid}/link").get_data(as_text=True)).group(1)
    second = re.search(r'value="http://localhost([^"]+)"', admin.post(f"/admin/users/{uid}/link").get_data(as_text=True)).group(1)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_reset_link_sets_a_new_password_and_ends_old_sessions(app, client_as, client):
    old_session = client_as("fachkraft")
    with app.app_context():
        uid = get_user("fachkraft").id
    page = client_as("admin").post(f"/admin/users/{uid}/link").get_data(as_text=True)
    assert "Link zum Zurücksetzen" in page
    link = re.search(r'value="http://localhost([^"]+)"', page).group(1)
    client.post(link, data={"password": "Neues-Passwort-1", "confirm": "Neues-Passwort-1"})
    assert old_session.get("/account").status_code == 302
    assert client.get("/account").status_code == 200  # the new session is signed in
    login(app.test_client(), "fachkraft@awo.example", "Neues-Passwort-1")


def test_set_password_rejects_short_and_mismatching_passwords(app, client_as, client):
    link = path_of(invite(client_as("admin"), ortsteil_id(app, "gelmeroda")))
    short = client.post(link, data={"password": "kurz", "confirm": "kurz"})
    assert short.status_code == 422
    assert "mindestens 10 Zeichen" in short.get_data(as_text=True)
    mismatch = client.post(link, data={"password": "lang-genug-1", "confirm": "lang-genug-2"})
    assert "stimmen nicht überein" in mismatch.get_data(as_text=True)


def test_password_change_needs_the_current_password(client_as):
    client = client_as("ehrenamt")
    response = client.post("/account/password", data={"current": "falsch", "password": "Ganz-neues-Passwort",
                                                       "confirm": "Ganz-neues-Passwort"})
    assert response.status_code == 422
    assert "Das bisherige Passwort stimmt nicht." in response.get_data(as_text=True)


def test_password_change_keeps_this_session_and_ends_others(client_as):
    here, elsewhere = client_as("ehrenamt"), client_as("ehrenamt")
    response = here.post("/account/password", data={"current": "demo-passwort", "password": "Ganz-neues-Passwort",
                                                     "confirm": "Ganz-neues-Passwort"})
    assert response.status_code == 303
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_own_data_export_holds_the_users_data(client_as):
    data = client_as("ehrenamt").get("/account/export.json").get_json()
    assert data["email"] == "ehrenamt.taubach@portal.example"
    assert data["ortsteile"] == ["Taubach"]
    assert data["rollen"] == ["Ehrenamtliche:r"]


def test_own_data_export_lists_api_tokens_by_name_never_the_token(app, client_as):
    from portal.auth.services import create_api_token

    with app.app_context():
        token, row = create_api_token(get_user("ag_mitglied"), "Ratsinfo-App am Laptop")
        digest = row.token_hash
        db.session.commit()
    from datetime import datetime

    export = client_as("ag_mitglied").get("/account/export.json")
    (listed,) = export.get_json()["api_zugaenge"]
    assert listed["name"] == "Ratsinfo-App am Laptop" and listed["zuletzt_benutzt"] is None
    assert datetime.fromisoformat(listed["angelegt_am"]).date() == utcnow().date()
    text = export.get_data(as_text=True)
    assert token not in text and digest not in text
    assert client_as("ehrenamt").get("/account/export.json").get_json()["api_zugaenge"] == []


def test_own_data_export_covers_every_feature(client_as):
    volunteer = client_as("ehrenamt").get("/account/export.json").get_json()
    assert volunteer["pinnwand"]["beitraege"], "the demo volunteer of Taubach has posts"
    assert any("Familiencafé" in e["titel"] for e in volunteer["kalender"])
    awo = client_as("fachkraft").get("/account/export.json").get_json()
    assert awo["projektantraege"]["antraege"]
    member = client_as("ag_mitglied").get("/account/export.json").get_json()
    assert member["ag_78"]["mitgliedschaften"][0]["stimmberechtigt"] is True


def test_own_data_export_holds_what_a_person_did_not_only_what_they_own(app, client_as):
    """Danke, reports, moderation steps, decisions with reasons, steps of minutes (ASVS 8.3, DSGVO Art. 15)."""
    from tests.factories.board import make_post

    with app.app_context():
        post = make_post("ehrenamt_legefeld", "legefeld", title="Werkzeugkiste gesucht")
        db.session.commit()
        post_id = post.id
    volunteer = client_as("ehrenamt")
    assert volunteer.post(f"/board/posts/{post_id}/thanks").status_code in (200, 303)
    assert volunteer.post(f"/board/posts/{post_id}/report", data={"reason": "Bitte prüfen: Telefonnummer"}).status_code in (200, 303)
    moderation = client_as("moderation")
    assert moderation.post(f"/board/posts/{post_id}/hide", data={"reason": "Telefonnummer entfernt"}).status_code in (200, 303)

    mine = volunteer.get("/account/export.json").get_json()["pinnwand"]
    assert "Werkzeugkiste gesucht" in [d["beitrag"] for d in mine["danke"]]
    assert "Bitte prüfen: Telefonnummer" in [r["grund"] for r in mine["meldungen"]]
    steps = moderation.get("/account/export.json").get_json()["pinnwand"]["moderation"]
    assert any(e["grund"] == "Telefonnummer entfernt" for e in steps)
    leitung = client_as("leitung").get("/account/export.json").get_json()["projektantraege"]
    assert leitung["schritte"], "the demo Leitung decided proposals"
    protokoll = client_as("protokoll").get("/account/export.json").get_json()["ag_78"]
    assert protokoll["protokollschritte"], "the demo secretary published minutes"


def test_a_one_time_link_used_by_two_requests_at_once_sets_one_password(app):
    """Both requests found the link open; only the first to take it may set a password."""


    from portal.auth.models import LinkPurpose
    from portal.auth.services import create_account_link, find_account_link, use_account_link
    from portal.errors import Conflict
    from portal.security import verify_password

    with app.test_request_context():
        token = create_account_link(get_user("fachkraft"), LinkPurpose.RESET).rsplit("/", 1)[1]
        db.session.commit()
    with app.app_context():  # request B
        late = find_account_link(token)
        assert late is not None
        with app.app_context():  # request A, a moment earlier to the finish
            use_account_link(find_account_link(token), "Erstes-Passwort-2026")
            db.session.commit()
        with pytest.raises(Conflict):
            use_account_link(late, "Zweites-Passwort-2026")
        db.session.rollback()
    with app.app_context():
        assert verify_password(get_user("fachkraft").password_hash, "Erstes-Passwort-2026")


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "1234567890", "password123", "qwertzuiop", "fachkraft@awo.example",
                                  "Passwort123"])
def test_common_and_context_passwords_are_refused_with_a_german_reason(client, weak):
    login(client, "fachkraft@awo.example")
    response = client.post("/account/password", data={"current": "demo-passwort", "password": weak, "confirm": weak})
    assert response.status_code == 422
    assert "zu leicht zu erraten" in response.get_data(as_text=True)


def test_a_passphrase_is_accepted(client):
    login(client, "fachkraft@awo.example")
    phrase = "Montags backen wir Brot in Taubach"
    response = client.post("/account/password", data={"current": "demo-passwort", "password": phrase, "confirm": phrase})
    assert response.status_code == 303
