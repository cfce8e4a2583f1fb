"""flask --app portal seed-demo | create-user."""
from __future__ import annotations

import click
from pathlib import Path

from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from portal.auth import services
from portal.auth.models import LinkPurpose, Role, User
from portal.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(seed_bench_command)


@click.command("seed-demo")
@with_appcontext
@click.option("--password", default=None,
              help="Passwort der Demo-Konten (Standard: demo-passwort). Setzt es auch bei bestehenden Konten.")
def seed_demo_command(password: str | None):
    """Fill the database with realistic demo data (idempotent)."""
    from portal.demo import DEFAULT_PASSWORD, USERS, seed_demo

    seed_demo(password or DEFAULT_PASSWORD, reset_passwords=password is not None)
    click.echo("Demo-Daten sind angelegt. Anmeldungen:")
    for email, _name, roles, _scope in USERS:
        click.echo(f"  {email:38} {', '.join(r.label for r in roles)}")
    if password is None:
        click.echo(f"Passwort neuer Demo-Konten: {DEFAULT_PASSWORD}")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--name", required=True, help="Anzeigename")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]),
              help="Rolle (mehrfach möglich)")
@click.option("--ortsteil", "ortsteile", multiple=True, help="Ortsteil (Name oder Kürzel, mehrfach möglich)")
@click.option("--traeger", help="Träger (Kurzname)")
@click.option("--sozialraum", help="Sozialraum (Name oder Kürzel)")
@click.option("--password", help="Passwort setzen statt einen Einladungslink auszugeben")
def create_user_command(email, name, roles, ortsteile, traeger, sozialraum, password):
    """Create a user and print a one-time invitation link."""
    email = services.normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise click.ClickException(f"Ein Konto mit {email} gibt es schon.")
    try:
        found_ortsteile, found_traeger, found_sozialraum = services.resolve_scope(ortsteile, traeger, sozialraum)
    except LookupError as e:
        raise click.ClickException(str(e)) from None
    problems = services.scope_problems(roles, found_ortsteile, found_traeger, found_sozialraum)
    if problems:
        raise click.ClickException(" ".join(problems.values()))
    user = User(email=email, display_name=name, traeger=found_traeger, sozialraum=found_sozialraum,
                ortsteile=found_ortsteile)
    user.set_roles(roles)
    db.session.add(user)
    if password:
        services.set_password(user, password)
        db.session.commit()
        click.echo(f"Konto {email} angelegt.")
    else:
        db.session.flush()
        link = services.create_account_link(user, LinkPurpose.INVITE)
        db.session.commit()
        click.echo(f"Konto {email} angelegt. Einladungslink (7 Tage gültig, einmal nutzbar):\n{link}")


@click.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path):
    """Write the database and the uploaded files into one archive DEST (works while the portal runs)."""
    from portal.backup import backup

    db.engine.dispose()
    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], dest, Path(current_app.config["UPLOAD_DIR"]))
    except (RuntimeError, OSError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Sicherung geschrieben: {dest}")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--yes", is_flag=True, help="ohne Rückfrage")
@with_appcontext
def restore_command(source: Path, yes: bool):
    """Replace the database and the uploaded files with the backup SOURCE. Stop the portal first."""
    from portal.backup import restore

    if not yes:
        click.confirm("Datenbank und hochgeladene Dateien werden durch die Sicherung ersetzt. Ist das Portal gestoppt?",
                      abort=True)
    db.engine.dispose()
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source, Path(current_app.config["UPLOAD_DIR"]))
    except (RuntimeError, OSError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Wiederhergestellt aus {source}. Danach: flask --app portal db upgrade")


@click.command("seed-bench")
@with_appcontext
@click.option("--ortsteile", default=30, show_default=True, help="Ortsteile insgesamt")
@click.option("--users", default=2000, show_default=True, help="Konten insgesamt")
@click.option("--posts", default=100_000, show_default=True, help="Pinnwand-Beiträge (mit Kommentaren, Danke, Anhängen)")
@click.option("--events", default=10_000, show_default=True, help="Kalendertermine (einige als Serie)")
@click.option("--proposals", default=5_000, show_default=True, help="Projektanträge mit Verlauf")
@click.option("--ags", default=40, show_default=True, help="AGs 78")
@click.option("--meetings", default=1_000, show_default=True, help="Sitzungen mit Niederschrift (über alle AGs)")
def seed_bench_command(**sizes):
    """Fill a fresh database (after seed-demo) with production-size data for bench/run.py."""
    import time

    from portal.bench_seed import Sizes, seed_bench

    started = time.perf_counter()
    seed_bench(Sizes(**sizes), echo=click.echo)
    click.echo(f"Benchmark-Daten angelegt in {time.perf_counter() - started:.0f} s.")
