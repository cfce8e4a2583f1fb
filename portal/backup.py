"""Online backup and restore: SQLite through its backup API (consistent while the portal runs),
PostgreSQL through pg_dump/pg_restore (custom format)."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def _sqlite_path(url) -> Path:
    return Path(url.database)


def _pg_args(url) -> list[str]:
    args = ["--dbname", url.set(drivername="postgresql").render_as_string(hide_password=False)]
    return args


def backup(database_url: str, dest: Path) -> Path:
    url = make_url(database_url)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(dest)
        try:
            with target:
                source.backup(target)  # page-by-page copy that sees one consistent snapshot
        finally:
            target.close()
            source.close()
        return dest
    if url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if not pg_dump:
            raise RuntimeError("pg_dump fehlt (apt-get install postgresql-client).")
        subprocess.run([pg_dump, "--format=custom", "--no-owner", "--file", str(dest), *_pg_args(url)], check=True)
        return dest
    raise RuntimeError(f"Sicherung für {url.get_backend_name()} wird nicht unterstützt.")


def restore(database_url: str, source: Path) -> None:
    """Replace the database with a backup. Stop the portal first."""
    url = make_url(database_url)
    source = Path(source)
    if not source.exists():
        raise RuntimeError(f"{source} gibt es nicht.")
    if url.get_backend_name() == "sqlite":
        target_path = _sqlite_path(url)
        backup_db = sqlite3.connect(source)
        target = sqlite3.connect(target_path)
        try:
            with target:
                backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    if url.get_backend_name() == "postgresql":
        pg_restore = shutil.which("pg_restore")
        if not pg_restore:
            raise RuntimeError("pg_restore fehlt (apt-get install postgresql-client).")
        subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                        *_pg_args(url), str(source)], check=True)
        return
    raise RuntimeError(f"Wiederherstellung für {url.get_backend_name()} wird nicht unterstützt.")
