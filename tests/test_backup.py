"""flask backup / restore: a round trip keeps the data, on SQLite and on PostgreSQL."""
from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db


def test_backup_and_restore_round_trip(app, client_as, tmp_path):
    runner = app.test_cli_runner()
    dest = tmp_path / "sicherung.bak"
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert dest.stat().st_size > 0

    # a change after the backup ...
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "leitung@portal.example"))
        user.display_name = "Geändert nach der Sicherung"
        db.session.add(User(email="neu@example.org", display_name="Neu"))
        db.session.commit()

    result = runner.invoke(args=["restore", str(dest), "--yes"])
    assert result.exit_code == 0, result.output

    # ... is gone, and the portal works on the restored data
    with app.app_context():
        db.session.remove()
        names = {u.email: u.display_name for u in db.session.scalars(select(User))}
    assert names["leitung@portal.example"] == "Dr. Karin Lehmann"
    assert "neu@example.org" not in names
    assert client_as("leitung").get("/account").status_code == 200


def test_backup_while_the_portal_holds_an_open_transaction(app, tmp_path):
    """SQLite's backup API copies a consistent snapshot even with a writer in the middle."""
    with app.app_context():
        db.session.add(User(email="halb@example.org", display_name="Halb fertig"))
        db.session.flush()  # uncommitted write
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.bak")])
        db.session.rollback()
    assert result.exit_code == 0, result.output


def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "fehlt.bak"), "--yes"])
    assert result.exit_code != 0


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_backup_holds_the_uploaded_files_and_restore_brings_them_back(app, tmp_path):
    import stat
    from pathlib import Path

    uploads = Path(app.config["UPLOAD_DIR"])
    (uploads / "board").mkdir(parents=True, exist_ok=True)
    (uploads / "board" / "foto.jpg").write_bytes(b"\xff\xd8\xff Foto vom Herd")
    before = _files(uploads)
    dest = tmp_path / "portal.tar"
    result = app.test_cli_runner().invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600

    (uploads / "board" / "foto.jpg").unlink()  # removed after the backup
    (uploads / "board" / "spaeter.jpg").write_bytes(b"\xff\xd8\xff neu")  # created after it
    result = app.test_cli_runner().invoke(args=["restore", str(dest), "--yes"])
    assert result.exit_code == 0, result.output
    assert _files(uploads) == before


def test_restore_refuses_a_file_that_is_no_portal_backup(app, tmp_path):
    bogus = tmp_path / "fremd.tar"
    bogus.write_bytes(b"kein archiv")
    result = app.test_cli_runner().invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code != 0
    assert "keine Sicherung des Portals" in result.output


def test_the_postgresql_password_goes_to_the_environment_not_the_command_line():
    from sqlalchemy.engine import make_url

    from portal.backup import _pg_command

    args, env = _pg_command(make_url("postgresql+psycopg://portal:Geheim-123@db.intern:5433/portal"))
    assert "Geheim-123" not in " ".join(args)
    assert env["PGPASSWORD"] == "Geheim-123"
    assert args[args.index("--host") + 1] == "db.intern" and args[args.index("--port") + 1] == "5433"
