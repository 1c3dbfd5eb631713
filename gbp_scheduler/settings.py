"""Settings for the GBP Post Scheduler, read from the environment (and `.env`).

Every variable is listed in `.env.example`. Production mistakes fail at start-up with a
message that names the variable, never at the first request.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from .observability import logging_config, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# `make run`'s demo: the sign-in page lists the demo logins (dashboard/demo_logins.py). Their
# passwords are public, so only a DEBUG run may say so.
DEMO_MODE = env.bool("DEMO_MODE", default=False)
if DEMO_MODE and not DEBUG:
    raise ImproperlyConfigured("DEMO_MODE=true shows the demo's known passwords: it runs only with DEBUG=true.")
# Vercel sets VERCEL=1 in its builds and functions (a system environment variable).
ON_VERCEL = env.bool("VERCEL", default=False)

# --- secrets: no default outside DEBUG -------------------------------------------------

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-only-key")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env) to a long random "
            "string, e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'. "
            "Only DEBUG=true runs without it."
        )


def _dev_encryption_key(secret: str) -> str:
    """A Fernet key derived from SECRET_KEY, for DEBUG runs only."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation: prepend a new one,
# run `manage.py rotate_encryption_keys`, then drop the old one).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is not set: Google tokens are encrypted at rest with it. "
            "Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    FIELD_ENCRYPTION_KEYS = [_dev_encryption_key(SECRET_KEY)]


