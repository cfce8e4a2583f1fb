"""HTTP delivery: compression and conditional GET, in one place.

- ``compress``: Flask-Compress answers HTML, CSS, JS, JSON, iCalendar and CSV compressed (zstd, br,
  gzip or deflate, whatever the client accepts) when the portal runs without a reverse proxy;
  every response says ``Vary: Accept-Encoding``.
- ``conditional(response)``: ETag (and Last-Modified if given) on a feed or an export and a
  ``304 Not Modified`` when the client already has that version. For feeds, OParl, CSV and report
  downloads::

      return conditional(Response(body, mimetype="text/csv"))
      return conditional(response, etag=kept_etag, last_modified=changed_at)

The ETag is the SHA-256 of the body unless the caller passes one it already keeps (hashing a
megabyte per poll costs more than the rest). The 304 is decided before compression, so a client
that sends back a compressed variant's ETag (``"…:gzip"``, as Flask-Compress marks it) gets its 304
without the body being compressed again.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from flask import Flask, Response, request
from flask_compress import Compress

from portal.extensions import utcnow

compress = Compress()

#: What is worth compressing; images, PDFs and office files are compressed already.
COMPRESS_MIMETYPES = [
    "text/html", "text/css", "text/plain", "text/javascript", "application/javascript", "application/json",
    "application/manifest+json", "image/svg+xml", "text/calendar", "text/csv", "application/xml",
]


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["zstd", "br", "gzip", "deflate"])
    # Registered before the security headers (after_request hooks run in reverse order), so the
    # compression sees the final Vary and the 304 decisions of the views.
    compress.init_app(app)


def conditional(response: Response, etag: str | None = None, last_modified: datetime | None = None,
                cache_control: str = "private, no-cache") -> Response:
    """Mark ``response`` with an ETag (and ``last_modified``) and answer 304 when the request's
    If-None-Match / If-Modified-Since shows the client has it already.

    ``cache_control``: the default lets the browser or calendar app keep a copy but ask again each
    time (the answer is then a body-less 304); a view that set its own Cache-Control keeps it.
    """
    if etag is None:
        etag = hashlib.sha256(response.get_data()).hexdigest()[:40]
    response.set_etag(etag)
    if last_modified is not None:
        # never in the future, else "If-Modified-Since: now" would never get its 304
        response.last_modified = min(last_modified, utcnow()).astimezone(timezone.utc)
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = cache_control
    if request.method not in ("GET", "HEAD"):
        return response
    wanted = request.if_none_match
    if wanted:
        # The client may hold the compressed variant, whose ETag Flask-Compress extends by ":<algorithm>".
        for variant in (f"{etag}:{algo}" for algo in ("zstd", "br", "gzip", "deflate")):
            if wanted.contains(variant):
                response.set_etag(variant)  # the 304 names the version the client has
                break
    return response.make_conditional(request)
