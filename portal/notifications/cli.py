"""``flask --app portal mail send`` and ``flask --app portal mail digests``: what cron or a systemd
timer runs (see README › Betrieb)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal.extensions import db

mail_cli = AppGroup("mail", help="E-Mails des Portals: Postausgang senden, Zusammenfassungen erstellen.")


@mail_cli.command("send")
@click.option("--batch", default=50, show_default=True, help="Mails pro Verbindung zum Mailserver.")
def send_command(batch: int):
    """Send the due mails of the outbox (safe to run several at once)."""
    from portal.notifications.mail import send_outbox, smtp_configured

    if not smtp_configured():
        click.echo("Kein Mailserver eingerichtet (MAIL_HOST): die Mails bleiben im Postausgang.")
        return
    result = send_outbox(batch=batch)
    click.echo(f"{result.sent} gesendet, {result.retried} später erneut, {result.failed} aufgegeben.")


@mail_cli.command("digests")
def digests_command():
    """Write the due daily/weekly digests and the Wirkungsbericht reminders into the outbox."""
    from portal.formatting import heute
    from portal.notifications.listeners import remind_due_reports
    from portal.notifications.mail import build_digests

    reminded = remind_due_reports(heute())
    written = build_digests()
    db.session.commit()
    click.echo(f"{written} Zusammenfassungen in den Postausgang gelegt, {reminded} Erinnerungen an Wirkungsberichte.")


def init_app(app: Flask) -> None:
    app.cli.add_command(mail_cli)
