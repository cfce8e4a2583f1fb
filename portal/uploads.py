"""Uploaded files: checked by size, extension and content (magic bytes), stored under
UPLOAD_DIR with random names, and handed out only through views that checked permissions."""
from __future__ import annotations

import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from portal.extensions import db

#: extension -> (content type, German name used in messages)
KINDS = {
    "jpg": ("image/jpeg", "JPEG-Bild"),
    "jpeg": ("image/jpeg", "JPEG-Bild"),
    "png": ("image/png", "PNG-Bild"),
    "webp": ("image/webp", "WebP-Bild"),
    "pdf": ("application/pdf", "PDF"),
    "odt": ("application/vnd.oasis.opendocument.text", "ODT-Dokument"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word-Dokument"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel-Tabelle"),
}
IMAGES = {"jpg", "jpeg", "png", "webp"}


class UploadError(ValueError):
    """A German message for the user; ``status`` is what the view should answer."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StoredFile:
    #: Random name under UPLOAD_DIR (with subfolder), never derived from user input.
    storage_name: str
    #: The user's file name, cleaned, for display and download.
    original_name: str
    content_type: str
    size: int

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def _matches(ext: str, head: bytes, stream) -> bool:
    """Does the content really look like the extension says?"""
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext in ("odt", "docx", "xlsx"):
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(stream) as z:
                _refuse_zip_bomb(z)
                names = set(z.namelist())
                if ext == "odt":
                    with z.open("mimetype") as member:  # read with a bound, whatever the header claims
                        return member.read(100).decode().strip() == KINDS["odt"][0]
                return "[Content_Types].xml" in names and (
                    ("word/document.xml" in names) if ext == "docx" else ("xl/workbook.xml" in names))
        except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, NotImplementedError, RuntimeError):
            return False
        finally:
            stream.seek(0)
    return False


#: Office documents are ZIP archives; these bounds refuse "ZIP bombs" before anything is inflated.
ZIP_MAX_MEMBERS = 5_000
ZIP_MAX_TOTAL = 200 * 1024 * 1024  # uncompressed bytes of all members
ZIP_MAX_RATIO = 200  # uncompressed : compressed, per member (office files stay far below)


def _refuse_zip_bomb(z: zipfile.ZipFile) -> None:
    members = z.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise UploadError("Das Dokument enthält ungewöhnlich viele Teile und wird nicht angenommen.")
    if sum(m.file_size for m in members) > ZIP_MAX_TOTAL:
        raise UploadError("Das Dokument wäre entpackt zu groß und wird nicht angenommen.")
    for m in members:
        if m.file_size > 1024 * 1024 and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1):
            raise UploadError("Das Dokument ist ungewöhnlich stark gepackt und wird nicht angenommen.")


def _size(file: FileStorage) -> int:
    stream = file.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def check_upload(file: FileStorage, allowed: set[str], max_bytes: int) -> tuple[str, int]:
    """Return (extension, size) or raise UploadError with a German message."""
    name = file.filename or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed_names = ", ".join(sorted({KINDS[e][1] for e in allowed}))
    if ext not in allowed:
        raise UploadError(f"„{name}“ hat ein nicht erlaubtes Format. Erlaubt: {allowed_names}.")
    size = _size(file)
    if size > max_bytes:
        raise UploadError(
            f"„{name}“ ist {f'{size / 1024 / 1024:.1f}'.replace('.', ',')} MB groß; "
            f"erlaubt sind höchstens {max_bytes // (1024 * 1024)} MB.",
            status=413,
        )
    if size == 0:
        raise UploadError(f"„{name}“ ist leer.")
    head = file.stream.read(16)
    file.stream.seek(0)
    if not _matches(ext, head, file.stream):
        raise UploadError(f"„{name}“ ist kein gültiges {KINDS[ext][1]}.")
    return ext, size


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def save_upload(file: FileStorage, subdir: str, allowed: set[str], max_bytes: int) -> StoredFile:
    """Check and store ``file`` under UPLOAD_DIR/subdir with a random name."""
    ext, size = check_upload(file, allowed, max_bytes)
    folder = upload_root() / subdir
    folder.mkdir(parents=True, exist_ok=True)
    storage_name = f"{subdir}/{secrets.token_hex(16)}.{ext}"
    file.save(upload_root() / storage_name)
    discard_on_rollback(storage_name)
    original = secure_filename(file.filename or "") or f"datei.{ext}"
    # secure_filename drops umlauts; keep the user's name when it is harmless
    display = (file.filename or original).replace("/", "_").replace("\\", "_")[:200]
    return StoredFile(storage_name, display, KINDS[ext][0], size)


def _path(storage_name: str) -> Path | None:
    root = upload_root().resolve()
    path = (root / storage_name).resolve()
    return path if root in path.parents else None


def delete_upload(storage_name: str) -> None:
    """Delete a file no row refers to (e.g. one refused after saving). Files of rows: remove_after_commit."""
    path = _path(storage_name)
    if path is not None:
        path.unlink(missing_ok=True)


def remove_after_commit(storage_name: str) -> None:
    """Delete a stored file once the transaction that dropped its row has committed.

    Deleting before the commit would lose the file when the commit fails (a 409, a lost
    connection): the row would stay and point at nothing. After a rollback the file stays.
    """
    path = _path(storage_name)
    if path is not None:
        db.session.connection()  # begin the transaction now, so that its end is seen
        db.session.info.setdefault("files_to_remove", []).append(path)


def discard_on_rollback(storage_name: str) -> None:
    """A file written for rows of this transaction: removed again if the transaction rolls back."""
    path = _path(storage_name)
    if path is not None:
        db.session.connection()
        db.session.info.setdefault("files_written", []).append(path)


@event.listens_for(Session, "after_commit")
def _remove_files_after_commit(session) -> None:
    for path in session.info.pop("files_to_remove", []):
        path.unlink(missing_ok=True)
    session.info.pop("files_written", None)


@event.listens_for(Session, "after_soft_rollback")
def _keep_files_after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction may still commit
    session.info.pop("files_to_remove", None)
    for path in session.info.pop("files_written", []):
        path.unlink(missing_ok=True)


def send_upload(storage_name: str, download_name: str, content_type: str, inline: bool = False) -> Response:
    """Send a stored file; call only after the view checked the user may see it."""
    path = (upload_root() / storage_name).resolve()
    if upload_root().resolve() not in path.parents or not path.exists():
        from flask import abort

        abort(404)
    response = send_file(path, mimetype=content_type, as_attachment=not inline,
                         download_name=download_name, max_age=0, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
