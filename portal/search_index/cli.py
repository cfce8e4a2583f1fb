"""``flask search reindex``: rebuild the search index (after upgrading to migration 0016, or when
in doubt)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

search_cli = AppGroup("search", help="Portalweite Suche.")


@search_cli.command("reindex")
def reindex_command():
    """Den Suchindex aus allen Beiträgen, Terminen, Anträgen und AG-Protokollen neu aufbauen."""
    from portal.extensions import db
    from portal.search_index.services import reindex_all

    count = reindex_all()
    db.session.commit()
    click.echo(f"Suchindex neu aufgebaut: {count} Einträge.")


def init_app(app: Flask) -> None:
    app.cli.add_command(search_cli)
