"""Routes of the notifications: bell, list, settings, unsubscribe links, Postausgang."""
from tests.matrix import Route

ROUTES = [
    Route("notifications.index", "GET", "/notifications/"),
    Route("notifications.bell", "GET", "/notifications/bell"),
    # nobody's entry: not found for everyone (another person's entry is tested in test_notifications)
    Route("notifications.open_entry", "POST", "/notifications/999999/open", other=404),
    Route("notifications.read_all", "POST", "/notifications/read-all", other=303),
    Route("notifications.settings", "GET", "/notifications/settings"),
    # an unknown channel: the form comes back with its error
    Route("notifications.settings", "POST", "/notifications/settings", other=422,
          data={"kind_post_commented": "quatsch"}),
    Route("notifications.follow_board", "POST", "/notifications/boards/taubach/follow", other=303,
          data={"following": "1"}),
    # a broken token is no link: 404 for everyone, signed in or not
    Route("notifications.unsubscribe", "GET", "/notifications/unsubscribe/kaputt", anon=404, other=404),
    Route("notifications.unsubscribe_post", "POST", "/notifications/unsubscribe/kaputt", anon=404, other=404),
    # "Passwort vergessen?" without a mail server: the page explains the way through the Administration
    Route("auth.forgot_password", "POST", "/account/forgot", anon=200, data={"email": "x@example.org"}),
    Route("notifications.outbox", "GET", "/notifications/outbox", expect={"admin": 200}, other=403),
    Route("notifications.outbox_mail", "GET", "/notifications/outbox/999999", expect={"admin": 404}, other=403),
]
