"""Bericht für den Jugendhilfeausschuss: builder, HTML preview, DOCX and ODT download.
Leitung and Administration only. Read-only, so no operation in services.py: nothing is written."""
from __future__ import annotations

import base64
from datetime import date

from flask import Blueprint, Response, render_template, request
from sqlalchemy import select

from portal.access import role_required
from portal.auth.models import Role
from portal.extensions import db
from portal.formatting import heute, jetzt
from portal.forms import choices
from portal.http import conditional
from portal.org.models import Sozialraum
from portal.reports import render
from portal.reports.data import SECTIONS, build_report
from portal.reports.forms import ReportForm

bp = Blueprint("reports", __name__, url_prefix="/berichte")

MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
}


def _form():
    raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    submitted = bool(request.args)
    form = ReportForm(request.args if submitted else None, meta={"csrf": False})
    form.raeume.choices = choices((s.id, s.name) for s in raeume)
    if not submitted:
        form.jahr.data = jetzt().year
        form.raeume.data = [s.id for s in raeume]
        form.teile.data = list(SECTIONS)
    return form, submitted


def _filename(period, ext: str) -> str:
    return f"bericht-jha-{period.start.isoformat()}-{period.end.isoformat()}.{ext}"


@bp.get("/")
@role_required(Role.LEITUNG, Role.ADMIN)
def builder():
    form, submitted = _form()
    report = None
    if submitted:
        if not form.validate():
            return render_template("reports/builder.html", form=form, report=None), 422
        report = build_report(form.period(), form.raeume.data, form.teile.data)
    chart = None
    if report is not None and "target" in report.sections and report.target:
        chart = base64.b64encode(render.chart_png(report)).decode()
    return render_template("reports/builder.html", form=form, report=report, chart=chart, render=render,
                           query=request.query_string.decode())


@bp.get("/bericht.<any(docx, odt):ext>")
@role_required(Role.LEITUNG, Role.ADMIN)
def download(ext):
    form, _ = _form()
    if not form.validate():
        return render_template("reports/builder.html", form=form, report=None), 422
    report = build_report(form.period(), form.raeume.data, form.teile.data)
    printed: date = heute()
    body = render.to_docx(report, printed) if ext == "docx" else render.to_odt(report, printed)
    return conditional(Response(body, mimetype=MIMETYPES[ext], headers={
        "Content-Disposition": f'attachment; filename="{_filename(report.period, ext)}"'}))
