"""flask seed-demo and create-user."""
from sqlalchemy import func, select

from portal.auth.models import Role, User
from portal.extensions import db
from portal.org.models import Ortsteil, Sozialraum, Traeger
from tests.conftest import login


def counts():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in (User, Ortsteil, Sozialraum, Traeger)}


def test_seed_demo_is_idempotent_and_realistic(app):
    with app.app_context():
        before = counts()  # the fixture database is already seeded once
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@portal.example" in result.output
    with app.app_context():
        assert counts() == before
        assert before["Sozialraum"] == 3 and before["Ortsteil"] >= 8 and before["Traeger"] >= 6
        roles = {r for u in db.session.scalars(select(User)) for r in u.roles}
        assert roles == set(Role)


def test_seed_demo_with_password_sets_it_for_demo_logins(app, client):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--password", "anderes-passwort"])
    assert result.exit_code == 0, result.output
    login(client, "leitung@portal.example", "anderes-passwort")


def test_create_user_prints_an_invitation_link(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "Ina.Berg@example.org", "--name", "Ina Berg", "--role", "ehrenamt",
        "--ortsteil", "Legefeld", "--ortsteil", "taubach"])
    assert result.exit_code == 0, result.output
    assert "http://localhost/account/set-password/" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ina.berg@example.org"))
        assert [o.name for o in user.ortsteile] == ["Legefeld", "Taubach"]
        assert user.password_hash is None


def test_create_user_with_password_can_sign_in(app, client):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "kai@drk.example", "--name", "Kai Sommer", "--role", "fachkraft", "--traeger", "DRK",
        "--password", "Sommer-im-Ortsteil"])
    assert result.exit_code == 0, result.output
    login(client, "kai@drk.example", "Sommer-im-Ortsteil")


def test_create_user_refuses_unknown_ortsteil_and_missing_scope(app):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["create-user", "a@example.org", "--name", "A", "--role", "ehrenamt", "--ortsteil", "Atlantis"])
    assert unknown.exit_code != 0 and "Ortsteil „Atlantis“ gibt es nicht." in unknown.output
    missing = runner.invoke(args=["create-user", "b@example.org", "--name", "B", "--role", "koordination"])
    assert missing.exit_code != 0 and "Koordination braucht ihren Sozialraum." in missing.output
    duplicate = runner.invoke(args=["create-user", "ADMIN@portal.example", "--name", "C", "--role", "admin"])
    assert duplicate.exit_code != 0 and "gibt es schon" in duplicate.output
