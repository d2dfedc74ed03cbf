"""Django settings, read from the environment.

DATABASE_URL       database (default: SQLite file in the data directory, WAL mode)
GRASSROOTS_DATA_DIR  where the SQLite file and the generated secret key live (default ./var)
SECRET_KEY         when unset, generated once and kept in the data directory
DEBUG              off unless set to 1/true/yes
ALLOWED_HOSTS      comma-separated (default: localhost, 127.0.0.1)
GRASSROOTS_PRODUCTION   1: HTTPS only, secure cookies, HSTS (refused together with DEBUG)
GRASSROOTS_PROXY_COUNT  trusted reverse proxies in front (default 0): client address and HTTPS from their headers
GRASSROOTS_LOGIN_FAILURE_LIMIT    failed sign-ins before a username is locked out from an address (default 5)
GRASSROOTS_LOGIN_COOLOFF_MINUTES  how long that lockout lasts (default 30)
EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, DEFAULT_FROM_EMAIL
                   the SMTP server the outbox sends through (Django's own names; default localhost:25)
GRASSROOTS_BASE_URL       the address people reach this installation at (links in mail and calendar feeds)
GRASSROOTS_MAIL_PER_SECOND  messages a second per worker (default 0: no limit)
GRASSROOTS_MAIL_PER_DAY     messages a day from all workers together (default 0: no limit)
GRASSROOTS_BOUNCE_THRESHOLD bounce score above which an address is put on hold (default 3)
GRASSROOTS_CONFIRMATIONS_PER_HOUR    confirmation mails the public subscribe forms send an hour, per organization
                                     (default 100)
GRASSROOTS_CONFIRM_COOLDOWN_SECONDS  no second confirmation to one address and publication within this (default 600)
ANYMAIL_WEBHOOK_SECRET      "user:password" that provider webhooks (/anymail/<provider>/tracking/) authenticate with
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("GRASSROOTS_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)  # STATIC_ROOT, so whitenoise has a directory to watch


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str, default: int, minimum: int = 0) -> int:
    """A whole number from the environment; a bad value stops start-up with its name, not a traceback deep in Django."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return int(value)


def client_address_settings(proxies: int) -> dict[str, object]:
    """How django-axes finds the client's address: REMOTE_ADDR, or X-Forwarded-For behind `proxies` proxies.

    Each trusted proxy appends the address it received the request from, so the client is the
    `proxies`-th entry from the right; anything to the left of it was sent by the client and can
    be forged. python-ipware counts the proxies *inside* the header (the last one is REMOTE_ADDR),
    so its count is one less, and non-strict mode accepts a longer (forged) chain but still takes
    the entry at that position from the right.
    """
    if proxies == 0:
        return {"AXES_IPWARE_META_PRECEDENCE_ORDER": ("REMOTE_ADDR",), "AXES_IPWARE_PROXY_COUNT": None}
    return {
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"),
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        "AXES_IPWARE_PROXY_COUNT": proxies - 1,
        "IPWARE_STRICT": False,
    }


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Create it with owner-only permissions; never fall back to a fixed key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _flag("DEBUG")
PRODUCTION = _flag("GRASSROOTS_PRODUCTION")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("GRASSROOTS_PRODUCTION=1 needs DEBUG off: debug pages show settings and data")
PROXY_COUNT = _count("GRASSROOTS_PROXY_COUNT", 0)
ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "grassroots.audit",
    "grassroots.organizations",
    "grassroots.people",
    "grassroots.meetings",
    "grassroots.accounts",
    "grassroots.imports",
    "grassroots.outbox",
    "grassroots.bulletin",
    "grassroots.directives",
    "grassroots.health",
    "grassroots.education",
    "grassroots.conferences",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "grassroots.middleware.RefuseNulCharacters",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "grassroots.accounts.middleware.RequireTwoFactor",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "grassroots.audit.middleware.AuditDeniedAccess",
    # A view that meets SQLite's "database is locked" answers 503 with Retry-After, not 500.
    "grassroots.middleware.AnswerBusyDatabase",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "grassroots.urls"
WSGI_APPLICATION = "grassroots.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Forms draw their labels, inputs, selects and errors in Python, as Django's form templates
# would, without a template render per widget and option (grassroots/form_rendering.py).
FORM_RENDERER = "grassroots.form_rendering.FormRenderer"

