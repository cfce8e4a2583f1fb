"""Gemeinsamer Kalender: month grid, agenda, event pages, editing, iCalendar feeds."""
from __future__ import annotations

import calendar as pycal
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from portal.access import public
from portal.caching import generation, kept
from portal.calendar import feeds, ical, occurrences, queries, services
from portal.calendar.forms import CancelOccurrenceForm, EventForm, FeedFilterForm, MoveForm, field_error
from portal.calendar.models import CATEGORY_LABELS, MAX_FEEDS_PER_USER, Event, Repeat
from portal.calendar.queries import Filters, parse_id
from portal.calendar.recurrence import RecurrenceError, Schedule, local_midnight, to_aware
from portal.errors import Conflict, Invalid
from portal.extensions import db, utcnow
from portal.formatting import BERLIN, MONTHS, skipped_by_clock_change, skipped_message
from portal.forms import choices
from portal.htmx import redirect_after_post, render, wants_fragment
from portal.http import conditional

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


# --- filters -----------------------------------------------------------------------------------------

def _filters() -> Filters:
    category = request.args.get("category") or None
    return Filters(sozialraum_id=parse_id(request.args.get("sozialraum")),
                   ortsteil_id=parse_id(request.args.get("ortsteil")),
                   category=category if category in CATEGORY_LABELS else None,
                   only_here=request.args.get("only_here") == "1")


def _places() -> dict:
    """Sozialräume and Ortsteile for the filter selects (two queries)."""
    sozialraeume, ortsteile = queries.places()
    return {"sozialraeume": sozialraeume, "ortsteile": ortsteile, "categories": CATEGORY_LABELS}


def _month_arg() -> tuple[int, int]:
    """?month=2026-11; anything else means the current month."""
    value = request.args.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        if 1900 <= year <= 2200 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = occurrences.today_local()
    return today.year, today.month


def _shift(year: int, month: int, delta: int) -> str:
    index = year * 12 + month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --- month and agenda ------------------------------------------------------------------------------

#: Rendered month grids and agenda pages per worker (portal.caching.kept).
VIEW_CACHE_SIZE = 48


def _kept_view(key_parts: tuple, externals: list, build) -> str:
    """The HTML ``build()`` makes, kept per worker.

    The key holds everything the HTML shows: ``key_parts`` (the window, filters, the day it is), the
    calendar's cache generation (raised by every write to events, their single dates, AG meetings
    and groups, places and Träger), the address prefix, and other features' dates as this user sees
    them (with their links: users who may open different AG meetings never share an entry).
    Nothing in the kept HTML depends on the user beyond that."""
    key = (*key_parts, request.script_root, generation("calendar"), tuple(externals))
    return kept("calendar_view_cache", VIEW_CACHE_SIZE, key, build)


@bp.get("/")
def index():
    year, month = _month_arg()
    filters = _filters()
    today = occurrences.today_local()
    window_start, window_end, _ = occurrences.month_window(year, month)
    externals = queries.shared_dates(window_start, window_end, current_user, filters)
    month_name = f"{MONTHS[month - 1]} {year}"

    def build() -> str:
        found = occurrences.occurrences(window_start, window_end, current_user, filters, externals=externals)
        first, last = date(year, month, 1), date(year, month, pycal.monthrange(year, month)[1])
        in_month = sum(1 for o in found if o.first_day <= last and o.last_day >= first)
        return render_template(
            "calendar/_month_view.html", weeks=occurrences.month_weeks(year, month, found, today),
            month_name=month_name, month_value=f"{year:04d}-{month:02d}",
            prev_month=_shift(year, month, -1), next_month=_shift(year, month, 1),
            this_month=f"{today.year:04d}-{today.month:02d}", in_month=in_month, filters=filters, today=today)

    html = _kept_view(("month", year, month, today, filters), externals, build)
    return render(
        "calendar/month.html", "calendar/_month.html", calendar_view=Markup(html), month_name=month_name,
        filters=filters, may_create=Event.may_create_any(current_user), view="month", fragment=wants_fragment(),
        **_places(),
    )


