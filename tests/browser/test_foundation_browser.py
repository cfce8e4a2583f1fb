"""Every demo role signs in through the login form, sees its pages without a11y or CSP problems,
and is refused where it may not go."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page
from tests.conftest import ROLE_LOGINS

COMMON_PAGES = ["/", "/board/", "/calendar/", "/proposals/", "/ag/", "/account", "/account/password", "/logout"]
ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/traeger", "/admin/sozialraeume",
               "/admin/ortsteile", "/admin/ortsteile/new", "/admin/pages/impressum"]


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_each_demo_role_signs_in_and_every_page_is_accessible(page_as, role):
    page = page_as(role)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")
    for path in COMMON_PAGES + (ADMIN_PAGES if role == "admin" else []):
        response = page.goto(path)
        assert response.status == 200, path
        check_page(page)
    if role != "admin":
        response = page.goto("/admin/users")
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Kein Zugriff")


@pytest.mark.parametrize("path", ["/login", "/impressum", "/datenschutz", "/barrierefreiheit", "/account/forgot", "/nicht-da"])
def test_public_pages_are_accessible_at_phone_width(page_as, path):
    page = page_as("anonymous", phone=True)
    page.goto(path)
    check_page(page)


def test_wrong_password_shows_german_message_and_keeps_the_address(page_as):
    page = page_as("anonymous", phone=True)
    page.goto("/login")
    page.get_by_label("E-Mail").fill("ehrenamt.taubach@portal.example")
    page.get_by_label("Passwort").fill("falsch-falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text("E-Mail-Adresse oder Passwort ist falsch.")).to_be_visible()
    expect(page.get_by_label("E-Mail")).to_have_value("ehrenamt.taubach@portal.example")
    check_page(page)


def test_admin_invites_a_volunteer_who_sets_a_password_and_signs_in(page_as, browser, live_server):
    admin = page_as("admin")
    admin.goto("/admin/users/new")
    admin.get_by_label("Name").fill("Erika Neumann")
    admin.get_by_label("E-Mail").fill("erika.neumann@example.org")
    admin.get_by_label("Ehrenamtliche:r").check()
    admin.get_by_label("Gelmeroda").check()
    admin.get_by_role("button", name="Anlegen und Einladungslink erzeugen").click()
    link = admin.get_by_label("Link").input_value()
    assert "/account/set-password/" in link
    check_page(admin)

    newcomer = page_as("anonymous", phone=True)
    newcomer.goto(link.replace("http://localhost", live_server.base_url))
    check_page(newcomer)
    newcomer.get_by_label("Neues Passwort").fill("Gelmeroda-Kinderfest")
    newcomer.get_by_label("Passwort wiederholen").fill("Gelmeroda-Kinderfest")
    newcomer.get_by_role("button", name="Passwort speichern").click()
    expect(newcomer.get_by_text("Dein Passwort ist gespeichert")).to_be_visible()
    # signed in at once: no second typing of the address
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Willkommen, Erika Neumann")
    # the bottom navigation is there on the phone
    expect(newcomer.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Pinnwand")).to_be_visible()


def test_logout_ends_the_session(page_as):
    page = page_as("fachkraft", phone=True)
    page.goto("/logout")
    page.get_by_role("main").get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Du bist abgemeldet.")).to_be_visible()
    page.goto("/account")
    assert re.search(r"/login", page.url)


def test_user_search_filters_the_list_in_place(page_as):
    page = page_as("admin")
    page.goto("/admin/users")
    page.get_by_label("Name oder E-Mail").fill("ehrenamt.taubach")
    expect(page.locator("#user-list")).to_contain_text("1 Konten gefunden")
    assert "q=ehrenamt.taubach" in page.url
    check_page(page)