_default_db = f"sqlite:///{DATA_DIR / 'grassroots.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend that keeps the planner's statistics fresh (grassroots/database).
    DATABASES["default"]["ENGINE"] = "grassroots.database"
    # SQLite lets one connection write at a time: a writer waits up to `timeout` seconds for the
    # lock (SQLite's busy timeout) before "database is locked". Long jobs commit batch by batch
    # (a health snapshot's batch of units, an import's batch of rows), each holding the lock for
    # well under a second, so 20 s covers a queue of them; a request that still meets the error is
    # answered 503 with Retry-After (grassroots.middleware.AnswerBusyDatabase), never a 500.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests run in memory, as on Django's own SQLite backend; said outright because test runners
    # (pytest-django under xdist) recognise an in-memory SQLite only by Django's engine name.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No parallel workers for a request's query: every read is an index range of a few thousand
    # rows at most, and starting a worker cost more than it saved (a district secretary's page of
    # people: 15-25 ms in the database with one worker, 0.4-1.6 without, on a loaded machine).
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = f"{_pg_options.get('options', '')} -c max_parallel_workers_per_gather=0".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 first; a PBKDF2 hash from before is checked and rewritten as Argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# django-axes sees every sign-in (web form and admin) before the model backend does.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Lax for both cookies. The session cookie must come along when someone follows a link from an
# email (Strict would show them signed out); Lax still keeps it off cross-site posts and frames.
# The CSRF cookie gains nothing from Strict (a forged request also needs the token, which another
# site cannot read), and Strict would rotate it on every arrival from a link, failing forms
# already open in other tabs.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

if PROXY_COUNT:
    # The proxy terminates TLS and says so; only trusted when a proxy is declared, as a client
    # talking to the server directly could send the header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Brute-force lockout (django-axes): a username is locked out from one address after this many
