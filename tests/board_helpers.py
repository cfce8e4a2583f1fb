"""Small builders for Pinnwand tests: images and form data (objects: tests/factories/board.py)."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from portal.board.models import Post
from portal.extensions import db
from portal.org.models import Ortsteil

HX = {"HX-Request": "true"}


def image_bytes(fmt: str = "JPEG", size=(800, 600), gps: bool = True) -> bytes:
    """A real picture; as JPEG with the EXIF a phone writes (maker and GPS position)."""
    image = Image.new("RGB", size, (200, 120, 40))
    buffer = io.BytesIO()
    if fmt == "JPEG" and gps:
        exif = Image.Exif()
        exif[0x010F] = "Handyhersteller"
        exif[0x8825] = {1: "N", 2: (50.0, 58.0, 1.0), 3: "E", 4: (11.0, 19.0, 5.0)}
        image.save(buffer, fmt, exif=exif.tobytes())
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


def post_data(**overrides) -> dict:
    data = {"title": "Laternen basteln am Freitag", "category": "angebot",
            "body": "Wir basteln **Laternen** im Gemeindehaus.", "visible_until": ""}
    data.update(overrides)
    return data


def post_by_title(title: str) -> Post:
    """A post a test created through the app under a title of its own."""
    return db.session.scalar(select(Post).where(Post.title == title))


def ortsteil(slug: str) -> Ortsteil:
    return db.session.scalar(select(Ortsteil).where(Ortsteil.slug == slug))
