"""Gemeinsamer Kalender: month grid, agenda, event pages, editing, iCalendar feeds."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from portal.access import public
from portal.auth.models import Role
from portal.calendar import ical, services
from portal.calendar.forms import CancelOccurrenceForm, EventForm, FeedFilterForm, MoveForm
from portal.calendar.models import (CATEGORY_LABELS, Category, Event, Repeat, Scope, may_create_events,
                                    may_write)
from portal.calendar.recurrence import RecurrenceError, Schedule, local_midnight, to_aware
from portal.calendar.services import Filters, parse_id
from portal.extensions import db
from portal.formatting import BERLIN, MONTHS
from portal.forms import choices
from portal.htmx import redirect_after_post, render, wants_fragment
from portal.org.models import Ortsteil, Sozialraum, Traeger
from portal.urls import id_url

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
    return {
        "sozialraeume": db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all(),
        "ortsteile": db.session.scalars(select(Ortsteil).order_by(Ortsteil.name)).all(),
        "categories": CATEGORY_LABELS,
    }


def _month_arg() -> tuple[int, int]:
    """?month=2026-11; anything else means the current month."""
    value = request.args.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        if 1900 <= year <= 2200 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = services.today_local()
    return today.year, today.month


def _shift(year: int, month: int, delta: int) -> str:
    index = year * 12 + month - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --- month and agenda ------------------------------------------------------------------------------

def _view_key(kind: str, window_start: datetime, window_end: datetime, filters: Filters, externals: list,
              *more) -> tuple:
    """Everything a cached month grid or agenda page shows (see services.cached_view)."""
    return (kind, *more, filters, request.script_root, services.window_stamp(window_start, window_end, filters),
            services.org_names_stamp(), tuple(externals))


@bp.get("/")
def index():
    year, month = _month_arg()
    filters = _filters()
    today = services.today_local()
    window_start, window_end, _ = services.month_window(year, month)
    externals = services.shared_dates(window_start, window_end, current_user, filters)
    month_name = f"{MONTHS[month - 1]} {year}"

    def build() -> str:
        found = services.occurrences(window_start, window_end, current_user, filters, externals=externals)
        in_month = sum(1 for o in found if any(d.year == year and d.month == month for d in o.days))
        return render_template(
            "calendar/_month_view.html", weeks=services.month_weeks(year, month, found, today),
            month_name=month_name, month_value=f"{year:04d}-{month:02d}",
            prev_month=_shift(year, month, -1), next_month=_shift(year, month, 1),
            this_month=f"{today.year:04d}-{today.month:02d}", in_month=in_month, filters=filters)

    html = services.cached_view(_view_key("month", window_start, window_end, filters, externals, year, month, today),
                                build)
    return render(
        "calendar/month.html", "calendar/_month.html", calendar_view=Markup(html), month_name=month_name,
        filters=filters, may_create=may_create_events(current_user), view="month", fragment=wants_fragment(),
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
        start_day = services.today_local()
    window_start = services.local_day_start(start_day)
    quarter_end = window_start + timedelta(days=services.AGENDA_DAYS)
    externals = services.shared_dates(window_start, quarter_end, current_user, filters)

    def build() -> str:
        days, next_day = services.agenda_page(start_day, current_user, filters, externals)
        return render_template("calendar/_agenda_view.html", days=days, start_day=start_day, next_day=next_day,
                               filters=filters)

    html = services.cached_view(_view_key("agenda", window_start, quarter_end, filters, externals, start_day), build)
    return render(
        "calendar/agenda.html", "calendar/_agenda.html", calendar_view=Markup(html), filters=filters,
        may_create=may_create_events(current_user), view="agenda", fragment=wants_fragment(), **_places(),
    )


# --- one event ---------------------------------------------------------------------------------------

def _get_event(event_id: int) -> Event:
    if event_id > 2**31:  # larger than any id; the database would refuse to compare it
        abort(404, description="Diesen Termin gibt es nicht (mehr).")
    event = services.get_event(event_id)
    if event is None:
        abort(404, description="Diesen Termin gibt es nicht (mehr).")
    return event


def _editable_event(event_id: int) -> Event:
    event = _get_event(event_id)
    if not event.can_edit(current_user):
        abort(403, description="Diesen Termin dürfen nur die Person, die ihn eingetragen hat, und die "
                               "Moderation ändern.")
    return event


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    event = _get_event(event_id)
    schedule = Schedule.of(event)
    dates = []
    if event.is_recurring:
        # The coming dates of the series (or its last ones when it is over), changes applied.
        today = services.local_day_start(services.today_local())
        start = today if event.span_end > today else event.span_start
        dates = services.expand(event, start, event.span_end + timedelta(days=1))
        dates = sorted(dates, key=lambda o: o.start)[:12]
    return render("calendar/event.html", "calendar/_event.html", event=event, schedule=schedule,
                  dates=dates, can_edit=event.can_edit(current_user), title=event.title, berlin=BERLIN,
                  last_day=(event.ends_at.astimezone(BERLIN) - timedelta(microseconds=1)).date())


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    event = _get_event(event_id)
    cal = ical.new_calendar(event.title)
    for component in ical.event_components(event, _absolute(url_for("calendar.event", event_id=event.id))):
        cal.add_component(component)
    response = Response(cal.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="termin-{event.id}.ics"'
    return response


# --- writing -----------------------------------------------------------------------------------------

def _scope_choices(event: Event | None) -> list[tuple[str, str]]:
    """Where the user may put an event: only those places are offered."""
    user = current_user
    raeume = db.session.scalars(select(Sozialraum).order_by(Sozialraum.name)).all()
    ortsteile = db.session.scalars(select(Ortsteil).order_by(Ortsteil.name)).all()
    anywhere = user.has_role(Role.MODERATION, Role.ADMIN) or (user.has_role(Role.FACHKRAFT) and user.traeger_id)
    pairs = []
    if anywhere:
        pairs.append(("stadt", "Ganze Stadt"))
    for raum in raeume:
        if anywhere or (user.has_role(Role.KOORDINATION) and raum.id == user.sozialraum_id):
            pairs.append((f"sozialraum:{raum.id}", f"Sozialraum {raum.name}"))
    mine = {o.id for o in user.ortsteile} if user.has_role(Role.EHRENAMT) else set()
    for ortsteil in ortsteile:
        if anywhere or ortsteil.id in mine or (user.has_role(Role.KOORDINATION)
                                               and ortsteil.sozialraum_id == user.sozialraum_id):
            pairs.append((f"ortsteil:{ortsteil.id}", f"Ortsteil {ortsteil.name}"))
    if event is not None and _scope_value(event) not in {v for v, _ in pairs}:
        pairs.append((_scope_value(event), event.scope_label))
    return pairs


def _scope_value(event: Event) -> str:
    if event.scope == Scope.ORTSTEIL:
        return f"ortsteil:{event.ortsteil_id}"
    if event.scope == Scope.SOZIALRAUM:
        return f"sozialraum:{event.sozialraum_id}"
    return "stadt"


def _writes_only_for_own_traeger(user) -> bool:
    """A Fachkraft without another scope may enter events only for her own Träger."""
    return bool(user.has_role(Role.FACHKRAFT) and user.traeger_id
                and not user.has_role(Role.MODERATION, Role.ADMIN)
                and not (user.has_role(Role.EHRENAMT) and user.ortsteile)
                and not (user.has_role(Role.KOORDINATION) and user.sozialraum_id))


def _prepare(form: EventForm, event: Event | None) -> None:
    form.scope.choices = choices(_scope_choices(event))
    traeger = db.session.scalars(select(Traeger).order_by(Traeger.short_name)).all()
    if _writes_only_for_own_traeger(current_user):
        # Any other choice would be refused with 403 and lose what was typed: offer only theirs.
        form.traeger.choices = choices([(t.id, t.name) for t in traeger if t.id == current_user.traeger_id])
    else:
        form.traeger.choices = choices([(0, "– kein Träger: die Ehrenamtlichen des Ortsteils –")]
                                       + [(t.id, t.name) for t in traeger])
    if request.method != "GET":
        return
    if event is None:
        if current_user.traeger_id and current_user.has_role(Role.FACHKRAFT):
            form.traeger.data = current_user.traeger_id
        if len(form.scope.choices) == 1:
            form.scope.data = form.scope.choices[0].value
        return
    start, end = event.starts_at.astimezone(BERLIN), event.ends_at.astimezone(BERLIN)
    form.title.data, form.place.data, form.contact.data = event.title, event.place, event.contact
    form.description.data, form.category.data = event.description, event.category.value
    form.scope.data, form.traeger.data = _scope_value(event), event.traeger_id or 0
    form.all_day.data, form.start_date.data = event.all_day, start.date()
    if event.all_day:
        last_day = (end - timedelta(days=1)).date()
        form.end_date.data = last_day if last_day != start.date() else None
    else:
        form.start_time.data, form.end_time.data = start.time(), end.time()
        form.end_date.data = end.date() if end.date() != start.date() else None
    form.repeat.data, form.interval.data = event.repeat.value, event.interval
    form.weekdays.data = [d for d in event.weekdays.split(",") if d]
    form.until.data, form.count.data = event.until, event.count


def _error(field, message: str) -> bool:
    field.errors = [*field.errors, message]
    return False


def _apply(form: EventForm, event: Event) -> bool:
    """Check the form beyond field validators and copy it onto ``event``.

    False with a German message at the field when something does not fit; 403 when the event
    would lie outside the user's scope.
    """
    kind, _, raw_id = (form.scope.data or "").partition(":")
    ortsteil = sozialraum = None
    if kind == "ortsteil":
        ortsteil = db.session.get(Ortsteil, parse_id(raw_id) or 0)
        if ortsteil is None:
            return _error(form.scope, "Diesen Ortsteil gibt es nicht. Bitte einen aus der Liste wählen.")
    elif kind == "sozialraum":
        sozialraum = db.session.get(Sozialraum, parse_id(raw_id) or 0)
        if sozialraum is None:
            return _error(form.scope, "Diesen Sozialraum gibt es nicht. Bitte einen aus der Liste wählen.")
    elif kind != "stadt":
        return _error(form.scope, "Bitte auswählen, für wen der Termin ist.")
    traeger = None
    if form.traeger.data:
        traeger = db.session.get(Traeger, form.traeger.data)
        if traeger is None:
            return _error(form.traeger, "Diesen Träger gibt es nicht. Bitte einen aus der Liste wählen.")

    start_day = form.start_date.data
    end_day = form.end_date.data or start_day
    if form.all_day.data:
        start, end = local_midnight(start_day), local_midnight(end_day + timedelta(days=1))
        if end_day < start_day:
            return _error(form.end_date, "Das Ende liegt vor dem Beginn.")
    else:
        if form.start_time.data is None:
            return _error(form.start_time, "Bitte eine Uhrzeit angeben oder „Ganztägig“ wählen.")
        if form.end_time.data is None:
            return _error(form.end_time, "Bitte angeben, wann der Termin endet.")
        start = to_aware(datetime.combine(start_day, form.start_time.data))
        end = to_aware(datetime.combine(end_day, form.end_time.data))
        if end <= start:
            return _error(form.end_time if end_day == start_day else form.end_date,
                          "Das Ende liegt vor dem Beginn (oder ist gleich). Bitte prüfen.")

    repeat = Repeat(form.repeat.data)
    schedule = Schedule(start=start, end=end, all_day=form.all_day.data, repeat=repeat,
                        interval=form.interval.data or 1, weekdays=form.weekdays.data or [],
                        until=form.until.data if repeat != Repeat.NONE else None,
                        count=form.count.data if repeat != Repeat.NONE else None)
    try:
        schedule.validate()
    except RecurrenceError as e:
        return _error(getattr(form, e.field), e.message)

    scope = Scope(kind)
    if not may_write(current_user, scope, sozialraum.id if sozialraum else (ortsteil.sozialraum_id if ortsteil else None),
                     ortsteil, traeger.id if traeger else None):
        abort(403, description="Für diesen Ort oder Träger darfst du keine Termine eintragen.")

    event.title = form.title.data.strip()
    event.description = form.description.data or ""
    event.place = (form.place.data or "").strip()
    event.contact = (form.contact.data or "").strip()
    event.category = Category(form.category.data)
    event.scope = scope
    event.ortsteil_id = ortsteil.id if ortsteil else None
    event.sozialraum_id = sozialraum.id if sozialraum else (ortsteil.sozialraum_id if ortsteil else None)
    event.traeger_id = traeger.id if traeger else None
    event.all_day, event.starts_at, event.ends_at = schedule.all_day, start, end
    event.repeat, event.interval = repeat, schedule.interval if repeat != Repeat.NONE else 1
    event.weekdays = ",".join(schedule.weekdays) if repeat == Repeat.WEEKLY else ""
    event.until, event.count = schedule.until, schedule.count
    return True


def _event_form(event: Event | None):
    form = EventForm()
    _prepare(form, event)
    if form.validate_on_submit():
        target = event or Event()
        old_schedule = services.schedule_key(event) if event else None
        if _apply(form, target):
            services.save_event(target, current_user, old_schedule)
            flash(f"Termin „{target.title}“ gespeichert.", "success")
            return redirect_after_post(url_for("calendar.event", event_id=target.id))
        db.session.rollback()
        if event is not None:
            event = _get_event(event.id)
    status = 422 if form.is_submitted() else 200
    return render("calendar/form.html", "calendar/_form.html", status=status, form=form, event=event,
                  title=f"„{event.title}“ bearbeiten" if event else "Termin eintragen",
                  open_repeat=form.repeat.data not in (None, "", Repeat.NONE.value))


@bp.route("/events/new", methods=["GET", "POST"])
def event_new():
    if not may_create_events(current_user):
        abort(403, description="Termine tragen Ehrenamtliche für ihre Ortsteile, Fachkräfte für ihren Träger "
                               "und die Koordination für ihren Sozialraum ein.")
    return _event_form(None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    return _event_form(_editable_event(event_id))


@bp.post("/events/<int:event_id>/cancel")
def event_cancel(event_id: int):
    event = _editable_event(event_id)
    services.set_cancelled(event, True)
    flash(f"„{event.title}“ ist abgesagt. Der Termin bleibt durchgestrichen sichtbar.", "success")
    return redirect_after_post(url_for("calendar.event", event_id=event.id))


@bp.post("/events/<int:event_id>/reinstate")
def event_reinstate(event_id: int):
    event = _editable_event(event_id)
    services.set_cancelled(event, False)
    flash(f"„{event.title}“ findet wieder statt.", "success")
    return redirect_after_post(url_for("calendar.event", event_id=event.id))


@bp.post("/events/<int:event_id>/delete")
def event_delete(event_id: int):
    event = _editable_event(event_id)
    title = event.title
    services.delete_event(event)
    flash(f"„{title}“ ist gelöscht.", "success")
    return redirect_after_post(url_for("calendar.index"))


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


@bp.route("/events/<int:event_id>/dates/<key>/cancel", methods=["GET", "POST"])
def occurrence_cancel(event_id: int, key: str):
    event, original = _occurrence(event_id, key)
    form = CancelOccurrenceForm()
    if form.validate_on_submit():
        services.cancel_occurrence(event, original, (form.note.data or "").strip())
        flash(f"Der Termin am {original.astimezone(BERLIN):%d.%m.%Y} fällt aus.", "success")
        return redirect_after_post(url_for("calendar.event", event_id=event.id))
    return render("calendar/occurrence.html", "calendar/_occurrence.html", status=422 if form.is_submitted() else 200,
                  form=form, event=event, original=original, key=key, action="cancel",
                  title=f"Einen Termin von „{event.title}“ absagen")


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
    if form.validate_on_submit():
        day = form.start_date.data
        if event.all_day:
            start = local_midnight(day)
            end = start + (schedule.occurrence_end(original) - original)
            end = local_midnight((end.astimezone(BERLIN)).date())
            ok = True
        else:
            ok = form.start_time.data is not None and form.end_time.data is not None
            if not ok:
                _error(form.start_time if form.start_time.data is None else form.end_time,
                       "Bitte Beginn und Ende angeben.")
            else:
                start = to_aware(datetime.combine(day, form.start_time.data))
                end = to_aware(datetime.combine(day, form.end_time.data))
                if end <= start:
                    ok = _error(form.end_time, "Das Ende liegt vor dem Beginn (oder ist gleich). Bitte prüfen.")
        if ok:
            services.move_occurrence(event, original, start, end, (form.note.data or "").strip())
            flash(f"Der Termin vom {original.astimezone(BERLIN):%d.%m.%Y} ist verschoben.", "success")
            return redirect_after_post(url_for("calendar.event", event_id=event.id))
    return render("calendar/occurrence.html", "calendar/_occurrence.html", status=422 if form.is_submitted() else 200,
                  form=form, event=event, original=original, key=key, action="move",
                  title=f"Einen Termin von „{event.title}“ verschieben")


@bp.post("/events/<int:event_id>/dates/<key>/restore")
def occurrence_restore(event_id: int, key: str):
    event, original = _occurrence(event_id, key)
    services.restore_occurrence(event, original)
    flash(f"Der Termin am {original.astimezone(BERLIN):%d.%m.%Y} gilt wieder wie in der Serie.", "success")
    return redirect_after_post(url_for("calendar.event", event_id=event.id))


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
            ok = _error(field, message)
    return ok


@bp.route("/subscribe", methods=["GET", "POST"])
def subscribe():
    """Shows the feed address once, right after creating it: only its hash is stored."""
    form = FeedFilterForm()
    _prepare_feed_form(form, _places())
    feed_url = webcal_url = None
    if form.validate_on_submit() and _known_feed_choices(form):
        token = services.create_feed_token(current_user)
        category = form.category.data if form.category.data in CATEGORY_LABELS else None
        filters = Filters(sozialraum_id=form.sozialraum.data or None, ortsteil_id=form.ortsteil.data or None,
                          category=category, only_here=bool(form.only_here.data))
        args = filters.as_args()
        feed_url = _absolute(url_for("calendar.feed", token=token, **args))
        webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    status = 422 if form.is_submitted() and not feed_url else 200
    return render_template("calendar/subscribe.html", form=form, token=services.feed_token_of(current_user),
                           feed_url=feed_url, webcal_url=webcal_url, title="Kalender abonnieren"), status


@bp.get("/feed/<token>.ics")
@public
def feed(token: str):
    """A personal iCalendar feed: the token stands in for the session (calendar apps send no cookie)."""
    user = services.feed_user(token)
    if user is None:
        abort(404, description="Diese Abo-Adresse gibt es nicht (mehr). Bitte im Portal unter "
                               "„Kalender abonnieren“ eine neue erzeugen.")
    name = current_app.config["PORTAL_NAME"] + " – Kalender"
    body, modified, etag = services.feed_body(_filters(), user, name,
                                        lambda e: _absolute(url_for("calendar.event", event_id=e.id)))
    response = Response(body, mimetype="text/calendar")
    response.set_etag(etag)
    response.last_modified = modified or datetime(2000, 1, 1, tzinfo=timezone.utc)
    # Clients may keep a copy but must ask again; with ETag/Last-Modified the answer is a cheap 304.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.headers["Content-Disposition"] = 'inline; filename="kalender.ics"'
    return response.make_conditional(request)


# for templates
@bp.app_template_filter("date_key")
def date_key_filter(value: datetime) -> str:
    return _date_key(value)


@bp.app_template_global("calendar_href")
def calendar_href(occ) -> str:
    """Page of a date: the event's page (one url_for per request, then the id appended), or the
    page another feature gave for it."""
    if occ.event_id is None:
        return occ.url or ""
    return id_url("calendar.event", event_id=occ.event_id)


@bp.app_template_global("calendar_month_of")
def calendar_month_of(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN)
    return f"{value.year:04d}-{value.month:02d}"

