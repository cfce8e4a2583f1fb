"""Routes of the foundation: start page, legal pages, accounts, administration, placeholders."""
from sqlalchemy import select

from portal.auth.models import User
from portal.extensions import db
from portal.org.models import Ortsteil
from tests.matrix import Route

SIGNED_IN_REDIRECT = 302
ADMIN_ONLY = {"admin": 200}
FORM_ERR = 422


def uid(email="fachkraft@awo.example"):
    return lambda: db.session.scalar(select(User.id).where(User.email == email))


def user_url(suffix=""):
    return lambda: f"/admin/users/{uid()()}{suffix}"


def ortsteil_url():
    return lambda: f"/admin/ortsteile/{db.session.scalar(select(Ortsteil.id).where(Ortsteil.slug == 'taubach'))}"


def admin_only(endpoint, method, url, ok=200, **kw):
    return Route(endpoint, method, url, expect={"admin": ok}, other=403, **kw)


ROUTES = [
    Route("pages.index", "GET", "/"),
    Route("pages.legal", "GET", "/impressum", anon=200),
    Route("auth.login", "GET", "/login", anon=200, other=SIGNED_IN_REDIRECT),
    Route("auth.login", "POST", "/login", anon=FORM_ERR, other=SIGNED_IN_REDIRECT),
    Route("auth.logout_confirm", "GET", "/logout"),
    Route("auth.logout", "POST", "/logout", anon=303, other=303),
    Route("auth.change_password", "GET", "/account/password"),
    Route("auth.change_password", "POST", "/account/password", other=FORM_ERR),
    Route("auth.set_password", "GET", "/account/set-password/not-a-token", anon=404, other=404),
    Route("auth.set_password", "POST", "/account/set-password/not-a-token", anon=404, other=404),
    Route("auth.forgot_password", "GET", "/account/forgot", anon=200),
    # without a pending password step the code page sends everybody back to the login
    Route("auth.login_code", "GET", "/login/code", anon=303, other=303),
    Route("auth.login_code", "POST", "/login/code", anon=303, other=303),
    Route("auth.mfa_setup", "GET", "/account/mfa"),
    Route("auth.mfa_setup", "POST", "/account/mfa", other=FORM_ERR),
    Route("auth.account", "GET", "/account"),
    Route("auth.export", "GET", "/account/export.json"),
    Route("auth.api_tokens", "GET", "/account/api-tokens"),
    Route("auth.api_tokens", "POST", "/account/api-tokens", other=FORM_ERR),
    # nobody's token (or somebody else's): refused
    Route("auth.api_token_revoke", "POST", "/account/api-tokens/999999/revoke", other=403),
    admin_only("admin.index", "GET", "/admin/"),
    admin_only("admin.users", "GET", "/admin/users"),
    admin_only("admin.user_new", "GET", "/admin/users/new"),
    admin_only("admin.user_new", "POST", "/admin/users/new", ok=FORM_ERR),
    admin_only("admin.user_edit", "GET", user_url()),
    admin_only("admin.user_edit", "POST", user_url(), ok=FORM_ERR),
    admin_only("admin.user_deactivate", "POST", user_url("/deactivate"), ok=303),
    admin_only("admin.user_mfa_reset", "POST", user_url("/mfa-reset"), ok=303),
    admin_only("admin.user_activate", "POST", user_url("/activate"), ok=303),
    admin_only("admin.user_link", "POST", user_url("/link")),
    admin_only("admin.org_list", "GET", "/admin/traeger"),
    admin_only("admin.org_new", "GET", "/admin/sozialraeume/new"),
    admin_only("admin.org_new", "POST", "/admin/sozialraeume/new", ok=FORM_ERR),
    admin_only("admin.org_edit", "GET", ortsteil_url()),
    admin_only("admin.org_edit", "POST", ortsteil_url(), ok=FORM_ERR),
    admin_only("admin.page_edit", "GET", "/admin/pages/impressum"),
    admin_only("admin.page_edit", "POST", "/admin/pages/impressum", ok=FORM_ERR),
    Route("board.index", "GET", "/board/"),
    Route("calendar.index", "GET", "/calendar/"),
    Route("proposals.index", "GET", "/proposals/"),
    Route("ag.index", "GET", "/ag/"),
]

ROUTES.append(Route("ops.healthz", "GET", "/healthz", anon=200))
ROUTES.append(Route("favicon", "GET", "/favicon.ico", anon=301, other=301))