@bp.get("/agenda")
def agenda():
    filters = _filters()
    try:
        start_day = date.fromisoformat(request.args.get("from", ""))
        if not 1900 <= start_day.year <= 2200:
            raise ValueError("out of range")
    except ValueError:
        start_day = occurrences.today_local()
    window_start = occurrences.local_day_start(start_day)
    quarter_end = window_start + timedelta(days=occurrences.AGENDA_DAYS)
    externals = queries.shared_dates(window_start, quarter_end, current_user, filters)

    def build() -> str:
        days, next_day = occurrences.agenda_page(start_day, current_user, filters, externals)
        return render_template("calendar/_agenda_view.html", days=days, start_day=start_day, next_day=next_day,
                               filters=filters)

    html = _kept_view(("agenda", start_day, occurrences.today_local(), filters), externals, build)
    return render(
        "calendar/agenda.html", "calendar/_agenda.html", calendar_view=Markup(html), filters=filters,
        may_create=Event.may_create_any(current_user), view="agenda", fragment=wants_fragment(), **_places(),
    )


# --- one event ---------------------------------------------------------------------------------------

def _get_event(event_id: int) -> Event:
    if event_id > 2**31:  # larger than any id; the database would refuse to compare it
        abort(404, description="Diesen Termin gibt es nicht (mehr).")
    event = queries.get_event(event_id)
    if event is None:
        abort(404, description="Diesen Termin gibt es nicht (mehr).")
    return event


