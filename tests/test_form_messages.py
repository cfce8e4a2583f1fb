"""Issue 18, item 11: no English WTForms message can reach a page. Every form of the portal is
built on portal.forms.Form (German catalogue), and hostile input to every field of every form
gives only German messages."""
from __future__ import annotations

import importlib
import pkgutil
import re

import wtforms
from flask_wtf import FlaskForm

import portal
from portal.forms import Form, RowForm

ENGLISH = re.compile(r"Not a valid|Field (must|cannot|is)|This field|Invalid (value|input|email|choice)|"
                     r"must be|characters? long|Number must|is required|not a valid|Invalid CSRF|"
                     r"File does not|Input required|doesn't match", re.I)


def _all_form_classes() -> list[type]:
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        if ".migrations" not in info.name:
            importlib.import_module(info.name)
    found, todo = set(), [FlaskForm, wtforms.Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted((c for c in found if c.__module__.startswith("portal.")), key=lambda c: c.__qualname__)


def test_every_form_uses_the_german_base():
    classes = _all_form_classes()
    assert len(classes) > 10
    wrong = [c.__qualname__ for c in classes if not issubclass(c, (Form, RowForm))]
    assert wrong == []


def test_hostile_input_to_every_form_gives_only_german_messages(app):
    app.config["WTF_CSRF_ENABLED"] = False
    checked = 0
    for cls in _all_form_classes():
        if cls in (Form, RowForm):
            continue
        for value in ("x" * 20001, "kein Wert", "-1", "31.02.2027", "99:99", "\x00"):
            with app.test_request_context(method="GET"):
                try:
                    names = [f.name for f in cls()]
                except Exception:  # a form that needs constructor arguments
                    break
            data = {name: value for name in names}
            with app.test_request_context(method="POST", data=data):
                form = cls()
                try:
                    form.validate()
                except Exception:
                    continue
                messages = []
                for errors in form.errors.values():
                    for e in errors:
                        messages.extend(e.values() if isinstance(e, dict) else [e])
                english = [m[:120] for m in map(str, messages) if ENGLISH.search(m)]
                assert english == [], f"{cls.__qualname__}: {english}"
                checked += 1
    assert checked > 20