# failed sign-ins, for the cool-off time; other people and addresses can still sign in.
AXES_FAILURE_LIMIT = _count("GRASSROOTS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=_count("GRASSROOTS_LOGIN_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "grassroots.accounts.views.locked_out"
AXES_VERBOSE = False
# Where the client address comes from: set from one function, which the tests apply with override_settings.
globals().update(client_address_settings(PROXY_COUNT))

# Two-factor sign-in (django-otp, TOTP): see grassroots.accounts.two_factor for who needs it.
OTP_TOTP_ISSUER = "Grassroots"
# The admin may delete a lost authenticator but never show its secret, not even to a superuser.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Content-Security-Policy (django-csp): scripts, styles and images from this server only, no
# inline script or style, never framed. The API docs page relaxes it for Swagger UI (api.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

NINJA_PAGINATION_PER_PAGE = 100

# Member imports: files larger than this are refused before they are read.
GRASSROOTS_IMPORT_MAX_BYTES = int(os.environ.get("GRASSROOTS_IMPORT_MAX_BYTES", 200 * 1024 * 1024))
# Uploaded member files and errors files (personal data) are removed after this many days.
GRASSROOTS_IMPORT_RETENTION_DAYS = int(os.environ.get("GRASSROOTS_IMPORT_RETENTION_DAYS", 30))
# Uploaded member files, their progress and their errors files: shared by the web processes and
# the job workers (a shared volume when workers run on other machines).
IMPORTS_DIR = DATA_DIR / "imports"

# Background jobs (imports run from the web and the API): rows in the database, run by
# `grassroots worker` processes; as many workers as wanted on PostgreSQL (SKIP LOCKED).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Mail: the outbox (grassroots/outbox) sends every message through Django's email backend, SMTP by
# default, configured under Django's own names.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _count("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _flag("EMAIL_USE_TLS")
EMAIL_USE_SSL = _flag("EMAIL_USE_SSL")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL: set one of them, not both")
EMAIL_TIMEOUT = _count("EMAIL_TIMEOUT", 30, minimum=1)
GRASSROOTS_BASE_URL = os.environ.get("GRASSROOTS_BASE_URL", "http://localhost:8000")


def sender_for(base_url: str) -> str:
    """The sender when DEFAULT_FROM_EMAIL is not given: grassroots@ the host people reach this
    installation at (an IP address or no host: localhost, which no mail or tag URI may carry as a
    domain otherwise). Its domain makes Message-IDs, List-Ids and feed ids."""
    host = (urlsplit(base_url).hostname or "").rstrip(".")
    if not host or host.replace(".", "").isdigit() or ":" in host:
        host = "localhost"
    return f"grassroots@{host}"


DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or sender_for(GRASSROOTS_BASE_URL)
# Message-IDs and tag URIs are made on this domain (default: DEFAULT_FROM_EMAIL's); the mailto:
# unsubscribe address (default: DEFAULT_FROM_EMAIL) is for mail clients without one-click.
GRASSROOTS_MAIL_DOMAIN = os.environ.get("GRASSROOTS_MAIL_DOMAIN", "")
GRASSROOTS_UNSUBSCRIBE_ADDRESS = os.environ.get("GRASSROOTS_UNSUBSCRIBE_ADDRESS", "")


def _rate(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        rate = float(value) if value else default
    except ValueError:
        rate = -1
    if rate < 0:
        raise ImproperlyConfigured(f"{name} must be a number of at least 0, not {value!r}")
    return rate


GRASSROOTS_MAIL_PER_SECOND = _rate("GRASSROOTS_MAIL_PER_SECOND", 0)
GRASSROOTS_MAIL_PER_DAY = _count("GRASSROOTS_MAIL_PER_DAY", 0)
GRASSROOTS_OUTBOX_BATCH = _count("GRASSROOTS_OUTBOX_BATCH", 100, minimum=1)
# A row left `sending` this long by a worker that died is queued again (a living worker refreshes
# its claim every third of it, and claims no more than it sends in a third of it: outbox/jobs.py).
GRASSROOTS_OUTBOX_STALE_SECONDS = _count("GRASSROOTS_OUTBOX_STALE_SECONDS", 600, minimum=1)
GRASSROOTS_OUTBOX_MAX_ATTEMPTS = _count("GRASSROOTS_OUTBOX_MAX_ATTEMPTS", 5, minimum=1)
GRASSROOTS_OUTBOX_RETRY_SECONDS = _count("GRASSROOTS_OUTBOX_RETRY_SECONDS", 60, minimum=0)
# Sending jobs queued for each send: the workers that share it (more than one pays off on PostgreSQL).
GRASSROOTS_OUTBOX_WORKERS = _count("GRASSROOTS_OUTBOX_WORKERS", 1, minimum=1)
# Directives: the largest file a unit may attach to a report, in bytes (10 MB), and where they are kept.
GRASSROOTS_REPORT_FILE_LIMIT = _count("GRASSROOTS_REPORT_FILE_LIMIT", 10 * 1024 * 1024, minimum=1)
REPORT_FILES_DIR = DATA_DIR / "reports"
# Routes whose request body may pass DATA_UPLOAD_MAX_MEMORY_SIZE: (a regular expression the whole
# path matches, the limit in bytes). A report filed through the API carries its files base64-encoded
# in JSON (4/3 of their bytes): room for two files at the file limit, so that one over it is still
# read and refused naming its field and size, plus 1 MiB for the other values.
GRASSROOTS_BODY_LIMITS = [
    (
        r"/api/orgs/[^/]+/directives/[0-9]+/assignments/[^/]+/reports",
        4 * -(-2 * GRASSROOTS_REPORT_FILE_LIMIT // 3) + 1024 * 1024,
    ),
]
# Bounces: a hard bounce scores 1, a soft one 0.5 (one a day); an address above this is put on hold.
GRASSROOTS_BOUNCE_THRESHOLD = _rate("GRASSROOTS_BOUNCE_THRESHOLD", 3)
# The public subscribe forms: confirmation mails an hour per organization, and the wait before a
# second one to the same address and publication (so nobody can flood an inbox through them).
GRASSROOTS_CONFIRMATIONS_PER_HOUR = _count("GRASSROOTS_CONFIRMATIONS_PER_HOUR", 100, minimum=1)
GRASSROOTS_CONFIRM_COOLDOWN_SECONDS = _count("GRASSROOTS_CONFIRM_COOLDOWN_SECONDS", 600, minimum=0)
# Provider webhooks (django-anymail) for bounces and complaints: HTTP basic auth "user:password".
# Unset, a random secret no provider knows keeps them closed.
ANYMAIL = {"WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET") or f"closed:{secrets.token_urlsafe(24)}"}
# How far ahead the occurrences of a meeting series are created (the series job keeps the window rolling).
GRASSROOTS_SERIES_WINDOW_DAYS = _count("GRASSROOTS_SERIES_WINDOW_DAYS", 180, minimum=1)
