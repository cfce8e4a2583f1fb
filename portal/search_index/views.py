"""``/suche``: one search over the portal. One URL serves the page (plain GET form, works without
JavaScript) and, for htmx's live search, only the results region."""
from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from portal.htmx import render, wants_fragment
from portal.paging import CURSOR_ARG, parse_cursor
from portal.search import Highlighter, clean_query
from portal.search_index import services
from portal.search_index.models import KIND_LABELS, MAX_ENTRY_ID

bp = Blueprint("search", __name__)


@bp.get("/suche")
def results():
    query = services.Query(q=clean_query(request.args.get("q")), kind=(request.args.get("art") or "")[:20],
                           place=(request.args.get("ort") or "")[:12])
    page = services.search(current_user, query, parse_cursor(request.args.get(CURSOR_ARG), MAX_ENTRY_ID))
    # Live results are announced to screen readers once, as a count (not the whole list).
    announce = None if page is None else {"announce": services.hits_label(page.total)}
    return render("search/page.html", "search/_results.html", trigger=announce, query=query, page=page,
                  kinds=KIND_LABELS, marks=Highlighter(query.q), hits_label=services.hits_label,
                  max_counted=services.MAX_COUNTED,
                  places=[] if wants_fragment() else services.place_choices(current_user),
                  title=f"Suche: {query.q}" if query.q else "Suche")

