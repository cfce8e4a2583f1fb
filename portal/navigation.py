"""What the layout shows per person: navigation badges, the bell's count, the parts of the portal
the person can use – worked out once and kept until a write changes it.

A feature registers ``register_badge(blueprint_name, count(user) -> int, label)`` (the base template
shows the number beside that section's link when it is above zero; ``label`` is read out after it)
and ``register_fact(name, fn(user))`` for anything else the layout shows (``bell``, ``sections``).

``person_facts()`` builds all of them together, once per person, and keeps them per worker
(portal.caching) under the person's id, roles, Träger, Sozialraum, today's date and the generation
of the ``layout`` cache – which every write to the data behind a badge raises (declared in
``_connect_features``). A signed-in page thus pays the user load and the generations read, not one
count per badge, and the next request after a write (in any worker) counts again.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, g, render_template, request
from flask_login import current_user
from markupsafe import Markup

_BADGES: dict[str, tuple[Callable, str]] = {}
_FACTS: dict[str, Callable] = {}

#: Distinct people whose layout facts a worker keeps, and renderings of the main navigation.
KEPT_PEOPLE = 2048
KEPT_NAVIGATIONS = 512


def register_badge(name: str, count: Callable, label: str) -> None:
    _BADGES[name] = (count, label)


def register_fact(name: str, fn: Callable) -> None:
    """``fn(user)`` is shown in the layout (the bell's count, the usable sections); kept like the
    badges, so it must depend only on the user's row and on models of the ``layout`` cache."""
    _FACTS[name] = fn


def _build(user) -> dict:
    badges = {}
    for name, (count, label) in _BADGES.items():
        n = count(user)
        if n:
            badges[name] = {"count": n, "label": label}
    return {"badges": badges, **{name: fn(user) for name, fn in _FACTS.items()}}


def person_facts() -> dict:
    """The signed-in person's layout facts ({} for anonymous visitors); one lookup per request,
    made only when a template asks (htmx fragments without the layout pay nothing)."""
    if "person_facts" not in g:
        from portal.caching import generation, kept, person_key

        user = current_user
        if not (user and user.is_authenticated):
            g.person_facts = {}
        else:
            key = ("layout", person_key(user), user.session_version, generation("layout"))
            g.person_facts = kept("layout_facts", KEPT_PEOPLE, key, lambda: _build(user))
    return g.person_facts


def main_navigation() -> Markup:
    """The main navigation (templates/_layout/_mainnav.html), rendered once for each combination of
    what it shows – the layout facts, Verwaltung or not, the current section, the bell's page –
    and kept per worker. People with the same facts share one rendering: it holds nothing else
    of a person (no name, no token)."""
    from portal.caching import kept

    facts = person_facts()
    # the Hilfe pages belong to no part (they live in the pages blueprint beside "Start")
    section = "hilfe" if request.endpoint in ("pages.help_index", "pages.help_page") else request.blueprint
    on_bell_page = request.endpoint == "notifications.index"
    key = ("mainnav", repr(facts), current_user.is_admin, section, on_bell_page)
    return kept("layout_html", KEPT_NAVIGATIONS, key, lambda: Markup(render_template(
        "_layout/_mainnav.html", usable=facts.get("sections", {}), section=section)))


class _NavBadges:
    """The badges of the signed-in user, looked up when a template first asks for one."""

    def get(self, name: str, default=None):
        return person_facts().get("badges", {}).get(name, default)

    def __getitem__(self, name: str):
        return person_facts()["badges"][name]

    def __contains__(self, name: str) -> bool:
        return name in person_facts().get("badges", {})


_NAV_BADGES = _NavBadges()


def init_app(app: Flask) -> None:
    @app.context_processor
    def nav_badges():
        return {"nav_badges": _NAV_BADGES}

    app.add_template_global(main_navigation)