def _editable_event(event_id: int) -> Event:
    """The event, for a page that changes it: 403 before any form is shown (the operations check again)."""
    event = _get_event(event_id)
    if not event.can_edit(current_user):
        abort(403, description=services.NOT_YOURS)
    return event


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    event = _get_event(event_id)
    schedule = Schedule.of(event)
    dates = []
    if event.is_recurring:
        # The coming dates of the series (or its last ones when it is over), changes applied.
        # (by a window of at most MAX_WINDOW, never the whole span: a span may run until 9999)
        today = occurrences.local_day_start(occurrences.today_local())
        start = today if event.span_end > today else event.span_start
        end = event.span_end if event.span_end - start < occurrences.MAX_WINDOW else start + occurrences.MAX_WINDOW
        dates = occurrences.expand(event, start, end + timedelta(days=1))
        dates = sorted(dates, key=lambda o: o.start)[:12]
    return render("calendar/event.html", "calendar/_event.html", event=event, schedule=schedule,
                  dates=dates, can_edit=event.can_edit(current_user), title=event.title, berlin=BERLIN,
                  last_day=(event.ends_at.astimezone(BERLIN) - timedelta(microseconds=1)).date())


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    event = _get_event(event_id)
    cal = ical.new_calendar(event.title)
    for component in ical.event_components(event, _absolute(url_for("calendar.event", event_id=event.id)),
                                           occurrences.today_local()):
        cal.add_component(component)
    response = Response(cal.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="termin-{event.id}.ics"'
    return response


# --- writing -----------------------------------------------------------------------------------------

def _version() -> int | None:
    """The version (SEQUENCE) a button's form was rendered with, if it sent one."""
    raw = request.form.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _event_form(event: Event | None):
    form = EventForm()
    sozialraeume, ortsteile = queries.places()
    form.offer(current_user, event, sozialraeume, ortsteile, queries.all_traeger())
    if request.method == "GET":
        if event is None:
            form.fill_new(current_user)
        else:
            form.fill_from(event)
    status = 422 if form.is_submitted() else 200
    conflict = None
    if form.validate_on_submit():
        data = form.to_data(db.session.get)
        if data is not None:
            try:
                if event is None:
                    saved = services.create_event(current_user, data)
                else:
                    saved = services.update_event(event, current_user, data, form.version.data)
            except RecurrenceError as e:
                field_error(getattr(form, e.field), e.message)
            except Conflict as e:
                conflict, status = e.message, 409
            else:
                db.session.commit()
                flash(f"Termin „{saved.title}“ gespeichert.", "success")
                return redirect_after_post(url_for("calendar.event", event_id=saved.id),
                                           trigger="event-created" if event is None else "event-updated")
        db.session.rollback()
        if event is not None:
            event = _get_event(event.id)
    return render("calendar/form.html", "calendar/_form.html", status=status, form=form, event=event, conflict=conflict,
                  title=f"„{event.title}“ bearbeiten" if event else "Termin eintragen",
                  open_repeat=form.repeat.data not in (None, "", Repeat.NONE.value))


@bp.route("/events/new", methods=["GET", "POST"])
def event_new():
    if not Event.may_create_any(current_user):
        abort(403, description="Termine tragen Ehrenamtliche für ihre Ortsteile, Fachkräfte für ihren Träger "
                               "und die Koordination für ihren Sozialraum ein.")
    return _event_form(None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    return _event_form(_editable_event(event_id))


@bp.post("/events/<int:event_id>/cancel")
def event_cancel(event_id: int):
    event = _get_event(event_id)
    services.set_cancelled(event, current_user, True, _version())
    db.session.commit()
    flash(f"„{event.title}“ ist abgesagt. Der Termin bleibt durchgestrichen sichtbar.", "success")
    return redirect_after_post(url_for("calendar.event", event_id=event.id), trigger="event-cancelled")


@bp.post("/events/<int:event_id>/reinstate")
def event_reinstate(event_id: int):
    event = _get_event(event_id)
    services.set_cancelled(event, current_user, False, _version())
    db.session.commit()
    flash(f"„{event.title}“ findet wieder statt.", "success")
    return redirect_after_post(url_for("calendar.event", event_id=event.id), trigger="event-restored")


@bp.post("/events/<int:event_id>/delete")
def event_delete(event_id: int):
    event = _get_event(event_id)
    title = event.title
    services.delete_event(event, current_user, _version())
    db.session.commit()
    flash(f"„{title}“ ist gelöscht.", "success")
    return redirect_after_post(url_for("calendar.index"), trigger="event-deleted")


# --- single dates of a series -------------------------------------------------------------------------

def _date_key(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _occurrence(event_id: int, key: str) -> tuple[Event, datetime]:
    event = _editable_event(event_id)
    try:
        original = datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        abort(404, description="Diesen Termin der Serie gibt es nicht.")
    if not services.is_occurrence(event, original):
        abort(404, description="Diesen Termin der Serie gibt es nicht.")
    return event, original


def _occurrence_page(form, event: Event, original: datetime, key: str, action: str, status: int,
                     conflict: str | None = None):
    title = (f"Einen Termin von „{event.title}“ absagen" if action == "cancel"
             else f"Einen Termin von „{event.title}“ verschieben")
    return render("calendar/occurrence.html", "calendar/_occurrence.html", status=status, form=form, event=event,
                  original=original, key=key, action=action, title=title, conflict=conflict)


@bp.route("/events/<int:event_id>/dates/<key>/cancel", methods=["GET", "POST"])
def occurrence_cancel(event_id: int, key: str):
    event, original = _occurrence(event_id, key)
    form = CancelOccurrenceForm()
    if request.method == "GET":
        form.version.data = event.sequence
    if form.validate_on_submit():
        try:
            services.cancel_occurrence(event, current_user, original, (form.note.data or "").strip(),
                                       form.version.data)
        except Conflict as e:
            db.session.rollback()
            return _occurrence_page(form, _get_event(event_id), original, key, "cancel", 409, e.message)
        db.session.commit()
        flash(f"Der Termin am {original.astimezone(BERLIN):%d.%m.%Y} fällt aus.", "success")
        return redirect_after_post(url_for("calendar.event", event_id=event.id), trigger="occurrence-cancelled")
    return _occurrence_page(form, event, original, key, "cancel", 422 if form.is_submitted() else 200)


def _moved_to(form: MoveForm, event: Event, schedule: Schedule, original: datetime) -> tuple[datetime, datetime] | None:
    """The new start and end from the move form, or None with a German message at the field."""
    day = form.start_date.data
    if event.all_day:
        # counted in days, not hours: a day across the summer-time change has 23 or 25 hours
        days = (schedule.occurrence_end(original).astimezone(BERLIN).date() - original.astimezone(BERLIN).date()).days
        return local_midnight(day), local_midnight(day + timedelta(days=max(days, 1)))
    if form.start_time.data is None or form.end_time.data is None:
        return field_error(form.start_time if form.start_time.data is None else form.end_time,
                           "Bitte Beginn und Ende angeben.") or None
    for field in (form.start_time, form.end_time):
        if skipped_by_clock_change(day, field.data):
            return field_error(field, skipped_message(day)) or None
    start = to_aware(datetime.combine(day, form.start_time.data))
    end = to_aware(datetime.combine(day, form.end_time.data))
    if end <= start:
        return field_error(form.end_time, "Das Ende liegt vor dem Beginn (oder ist gleich). Bitte prüfen.") or None
    return start, end


@bp.route("/events/<int:event_id>/dates/<key>/move", methods=["GET", "POST"])
def occurrence_move(event_id: int, key: str):
    event, original = _occurrence(event_id, key)
    schedule = Schedule.of(event)
    form = MoveForm()
    if request.method == "GET":
        change = services.change_for(event, original)
        start = (change.starts_at if change and change.starts_at else original).astimezone(BERLIN)
        end = (change.ends_at if change and change.ends_at else schedule.occurrence_end(original)).astimezone(BERLIN)
        form.start_date.data = start.date()
        if not event.all_day:
            form.start_time.data, form.end_time.data = start.time(), end.time()
        form.note.data = change.note if change else ""
        form.version.data = event.sequence
    if form.validate_on_submit():
        moved = _moved_to(form, event, schedule, original)
        if moved is not None:
            try:
                services.move_occurrence(event, current_user, original, *moved, (form.note.data or "").strip(),
                                         form.version.data)
            except Conflict as e:
                db.session.rollback()
                return _occurrence_page(form, _get_event(event_id), original, key, "move", 409, e.message)
            except RecurrenceError as e:
                db.session.rollback()
                field_error(getattr(form, e.field), e.message)
                return _occurrence_page(form, _get_event(event_id), original, key, "move", 422)
            db.session.commit()
            flash(f"Der Termin vom {original.astimezone(BERLIN):%d.%m.%Y} ist verschoben.", "success")
            return redirect_after_post(url_for("calendar.event", event_id=event.id), trigger="occurrence-moved")
    return _occurrence_page(form, event, original, key, "move", 422 if form.is_submitted() else 200)


@bp.post("/events/<int:event_id>/dates/<key>/restore")
def occurrence_restore(event_id: int, key: str):
    event, original = _occurrence(event_id, key)
    services.restore_occurrence(event, current_user, original, _version())
    db.session.commit()
    flash(f"Der Termin am {original.astimezone(BERLIN):%d.%m.%Y} gilt wieder wie in der Serie.", "success")
    return redirect_after_post(url_for("calendar.event", event_id=event.id), trigger="occurrence-restored")


# --- subscribing ---------------------------------------------------------------------------------------

def _absolute(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def _prepare_feed_form(form: FeedFilterForm, places: dict) -> None:
    form.sozialraum.choices = choices([(0, "alle Sozialräume")] + [(s.id, s.name) for s in places["sozialraeume"]])
    form.ortsteil.choices = choices([(0, "alle Ortsteile")] + [(o.id, o.name) for o in places["ortsteile"]])
    form.category.choices = choices([("", "alle Arten")] + list(CATEGORY_LABELS.items()))


def _known_feed_choices(form: FeedFilterForm) -> bool:
    """A place or kind not in the lists (an old bookmark, a hand-made request) gets a German message."""
    ok = True
    for field, message in ((form.sozialraum, "Diesen Sozialraum gibt es nicht. Bitte einen aus der Liste wählen."),
                           (form.ortsteil, "Diesen Ortsteil gibt es nicht. Bitte einen aus der Liste wählen."),
                           (form.category, "Diese Art gibt es nicht. Bitte eine aus der Liste wählen.")):
        if field.data and field.data not in {c.value for c in field.choices}:
            ok = field_error(field, message)
    return ok


def _describe_feed(filter_args: str, places: dict) -> str:
    """What a feed address holds, in words: "alle Termine" or e.g. "Ortsteil Taubach, nur Fest"."""
    args = dict(parse_qsl(filter_args))
    parts = []
    for key, items, label in (("sozialraum", places["sozialraeume"], "Sozialraum"),
                              ("ortsteil", places["ortsteile"], "Ortsteil")):
        name = next((i.name for i in items if str(i.id) == args.get(key)), None)
        if name:
            parts.append(f"{label} {name}")
    if args.get("only_here") and parts:
        parts[-1] += " (nur genau dieser Ort)"
    if args.get("category") in CATEGORY_LABELS:
        parts.append(f"nur {CATEGORY_LABELS[args['category']]}")
    return ", ".join(parts) or "alle Termine"


@bp.route("/subscribe", methods=["GET", "POST"])
def subscribe():
    """Lists the person's feed addresses and makes new ones. A new address is shown once, right
    after creating it: only its hash is stored."""
    form = FeedFilterForm()
    places = _places()
    _prepare_feed_form(form, places)
    feed_url = webcal_url = new_feed = None
    if form.validate_on_submit() and _known_feed_choices(form):
        category = form.category.data if form.category.data in CATEGORY_LABELS else None
        filters = Filters(sozialraum_id=form.sozialraum.data or None, ortsteil_id=form.ortsteil.data or None,
                          category=category, only_here=bool(form.only_here.data))
        args = filters.as_args()
        try:
            new_feed, token = services.create_feed_token(current_user, form.name.data or "", urlencode(args))
        except Invalid as e:
            db.session.rollback()
            field_error(form.name, e.message)
        else:
            db.session.commit()
            feed_url = _absolute(url_for("calendar.feed", token=token, **args))
            webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    status = 422 if form.is_submitted() and not feed_url else 200
    held = [(f, _describe_feed(f.filter_args, places)) for f in feeds.feed_tokens_of(current_user)]
    return render_template("calendar/subscribe.html", form=form, feeds=held, new_feed=new_feed,
                           feed_url=feed_url, webcal_url=webcal_url, max_feeds=MAX_FEEDS_PER_USER,
                           title="Kalender abonnieren"), status


@bp.post("/subscribe/<int:feed_id>/revoke")
def feed_revoke(feed_id: int):
    """One of the person's addresses stops working; the others stay."""
    feed = feeds.own_feed(current_user, feed_id) if feed_id < 2**31 else None
    if feed is None:
        abort(404, description="Diese Abo-Adresse gibt es nicht (mehr).")
    name = feed.name
    services.revoke_feed_token(feed, current_user)
    db.session.commit()
    flash(f"Die Abo-Adresse „{name}“ ist widerrufen. Kalender-Apps bekommen über sie keine Termine mehr.", "success")
    return redirect_after_post(url_for("calendar.subscribe"), trigger="feed-revoked")


@bp.get("/feed/<token>.ics")
@public
def feed(token: str):
    """A personal iCalendar feed: the token stands in for the session (calendar apps send no cookie)."""
    user = feeds.feed_user(token)
    if user is None:
        abort(404, description="Diese Abo-Adresse gibt es nicht (mehr). Bitte im Portal unter "
                               "„Kalender abonnieren“ eine neue erzeugen.")
    name = current_app.config["PORTAL_NAME"] + " – Kalender"
    body, modified, etag = feeds.feed_body(_filters(), user, name,
                                     lambda e: _absolute(url_for("calendar.event", event_id=e.id)))
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="kalender.ics"'
    # Clients may keep a copy but must ask again; with ETag/Last-Modified the answer is a cheap 304.
    return conditional(response, etag=etag, last_modified=modified or datetime(2000, 1, 1, tzinfo=timezone.utc))


# for templates
@bp.app_template_filter("date_key")
def date_key_filter(value: datetime) -> str:
    return _date_key(value)


@bp.app_template_global("calendar_href")
def calendar_href(occ) -> str:
    """Page of a date: the event's page, or the page another feature gave for it."""
    if occ.event_id is None:
        return occ.url or ""
    return url_for("calendar.event", event_id=occ.event_id)


@bp.app_template_global("calendar_month_of")
def calendar_month_of(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN)
    return f"{value.year:04d}-{value.month:02d}"

