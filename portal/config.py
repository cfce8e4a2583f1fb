"""Default settings.

Overridden, in this order, by ``instance/config.py``, by ``PORTAL_*`` environment variables
(``PORTAL_SECRET_KEY``, ``PORTAL_DATABASE_URL``, ...) and by ``test_config``.
"""
from datetime import timedelta


class Defaults:
    #: Flask-Migrate's ``flask db`` commands. The web workers (wsgi.py) leave them out: Alembic alone
    #: is 10 MiB per process, and the schema only ever changes from the command line.
    SCHEMA_COMMANDS = True
    #: Name shown in the header and in page titles.
    PORTAL_NAME = "Trägerportal"
    #: Subtitle under the name: whose portal this is.
    PORTAL_OWNER = "Kinder- und Jugendhilfe der Stadt"
    #: Absolute base URL used in links that leave the browser (invite links, calendar feeds).
    BASE_URL = "http://127.0.0.1:5000"

    #: SQLAlchemy URL; empty means SQLite in the instance folder.
    DATABASE_URL = ""
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    #: Where uploaded files live; empty means instance/uploads.
    UPLOAD_DIR = ""
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Set to True behind TLS (PORTAL_SESSION_COOKIE_SECURE=1).
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    #: A session ends this long after the login, however active it was ...
    SESSION_ABSOLUTE_LIFETIME = timedelta(days=30)
    #: ... and after this long without a request.
    SESSION_IDLE_TIMEOUT = timedelta(days=14)
    #: The cookie is re-issued when the session changes – at least once a minute of activity, when
    #: its "seen" time moves on (portal.security) – not signed and sent again on every response.
    SESSION_REFRESH_EACH_REQUEST = False

    #: Files the portal creates (database, uploads, backups) are readable by its own user only.
    UMASK = 0o077
    WTF_CSRF_TIME_LIMIT = None  # tabs stay open all day
    WTF_I18N_ENABLED = False  # WTForms' German messages without Flask-Babel (portal.forms.Form)
    WTF_CSRF_SSL_STRICT = True

    #: Login rate limit: failures allowed per e-mail address and per client within the window.
    #: Wrong passwords per (address, client) pair, or per trusted browser, within the window.
    LOGIN_MAX_FAILURES = 5
    #: Per client address (an office behind one NAT address shares it).
    LOGIN_MAX_FAILURES_PER_IP = 100
    #: Per account from clients it never signed in from (its own browsers are not affected).
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 50
    #: How long a browser stays "known" to the accounts that signed in from it.
    DEVICE_COOKIE_LIFETIME = timedelta(days=180)
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)

    #: Lifetime of invitation and password-reset links.
    ACCOUNT_LINK_LIFETIME = timedelta(days=7)
    PASSWORD_MIN_LENGTH = 10
    #: Second factor (TOTP) for these roles; the demo (`make run`) switches the requirement off.
    MFA_REQUIRED = True
    MFA_ROLES = ("admin", "leitung")
    #: "Dieses Gerät merken": no code on this browser for this long.
    MFA_REMEMBER = timedelta(days=30)
    #: zxcvbn's score (0–4) a new password needs: 3 = "safely unguessable" for an online attack.
    PASSWORD_MIN_SCORE = 3

    #: argon2id parameters (OWASP: m=19 MiB, t=2, p=1 is the minimum).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 2

    #: Number of entries per page in paginated lists.
    PAGE_SIZE = 25
    #: For how long (minutes after writing) the author may still edit a Pinnwand comment.
    COMMENT_EDIT_MINUTES = 15

    #: Static files carry ?v=<hash> in their URLs (portal/assets.py), so they may be cached long.
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600

    #: Outgoing mail (notifications, digests). Without MAIL_HOST nothing is sent: mails stay in the
    #: outbox ("nicht versendet (kein Mailserver)"), readable under Verwaltung › Postausgang.
    MAIL_HOST = ""
    #: 0 means the usual port: 465 with MAIL_SECURITY "tls", else 25 (587 for "starttls" is common).
    MAIL_PORT = 0
    #: "none", "starttls" or "tls" (implicit TLS).
    MAIL_SECURITY = "none"
    MAIL_USER = ""
    MAIL_PASSWORD = ""
    #: From address of the portal's mails.
    MAIL_SENDER = "portal@localhost"
    #: Seconds to wait for the mail server.
    MAIL_TIMEOUT = 30
    #: CA certificate(s) to trust for the mail server (an internal CA); empty: the system's.
    MAIL_CA_FILE = ""

    #: Trust one proxy's X-Forwarded-* headers (set when behind nginx).
    PROXY_FIX = False