def _is_fernet_key(key: str) -> bool:
    """What Fernet itself checks: 32 bytes, url-safe base64 encoded (checked here, without
    importing cryptography, so a bad key stops start-up instead of the first page with a token)."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (ValueError, TypeError):
        return False


_bad_keys = [str(n) for n, key in enumerate(FIELD_ENCRYPTION_KEYS, start=1) if not _is_fernet_key(key)]
if _bad_keys:
    raise ImproperlyConfigured(
        f"FIELD_ENCRYPTION_KEY: key number {', '.join(_bad_keys)} of {len(FIELD_ENCRYPTION_KEYS)} is not a Fernet key "
        "(32 url-safe base64-encoded bytes). Generate one with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if ON_VERCEL:
    # The host names Vercel gives this deployment (its own URL, its branch URL, the production
    # domain) are served without listing them, so a Preview deployment needs no ALLOWED_HOSTS.
    for _vercel_host in ("VERCEL_URL", "VERCEL_BRANCH_URL", "VERCEL_PROJECT_PRODUCTION_URL"):
        if env.str(_vercel_host, default=""):
            ALLOWED_HOSTS.append(env.str(_vercel_host))
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- applications ----------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    # Plumbing: its template tags (gbp_scheduler/templatetags: times, links).
    "gbp_scheduler",
    "franchises",
    "posts",
    "generation",
    "reviews",
    "insights",
    "health",
    "webhooks",
    "api",
    "mcp_server",
    "dashboard",
    # django-ninja's Swagger UI files, served from here (no CDN under the CSP).
    "ninja",
]

MIDDLEWARE = [
    # First, so every log line and Sentry event of the request carries its id.
    "gbp_scheduler.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files. On a plain server (gunicorn) WhiteNoise serves STATIC_ROOT from the app. On
    # Vercel the Django preset runs collectstatic into the Build Output and Vercel's CDN serves
    # /static/ before a request reaches the function, so WhiteNoise is left out there.
    *([] if ON_VERCEL else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Times read in the signed-in user's zone (a franchise's own pages: the franchise's).
    "franchises.zones.UserZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while a user/IP is locked out
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "gbp_scheduler.urls"
WSGI_APPLICATION = "gbp_scheduler.wsgi.application"

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
                "franchises.context_processors.roles",  # is_headquarters
                "posts.context_processors.takedown_requests",  # the admins' "Requests" link
                "dashboard.context_processors.demo",  # demo_logins, in demo mode only
            ],
            # How a time reads, for every app's templates: {% load times %}; links to one object.
            "libraries": {"times": "gbp_scheduler.templatetags.times", "links": "gbp_scheduler.templatetags.links"},
        },
    },
]

# --- data ------------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several local processes (web, crons, sandbox-driven runs) share the file: wait for the
    # write lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    # Keep connections between requests (a new one per poll doubles /api/health's latency),
    # check them before reuse, and give up on an unreachable server within seconds so the
    # health check answers 503 instead of hanging.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The health check's Anthropic probe and the connect-many location lists are cached here. On
# Vercel every function instance has its own memory, so there the default is the database (the
# table django_cache, made by health's migration 0005).
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache" if ON_VERCEL else "locmemcache://")}
# The allowances (sign-ins per username, password resets, invitations, AI help, previews) are
# limits only if every process counts alike: in CACHE_URL's cache when that is shared (Redis,
# Memcached, the database, files), else in the database cache, whatever the host.
_PER_PROCESS_CACHES = {"django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"}
_allowances = CACHES["default"]
if _allowances["BACKEND"] in _PER_PROCESS_CACHES:
    _allowances = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"}
if _allowances["BACKEND"].endswith(("db.DatabaseCache", "filebased.FileBasedCache")):
    # These drop a third of their entries past MAX_ENTRIES (300 by default): a client making keys
    # (sign-in attempts for made-up usernames) would wipe the counts. Expired entries still go.
    _allowances = {**_allowances, "OPTIONS": {**_allowances.get("OPTIONS", {}), "MAX_ENTRIES": 10_000_000}}
CACHES["allowances"] = _allowances

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# A link typed without a scheme means https (Django 6.0's default, opted into now).
FORMS_URLFIELD_ASSUME_HTTPS = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- uploaded post photos --------------------------------------------------------------
# Photos staff upload for posts go through Django's storage API (posts/services/photos.py), and
# their public URL is what Google fetches the photo from. With PHOTO_STORAGE_BUCKET set they go
# to that S3-compatible bucket (AWS S3, Cloudflare R2, MinIO...) through django-storages;
# otherwise to MEDIA_ROOT, served by the app itself under /media/ (make run, a plain server).
# Names of our own, not AWS_*: Vercel puts AWS_* variables into every function, and they grant
# nothing (docs/features.md, "Photos").
MEDIA_URL = "/media/"
MEDIA_ROOT = str(BASE_DIR / env.str("MEDIA_ROOT", default="var/media"))  # relative: to manage.py's folder
PHOTO_STORAGE_BUCKET = env.str("PHOTO_STORAGE_BUCKET", default="")
if PHOTO_STORAGE_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PHOTO_STORAGE_BUCKET,
            "endpoint_url": env.str("PHOTO_STORAGE_ENDPOINT_URL", default="") or None,
            "region_name": env.str("PHOTO_STORAGE_REGION", default="") or None,
            "access_key": env.str("PHOTO_STORAGE_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("PHOTO_STORAGE_SECRET_ACCESS_KEY", default="") or None,
            # The host photos are public at (a CDN, R2's public bucket domain); else the bucket's.
            "custom_domain": env.str("PHOTO_STORAGE_PUBLIC_DOMAIN", default="") or None,
            "addressing_style": env.str("PHOTO_STORAGE_ADDRESSING_STYLE", default="") or None,
            # e.g. public-read, for a bucket that grants reads by object ACL instead of a policy.
            "default_acl": env.str("PHOTO_STORAGE_ACL", default="") or None,
            # Plain public URLs, never signed ones that expire: Google fetches the photo at
            # create time, and again when a post is republished.
            "querystring_auth": False,
            "file_overwrite": False,
            # Names are random and never reused: caches may keep a photo for good.
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
# Vercel's file system is read-only and each function's copy is thrown away: without a bucket,
# uploads are refused there (with a message) and pasting a photo's URL still works.
PHOTO_UPLOADS_ENABLED = bool(PHOTO_STORAGE_BUCKET) or not ON_VERCEL

# --- mail ------------------------------------------------------------------------------

# Password-reset and invitation emails carry links that sign someone in or make them a member:
# outside DEBUG they must be delivered, never written to the console (the log) or a file, nor
# dropped, so production refuses to start without a real backend (SMTP).
_email_url = env.str("EMAIL_URL", default="") or ("consolemail://" if DEBUG else "")
if not _email_url:
    raise ImproperlyConfigured(
        "EMAIL_URL is not set: password-reset and invitation links are emailed, e.g. "
        "EMAIL_URL=smtp+tls://user:password@smtp.example.com:587. Only DEBUG=true runs without it "
        "(emails then go to the console)."
    )
_email = environ.Env.email_url_config(_email_url)
_NOT_DELIVERED = {
    "django.core.mail.backends.console.EmailBackend": "writes every email, links and all, to the log",
    "django.core.mail.backends.filebased.EmailBackend": "writes every email, links and all, to files",
    "django.core.mail.backends.locmem.EmailBackend": "keeps emails in memory: nobody receives them",
    "django.core.mail.backends.dummy.EmailBackend": "drops every email",
}
if not DEBUG and _email["EMAIL_BACKEND"] in _NOT_DELIVERED:
    raise ImproperlyConfigured(
        f"EMAIL_URL={_email_url.split(':', 1)[0]}:// {_NOT_DELIVERED[_email['EMAIL_BACKEND']]}; outside DEBUG set it "
        "to an SMTP server, e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.com:587."
    )
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="GBP Post Scheduler <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_SUBJECT_PREFIX = "[GBP Post Scheduler] "
# Operators who receive system alerts (stuck locks, queue failures): comma-separated emails.
ADMINS = [("Operator", address) for address in env.list("ADMINS", default=[])]

# --- security outside DEBUG ------------------------------------------------------------

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)

# The proxies in front of the app, said explicitly: a header is believed only when a proxy we
# trust wrote it, or any client could claim https or another address by sending it.
# - TRUSTED_PROXY_COUNT: how many proxies each request passes through; the client's address is the
#   entry that many from the right of X-Forwarded-For (gbp_scheduler/http.py: client_ip). 0: the
#   socket's address (a plain server answering clients itself).
# - SECURE_PROXY_SSL_HEADER: the header by which the outermost proxy says the client used https
#   ("X-Forwarded-Proto"); empty: none, https is only what reaches the app itself.
# Vercel's edge is one proxy that sets both headers itself (it replaces any the client sent), so on
# Vercel (VERCEL=1) the defaults are 1 and X-Forwarded-Proto; elsewhere 0 and none.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if ON_VERCEL else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}.")
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto" if ON_VERCEL else "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading is a decision about the whole domain (impossible on *.vercel.app), so it is opt-in
# and its deploy-check reminder is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Repeated failed logins: after AXES_FAILURE_LIMIT failures for a username from one address,
# that pair is locked out for AXES_COOLOFF_HOURS (django-axes; state in the database). The pair,
# never the username alone: a stranger's failures from elsewhere cannot lock the real user out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same client address as every other throttle: behind TRUSTED_PROXY_COUNT proxies.
AXES_CLIENT_IP_CALLABLE = "gbp_scheduler.http.client_ip"
AXES_LOCKOUT_CALLABLE = "franchises.views.accounts.login_locked_out"
# Sign-in attempts per hour at one username from browsers it never signed in from, across every
# address (franchises/sign_in.py): guesses spread over many addresses stop here, while browsers it
# signed in from are never held back, so the owner cannot be locked out by them.
SIGN_IN_PER_USERNAME_PER_HOUR = env.int("SIGN_IN_PER_USERNAME_PER_HOUR", default=20)
# Password-reset emails one address may ask for, and one email address may receive, per hour:
# past either the form sends nothing (the per-email limit answers as if it had sent).
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=10)
PASSWORD_RESET_PER_ACCOUNT_PER_HOUR = env.int("PASSWORD_RESET_PER_ACCOUNT_PER_HOUR", default=3)
# Days an emailed invitation to a franchise stays valid (sending it again starts a new period).
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- jobs and outside services ---------------------------------------------------------

# Bearer secret for /api/cron/*; empty means the endpoints refuse (503) rather than run open.
CRON_SECRET = env.str("CRON_SECRET", default="")
# A publish lock older than this is stale: its outcome is unknown and must be reconciled.
PUBLISH_LOCK_TIMEOUT_SECONDS = env.int("PUBLISH_LOCK_TIMEOUT_SECONDS", default=300)
# A cron run takes no new work after this many seconds (Vercel's maxDuration is 300).
CRON_TIME_BUDGET_SECONDS = env.int("CRON_TIME_BUDGET_SECONDS", default=240)
# Locks, leases, quota slots and "due" use the database's clock (gbp_scheduler/clock.py). The test
# suite turns it off so that time-machine, which moves this process's clock, moves theirs too.
CLOCK_FROM_DATABASE = env.bool("CLOCK_FROM_DATABASE", default=True)

GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
# One base for every Google call (the local sandbox); empty means Google's real hosts.
GOOGLE_API_BASE_URL = env.str("GOOGLE_API_BASE_URL", default="").rstrip("/")

# Timeout of one HTTP call to Google; keep it well below PUBLISH_LOCK_TIMEOUT_SECONDS so a
# lock only goes stale when its runner died.
GOOGLE_HTTP_TIMEOUT_SECONDS = env.float("GOOGLE_HTTP_TIMEOUT_SECONDS", default=30.0)
if GOOGLE_HTTP_TIMEOUT_SECONDS * 2 >= PUBLISH_LOCK_TIMEOUT_SECONDS:
    # Exactly-once publishing relies on a create landing within the first half of its lock's
    # life (see posts/services/locks.py): a takeover must be able to see it.
    raise ImproperlyConfigured(
        f"GOOGLE_HTTP_TIMEOUT_SECONDS ({GOOGLE_HTTP_TIMEOUT_SECONDS:g}) must be less than half of "
        f"PUBLISH_LOCK_TIMEOUT_SECONDS ({PUBLISH_LOCK_TIMEOUT_SECONDS})."
    )
# Refresh a stored access token when less than this many seconds of it are left.
GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS = env.int("GOOGLE_TOKEN_REFRESH_MARGIN_SECONDS", default=300)
# Publishing: the most posts in flight at once per run (a run keeps about quota rate x Google's
# create latency in flight, up to this; see gbp_scheduler/pace.py), Google's quota for the whole
# installation (shared by every process through the database), retries, and the lateness cutoff
# after which a post fails ("missed its publishing window") instead of going out silently late.
PUBLISH_CONCURRENCY = env.int("PUBLISH_CONCURRENCY", default=16)
GOOGLE_REQUESTS_PER_MINUTE = env.int("GOOGLE_REQUESTS_PER_MINUTE", default=300)
# The seconds Google counts that quota over (a minute); it sizes how many slots a run starting on
# an idle quota may take at once (franchises/google/quota.py). Tests with a shortened window set it.
GOOGLE_QUOTA_WINDOW_SECONDS = env.float("GOOGLE_QUOTA_WINDOW_SECONDS", default=60.0)
PUBLISH_MAX_ATTEMPTS = env.int("PUBLISH_MAX_ATTEMPTS", default=5)
PUBLISH_RETRY_BASE_SECONDS = env.int("PUBLISH_RETRY_BASE_SECONDS", default=60)
PUBLISH_LATENESS_CUTOFF_SECONDS = env.int("PUBLISH_LATENESS_CUTOFF_SECONDS", default=24 * 3600)
# Reading Google's side of published posts (sync-google-posts, hourly): a location synced less than
# this long before a run began waits for a later run, so overlapping runs make one round together.
GOOGLE_SYNC_MIN_INTERVAL_SECONDS = env.int("GOOGLE_SYNC_MIN_INTERVAL_SECONDS", default=600)

ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="").rstrip("/")
ANTHROPIC_MODEL = env.str("ANTHROPIC_MODEL", default="claude-haiku-4-5")
# Seconds one Messages call may take (a run also cuts it to its remaining time budget).
ANTHROPIC_TIMEOUT_SECONDS = env.float("ANTHROPIC_TIMEOUT_SECONDS", default=60.0)
# Generation queue: drafts in flight at once per run, retries, and the lease after which a row
# left in `processing` by a dead run is taken back.
GENERATION_CONCURRENCY = env.int("GENERATION_CONCURRENCY", default=2)
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=5)
GENERATION_RETRY_BASE_SECONDS = env.int("GENERATION_RETRY_BASE_SECONDS", default=60)
GENERATION_LEASE_SECONDS = env.int("GENERATION_LEASE_SECONDS", default=600)
# Weekly drafts through Anthropic's Message Batches, at half the price; results usually within the
# hour, at most 24 h. A row whose slot is nearer than GENERATION_SYNC_LEAD_HOURS, and a row whose
# batch answer failed, is written with a synchronous call instead. Batches hold at most
# GENERATION_BATCH_MAX_REQUESTS rows (Anthropic allows 100,000 requests or 256 MB).
ANTHROPIC_USE_BATCHES = env.bool("ANTHROPIC_USE_BATCHES", default=True)
GENERATION_SYNC_LEAD_HOURS = env.float("GENERATION_SYNC_LEAD_HOURS", default=6.0)
GENERATION_BATCH_MAX_REQUESTS = env.int("GENERATION_BATCH_MAX_REQUESTS", default=5000)
# US dollars per million tokens of ANTHROPIC_MODEL, for the estimated cost on the metrics page.
# Defaults: Claude Haiku 4.5 (the default model) on Anthropic's price list (platform.claude.com/
# docs/en/about-claude/pricing, as of November 2026): input $1, output $5, 5-minute cache writes
# $1.25, cache hits $0.10. Message Batches bill every kind of token at 50 % of that.
ANTHROPIC_PRICE_INPUT_PER_MTOK = env.float("ANTHROPIC_PRICE_INPUT_PER_MTOK", default=1.00)
ANTHROPIC_PRICE_OUTPUT_PER_MTOK = env.float("ANTHROPIC_PRICE_OUTPUT_PER_MTOK", default=5.00)
ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK = env.float("ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK", default=1.25)
ANTHROPIC_PRICE_CACHE_READ_PER_MTOK = env.float("ANTHROPIC_PRICE_CACHE_READ_PER_MTOK", default=0.10)
ANTHROPIC_BATCH_PRICE_FACTOR = env.float("ANTHROPIC_BATCH_PRICE_FACTOR", default=0.5)
# Webhooks (webhooks/): each POST's timeout. The SSRF guard refuses private, loopback, link-local
# and reserved addresses (and http://) unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES: the tests and
# `make run`, whose receivers are on 127.0.0.1; never in production.
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
# AI help in the editor (rewrite, shorter, ...): suggestions a user may ask for per hour.
GENERATION_ASSIST_PER_USER_PER_HOUR = env.int("GENERATION_ASSIST_PER_USER_PER_HOUR", default=60)
# The group's rules for every reply Claude drafts to a Google review (one line each).
REVIEW_REPLY_RULES = env.str(
    "REVIEW_REPLY_RULES",
    default="Never offer refunds, discounts or compensation. Never ask the customer to change or remove "
    "the review. No phone numbers, email addresses or staff names. Invite unhappy customers to talk to "
    "the business directly.",
)
# The editor's live preview, refreshed 400 ms after typing stops: renders one user may ask for a
# minute (a person typing stays well under it).
POST_PREVIEW_PER_USER_PER_MINUTE = env.int("POST_PREVIEW_PER_USER_PER_MINUTE", default=120)
# The REST API (api/): requests a minute per key (a burst of as many, then that pace).
API_REQUESTS_PER_MINUTE = env.int("API_REQUESTS_PER_MINUTE", default=120)

# Health and alerts: how long the Anthropic probe is cached, when a lock counts as stuck.
HEALTH_ANTHROPIC_CACHE_SECONDS = env.int("HEALTH_ANTHROPIC_CACHE_SECONDS", default=300)
HEALTH_STUCK_LOCK_MINUTES = env.int("HEALTH_STUCK_LOCK_MINUTES", default=10)
# The queue check warns (and alerts) when due rows waited this long, or this many failed in a day.
HEALTH_QUEUE_BACKLOG_MINUTES = env.int("HEALTH_QUEUE_BACKLOG_MINUTES", default=60)
HEALTH_QUEUE_FAILURES_PER_DAY = env.int("HEALTH_QUEUE_FAILURES_PER_DAY", default=5)
# Absolute base URL of this site, for links in emails (reconnect Google, review drafts).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Content-Security-Policy (django-csp): no inline scripts anywhere -----------------------

_google_origins = [GOOGLE_API_BASE_URL] if GOOGLE_API_BASE_URL else ["https://accounts.google.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Post photos live on the businesses' own sites, so the preview may show any https image.
        "img-src": ["'self'", "data:", "https:", *_google_origins],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # The Connect button posts here and is redirected to Google's consent page.
        "form-action": ["'self'", *_google_origins],
    }
}

# --- logs and errors (gbp_scheduler/observability.py) -------------------------------------

# plain: lines for a terminal; json: one JSON object a line with request_id and job_run_id.
LOGGING = logging_config(log_format=env.str("LOG_FORMAT", default="plain"), level=env.str("LOG_LEVEL", default="INFO"))
# Errors and job runs (as cron monitors) to Sentry; unset: sentry-sdk is not even imported.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_init(
        dsn=SENTRY_DSN,
        # Vercel says which deployment this is (production, preview) and which commit it runs.
        environment=env.str("SENTRY_ENVIRONMENT", default="") or env.str("VERCEL_ENV", default=""),
        release=env.str("SENTRY_RELEASE", default="") or env.str("VERCEL_GIT_COMMIT_SHA", default=""),
    )
