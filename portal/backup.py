"""Backup and restore of the whole portal: the database *and* the uploaded files, in one archive.

The archive (tar, mode 0600) holds ``manifest.json``, the database (SQLite: a copy through the
backup API, consistent while the portal runs; PostgreSQL: ``pg_dump --format=custom``) and
``uploads/``. Uploaded files are never changed in place, only created and removed, and a row's file
is removed only after the row's deletion committed. So the files are first hard-linked into a
staging folder (a file removed afterwards stays there), then the database snapshot is taken, then
files created meanwhile are added: every file the snapshot refers to is in the archive.

The PostgreSQL password never appears on a command line: pg_dump and pg_restore get it through
their environment (PGPASSWORD).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

FORMAT = "traegerportal-backup/1"


def _pg_command(url) -> tuple[list[str], dict]:
    """Connection arguments and environment for pg_dump/pg_restore, password in the environment."""
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _program(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} fehlt (apt-get install postgresql-client).")
    return found


def _dump_database(url, target: Path) -> str:
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # page-by-page copy of one consistent snapshot
        finally:
            copy.close()
            source.close()
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        args, env = _pg_command(url)
        subprocess.run([_program("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args],
                       check=True, env=env)
        return "postgresql"
    raise RuntimeError(f"Sicherung für {url.get_backend_name()} wird nicht unterstützt.")


def _stage_uploads(uploads: Path, staging: Path) -> None:
    """Hard-link (or copy) every file under ``uploads`` that is not staged yet."""
    if not uploads.exists():
        return
    for path in uploads.rglob("*"):
        if not path.is_file():
            continue
        target = staging / path.relative_to(uploads)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:  # another file system, or the file just went away
            try:
                shutil.copy2(path, target)
            except FileNotFoundError:
                pass


def backup(database_url: str, dest: Path, upload_dir: Path) -> Path:
    url = make_url(database_url)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    upload_dir = Path(upload_dir)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=upload_dir.parent if upload_dir.parent.exists() else None) as tmp:
        work = Path(tmp)
        staging = work / "uploads"
        staging.mkdir()
        _stage_uploads(upload_dir, staging)  # before the snapshot: files removed later stay here
        kind = _dump_database(url, work / "database")
        _stage_uploads(upload_dir, staging)  # files of rows created before the snapshot finished
        manifest = {"format": FORMAT, "database": kind, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "files": sum(1 for p in staging.rglob("*") if p.is_file())}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w") as archive:
            for name in ("manifest.json", "database", "uploads"):
                archive.add(work / name, arcname=name)
    return dest


def _safe_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for m in archive.getmembers():
        if m.name.startswith(("/", "..")) or ".." in Path(m.name).parts or not (m.isfile() or m.isdir()):
            raise RuntimeError(f"Die Sicherung enthält einen unzulässigen Eintrag: {m.name}")
        members.append(m)
    return members


def restore(database_url: str, source: Path, upload_dir: Path) -> dict:
    """Replace the database and the uploaded files with a backup. Stop the portal first."""
    url = make_url(database_url)
    source = Path(source)
    if not source.exists():
        raise RuntimeError(f"{source} gibt es nicht.")
    try:
        archive = tarfile.open(source, mode="r")
    except tarfile.TarError:
        raise RuntimeError(f"{source} ist keine Sicherung des Portals (kein Archiv).") from None
    with archive, tempfile.TemporaryDirectory(prefix=".restore-") as tmp:
        work = Path(tmp)
        archive.extractall(work, members=_safe_members(archive), filter="data")
        try:
            manifest = json.loads((work / "manifest.json").read_text())
        except (OSError, ValueError):
            raise RuntimeError(f"{source} ist keine Sicherung des Portals (manifest.json fehlt).") from None
        if manifest.get("format") != FORMAT or manifest.get("database") != url.get_backend_name():
            raise RuntimeError(f"Die Sicherung passt nicht zu dieser Datenbank ({manifest.get('database')}).")
        if manifest["database"] == "sqlite":
            saved = sqlite3.connect(work / "database")
            target = sqlite3.connect(url.database)
            try:
                with target:
                    saved.backup(target)
            finally:
                target.close()
                saved.close()
        else:
            args, env = _pg_command(url)
            subprocess.run([_program("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                            *args, str(work / "database")], check=True, env=env)
        upload_dir = Path(upload_dir)
        if upload_dir.exists():
            shutil.rmtree(upload_dir)
        shutil.copytree(work / "uploads", upload_dir)
    return manifest
