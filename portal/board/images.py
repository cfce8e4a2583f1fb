"""Photos on the pinboard: re-encode without metadata (phone photos carry GPS positions) and
make a small WebP thumbnail for the lists."""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.uploads import upload_root

#: Longest side of the stored original; larger phone photos are scaled down.
ORIGINAL_MAX = 2000
#: Longest side of the thumbnail shown on cards.
THUMB_MAX = 480
#: Refuse "decompression bombs" long before Pillow's own limit.
MAX_PIXELS = 40_000_000

FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


class ImageProblem(ValueError):
    """A German message for the user."""


@dataclass(frozen=True)
class ProcessedImage:
    thumb_name: str
    size: int
    width: int
    height: int


def _open(path) -> Image.Image:
    try:
        image = Image.open(path)
        if image.width * image.height > MAX_PIXELS:
            raise ImageProblem("das Bild hat zu viele Bildpunkte (höchstens 40 Megapixel).")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ImageProblem("die Bilddatei ist beschädigt oder kein Bild.") from None
    return image


def _flatten(image: Image.Image, keep_alpha: bool) -> Image.Image:
    if keep_alpha and image.mode in ("RGBA", "LA", "P"):
        return image.convert("RGBA")
    return image.convert("RGB")


def process(storage_name: str) -> ProcessedImage:
    """Rewrite the stored image without EXIF/XMP (turned upright first) and add ``<name>.thumb.webp``."""
    path = upload_root() / storage_name
    ext = storage_name.rsplit(".", 1)[-1].lower()
    image = _open(path)
    image = ImageOps.exif_transpose(image)
    keep_alpha = ext in ("png", "webp")
    clean = _flatten(image, keep_alpha)
    clean.thumbnail((ORIGINAL_MAX, ORIGINAL_MAX))
    # Pillow carries what it read (a JPEG comment, XMP, EXIF) in ``info`` and writes some of it back:
    # start from nothing, so no position data, comment or other text of the phone survives.
    clean.info = {}
    options = {"quality": 88, "optimize": True} if FORMATS[ext] == "JPEG" else {}
    clean.save(path, FORMATS[ext], **options)

    thumb = clean.copy()
    thumb.info = {}
    thumb.thumbnail((THUMB_MAX, THUMB_MAX))
    thumb_name = storage_name.rsplit(".", 1)[0] + ".thumb.webp"
    thumb.save(upload_root() / thumb_name, "WEBP", quality=80)
    return ProcessedImage(thumb_name=thumb_name, size=path.stat().st_size, width=clean.width, height=clean.height)


def demo_picture(path, title: str, palette: tuple[str, str, str]) -> None:
    """Draw a simple but real photo-like picture (used by the demo data)."""
    from PIL import ImageDraw

    width, height = 1200, 800
    image = Image.new("RGB", (width, height), palette[0])
    draw = ImageDraw.Draw(image)
    for i in range(0, height, 8):  # a soft vertical gradient as "sky"
        shade = int(255 * i / height)
        draw.line([(0, i), (width, i)], fill=(shade // 3 + 120, shade // 4 + 160, 230 - shade // 3))
    draw.rectangle([0, height * 2 // 3, width, height], fill=palette[1])
    for x, r in ((220, 90), (520, 130), (880, 110)):
        draw.ellipse([x - r, height * 2 // 3 - 2 * r, x + r, height * 2 // 3], fill=palette[2], outline="white", width=6)
    draw.rectangle([40, 40, 40 + 18 * len(title), 110], fill="white")
    draw.text((60, 62), title, fill="black")
    image.save(path, "JPEG", quality=85)
