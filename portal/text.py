"""Markdown for user content: python-markdown renders, nh3 sanitises with an allow-list.

Raw python-markdown output passes scripts, event handlers and hx-* attributes through; only the
sanitised result may reach a template (and it sits in an ``hx-disable`` container there).
"""
from __future__ import annotations

import re
from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """Markdown source -> safe HTML."""
    if not text:
        return Markup("")
    return _cached_render(text) if len(text) <= CACHED_TEXT_MAX else _render(text)


#: Texts up to this length are cached (128 of them: a few MB per worker at most).
CACHED_TEXT_MAX = 32_000


def _render(text: str) -> Markup:
    # Headings inside user content start at h3: the page owns h1/h2.
    html = md.markdown(text, extensions=["sane_lists", "tables", "nl2br"], output_format="html")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(clean)


# A pure function of its text: pages that render the same text on every request (legal pages,
# proposal fields) pay for python-markdown and nh3 once per worker.
_cached_render = lru_cache(maxsize=128)(_render)


def slugify(text: str) -> str:
    """'Mitte/Süd' -> 'mitte-sued' (for addresses)."""
    text = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
