"""CSV for German Excel and LibreOffice: ``;`` between cells, decimal comma (the caller formats
numbers with ``zahl``), UTF-8 with a BOM (Excel shows umlauts only then), CRLF line ends.

Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR at the start) get
a leading apostrophe (OWASP "CSV injection"); plain numbers such as ``-1,5`` stay numbers.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable

from flask import Response

from portal.http import conditional

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_response(header: list[str], rows: Iterable[Iterable], filename: str) -> Response:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return conditional(response)  # the same export again: 304, the browser keeps its copy
