"""Presspass settings: one module, driven by the environment, with safe development defaults.

Production is selected with PRESSPASS_ENV=production; it then refuses to start without the
settings that have no safe default (secret key, allowed hosts, database). See docs/deploy.md.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PRESSPASS_VAR_DIR", str(BASE_DIR / "var")))

PRESSPASS_ENV = env_str("PRESSPASS_ENV", "development")
if PRESSPASS_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("PRESSPASS_ENV must be 'development' or 'production'")
PRODUCTION = PRESSPASS_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", False)


def _kept_file(path: Path, make) -> str:
    """The content of a generated development file (a key), made once for all processes.

    gunicorn, Celery workers and management commands start together on a fresh checkout: each
    used to find no file, generate its own key and write it, so a badge signed by the worker
    failed the web's signature check. The first process to *publish* its file wins (a hard link
    is atomic and refuses to replace); the others read the winner's."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text(make())
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process published first: use theirs
        finally:
            draft.unlink()
    return path.read_text().strip()


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required in production")
    # Development: a random key kept beside the embedded database, never a shared constant.
    return _kept_file(VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(50))


SECRET_KEY = _secret_key()


def _badge_keys() -> tuple[str, int, dict[int, str]]:
    """Ed25519 badge signing key (base64 raw or PEM), its id, and every public key a gate may meet
    (BADGE_PUBLIC_KEYS="1:base64,2:base64" keeps old keys valid after a rotation)."""
    from config.keys import generate_keypair, load_private_key, private_key_b64, public_key_b64

    key = env_str("BADGE_SIGNING_KEY")
    key_id = env_int("BADGE_SIGNING_KEY_ID", 1)
    if not key:
        if PRODUCTION:
            raise ImproperlyConfigured(
                "BADGE_SIGNING_KEY is required in production (python -m accreditation.badges)"
            )
        key = _kept_file(
            VAR_DIR / "badge_signing_key", lambda: private_key_b64(generate_keypair()[0])
        )
    public = {key_id: public_key_b64(load_private_key(key).public_key())}
    for item in env_list("BADGE_PUBLIC_KEYS"):
        try:
            kid, b64 = item.split(":", 1)
            public[int(kid)] = b64
        except ValueError:
            raise ImproperlyConfigured(
                "BADGE_PUBLIC_KEYS must look like 1:base64,2:base64"
            ) from None
    return key, key_id, public


BADGE_SIGNING_KEY, BADGE_SIGNING_KEY_ID, BADGE_PUBLIC_KEYS = _badge_keys()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Public base URL used in e-mails (status links); defaults to the development server.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "config.apps.PresspassAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "events",
    "accreditation",
    # Capabilities with models of their own: their own apps (labels), their own migrations.
    "accreditation.communications",
    "accreditation.interviews",
    "accreditation.outlets",
    "accreditation.privacy",
]

MIDDLEWARE = [
    "config.logs.RequestIdMiddleware",
    "config.metrics.metrics_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accreditation.staff.sessions.idle_timeout_middleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Plain-text e-mails, subjects and calendar text: never HTML-escaped ("O'Brien", not
        # "O&#x27;Brien"); accreditation/notify/emails.py renders with this one.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": False},
    },
]

# --- Database ------------------------------------------------------------------------------
# Embedded default: SQLite in WAL mode with IMMEDIATE transactions, so that concurrent writers
# wait for the lock (busy timeout) instead of failing with "database is locked".
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'presspass.sqlite3'}")
if PRODUCTION and not env_str("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL is required in production")
# Persistent connections (DB_CONN_MAX_AGE seconds, as docs/deploy.md says; 0 opens one per
# request, a PostgreSQL backend started and authenticated each time). Health-checked before
# reuse, so a restarted database does not fail the first request of each worker.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits) -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if PRODUCTION and not REDIS_URL:
    # Without it each process would count rate limits and used proof-of-work challenges on
    # its own (a robot spreads over the processes) and tasks would run in the web process.
    raise ImproperlyConfigured("REDIS_URL is required in production")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery --------------------------------------------------------------------------------
# Without a broker, tasks run in-process (still only after the transaction commits).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Publishing never retries inside a web request: if Redis is down the task stays in the outbox
# (accreditation.notify.outbox) and beat dispatches it once Redis is back.
# A task whose worker died unacknowledged is redelivered after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # Seconds between a worker's looks for such tasks (kombu scans on every tenth look).
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "max_retries": 0,
}
# Every task has a time limit (a task may set a longer one: checks, print batches); a run cut
# by it is retried like a transient error (accreditation/tasks.py).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
# Published work not started after this long is taken for lost (a broker that restarted
# empty) and sent again; started work after its time limit and a minute (a dead worker).
PRESSPASS_TASK_LOST_MINUTES = env_int("PRESSPASS_TASK_LOST_MINUTES", 10)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "dispatch-outbox": {"task": "accreditation.dispatch_outbox", "schedule": 60.0},
    "resume-stalled": {"task": "accreditation.resume_stalled", "schedule": 60.0},
    "purge-pending-uploads": {"task": "accreditation.purge_pending_uploads", "schedule": 3600.0},
    "sweep-stuck-checks": {"task": "accreditation.sweep_checks", "schedule": 300.0},
    "purge-print-batches": {"task": "accreditation.purge_print_batches", "schedule": 3600.0},
    "retention-purge": {"task": "accreditation.retention_purge", "schedule": 86400.0},
    "sweep-orphan-files": {"task": "privacy.sweep_orphan_files", "schedule": 86400.0},
    "send-reminders": {"task": "accreditation.send_reminders", "schedule": 3600.0},
}
# Decoded pixels a checking process holds at once, across its threads (a 24 MP picture with
# alpha takes about 190 MB at the peak): more waits, a single picture needing more is refused.
PRESSPASS_DECODE_BUDGET_MB = env_int("PRESSPASS_DECODE_BUDGET_MB", 400)
# A form sent sooner than this after it was shown is a robot's (PRESSPASS_MIN_FILL_SECONDS=0:
# no check).
PRESSPASS_MIN_FILL_SECONDS = env_int("PRESSPASS_MIN_FILL_SECONDS", 3)
# The applicant proves their address before the form is shown: a single-use link valid this
# many minutes, then the form for PRESSPASS_ADDRESS_SESSION_HOURS in that browser; at most
# PRESSPASS_ADDRESS_LINKS_PER_HOUR links per address (apply/address.py). Off only for tests
# that post the form directly (presspass.W002 warns in production).
PRESSPASS_CONFIRM_ADDRESS_FIRST = env_bool("PRESSPASS_CONFIRM_ADDRESS_FIRST", True)
PRESSPASS_ADDRESS_LINK_MINUTES = env_int("PRESSPASS_ADDRESS_LINK_MINUTES", 10)
PRESSPASS_ADDRESS_SESSION_HOURS = env_int("PRESSPASS_ADDRESS_SESSION_HOURS", 12)
PRESSPASS_ADDRESS_LINKS_PER_HOUR = env_int("PRESSPASS_ADDRESS_LINKS_PER_HOUR", 5)
# The address step's proof of work (apply/pow.py): the browser tries up to this many hashes,
# half on average (about a second on a phone); 0 turns it off.
PRESSPASS_POW_MAX_NUMBER = env_int("PRESSPASS_POW_MAX_NUMBER", 50000)
# GET /metrics for Prometheus, off unless this bearer token is set (config/metrics.py).
PRESSPASS_METRICS_TOKEN = env_str("PRESSPASS_METRICS_TOKEN")
# /health/ answers 503 when the private storage has less free space than this.
PRESSPASS_MIN_FREE_MB = env_int("PRESSPASS_MIN_FREE_MB", 500)
# Antivirus (optional): ClamAV's clamd, e.g. unix:///run/clamav/clamd.ctl or tcp://av:3310.
PRESSPASS_CLAMD = env_str("PRESSPASS_CLAMD")
PRESSPASS_CLAMD_TIMEOUT = env_int("PRESSPASS_CLAMD_TIMEOUT", 30)
# A journalist who has not answered a question from staff is reminded once, this many days later.
PRESSPASS_REMINDER_DAYS = env_int("PRESSPASS_REMINDER_DAYS", 3)
# Before the deadline, a request still missing something (an answer, a replacement document,
# its confirmed address) is reminded once from this many hours before it; no one gets two
# reminders within PRESSPASS_REMINDER_QUIET_HOURS. Approved people who have not collected
# their badge are told where and when, this many days before the event (notify/reminders.py).
PRESSPASS_DEADLINE_REMINDER_HOURS = env_int("PRESSPASS_DEADLINE_REMINDER_HOURS", 72)
PRESSPASS_REMINDER_QUIET_HOURS = env_int("PRESSPASS_REMINDER_QUIET_HOURS", 24)
PRESSPASS_COLLECTION_REMINDER_DAYS = env_int("PRESSPASS_COLLECTION_REMINDER_DAYS", 2)

# --- Auth ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # throttles and logs failed logins
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sign in with a TOTP second factor; on by default in production.
PRESSPASS_REQUIRE_2FA = env_bool("PRESSPASS_REQUIRE_2FA", PRODUCTION)
OTP_TOTP_ISSUER = "Presspass"
# A staff session that does nothing for this long ends (a desk left unattended).
PRESSPASS_STAFF_IDLE_MINUTES = env_int("PRESSPASS_STAFF_IDLE_MINUTES", 30)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hour
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# One rule for the client's address everywhere (sign-in throttling, rate limits, logs): the
# address the trusted proxies saw (PRESSPASS_TRUSTED_PROXIES), never a client's own
# X-Forwarded-For — so an attacker locks out only their own address, not a named agent.
AXES_CLIENT_IP_CALLABLE = "accreditation.ratelimit.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Date formats where Django's own are missing or mixed (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGES = [
    ("fr", _("French")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and private files --------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Personal documents: outside any served directory, never given a URL.
    "private": {
        "BACKEND": "accreditation.privacy.storage.PrivateStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT)},
    },
}
if env_str("PRIVATE_STORAGE_S3_BUCKET"):
    # Several machines: an S3-compatible bucket (MinIO, Ceph, AWS…) instead of a shared folder.
    STORAGES["private"] = {
        "BACKEND": "accreditation.privacy.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env_str("PRIVATE_STORAGE_S3_BUCKET"),
            "endpoint_url": env_str("PRIVATE_STORAGE_S3_ENDPOINT") or None,
            "region_name": env_str("PRIVATE_STORAGE_S3_REGION") or None,
            "access_key": env_str("PRIVATE_STORAGE_S3_ACCESS_KEY") or None,
            "secret_key": env_str("PRIVATE_STORAGE_S3_SECRET_KEY") or None,
            "location": env_str("PRIVATE_STORAGE_S3_PREFIX", "presspass"),
        },
    }
# Encryption at rest (accreditation/privacy/crypto.py): key-encryption keys, "id:base64,…", the
# first current. Unset: one key derived from SECRET_KEY, for development and tests only (the
# deploy check presspass.E004 refuses it in production). New key: manage.py rotate_keys --new-key.
PRESSPASS_DATA_KEYS = env_str("PRESSPASS_DATA_KEYS")
# Files stored before encryption are read as they are only while this is on: in production
# for the upgrade, until manage.py encrypt_files has run (presspass.W006 warns); off, a plain
# file (one written over an encrypted one, say) is refused like an altered one.
PRESSPASS_READ_PLAIN_FILES = env_bool("PRESSPASS_READ_PLAIN_FILES", not PRODUCTION)
MEDIA_ROOT = VAR_DIR / "media"  # nothing personal is ever stored here
# No longer used: stored files are ciphertext that nginx cannot send, so checked views decrypt
# and stream them. Kept only so that presspass.W005 can warn a deployment still setting it.
PRESSPASS_X_ACCEL_PREFIX = env_str("PRESSPASS_X_ACCEL_PREFIX").rstrip("/")
if PRESSPASS_X_ACCEL_PREFIX and not PRESSPASS_X_ACCEL_PREFIX.startswith("/"):
    raise ImproperlyConfigured("PRESSPASS_X_ACCEL_PREFIX must be a path such as /_protected")

# Uploads: size limits are enforced while streaming (accreditation.apply.uploads), these bound the rest.
PRESSPASS_MAX_FILE_MB = env_int("PRESSPASS_MAX_FILE_MB", 10)
PRESSPASS_MAX_TOTAL_MB = env_int("PRESSPASS_MAX_TOTAL_MB", 25)
DATA_UPLOAD_MAX_NUMBER_FILES = 8
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Form posts per client address per hour (generous: an editor may submit a whole crew).
PRESSPASS_SUBMISSIONS_PER_HOUR = env_int("PRESSPASS_SUBMISSIONS_PER_HOUR", 60)
# Status pages opened per client address and hour, right or wrong links alike (a newsroom
# behind one address opens many; a robot guessing links gets a 429).
PRESSPASS_STATUS_VIEWS_PER_HOUR = env_int("PRESSPASS_STATUS_VIEWS_PER_HOUR", 300)
# Number of proxies in front of the application whose X-Forwarded-For entries are trusted.
PRESSPASS_TRUSTED_PROXIES = env_int("PRESSPASS_TRUSTED_PROXIES", 0)

# --- Gates ----------------------------------------------------------------------------------
# How long a gate token is valid (hours): a shift, with margin.
PRESSPASS_GATE_TOKEN_HOURS = env_int("PRESSPASS_GATE_TOKEN_HOURS", 16)
# The scan's two statements are prepared once per PostgreSQL connection; a pooler in
# transaction mode (PgBouncer) cannot keep prepared statements: set 0 behind one.
PRESSPASS_GATE_PREPARED_STATEMENTS = env_bool("PRESSPASS_GATE_PREPARED_STATEMENTS", True)

# --- E-mail --------------------------------------------------------------------------------
# The demo prints e-mails; production sends them over SMTP unless told otherwise.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that accepts the connection and never answers holds a worker this long at most.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Presspass <presspass@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Forms ---------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
HTTPS = env_bool("PRESSPASS_HTTPS", PRODUCTION)
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Secure, host-only, path /: a cookie no subdomain or plain-HTTP page can set or overwrite.
    SESSION_COOKIE_NAME = "__Host-presspass-session"
    CSRF_COOKIE_NAME = "__Host-presspass-csrf"
    # The language switcher's cookie too (it was plain `django_language`, not Secure).
    LANGUAGE_COOKIE_NAME = "__Host-presspass-language"
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
if PRESSPASS_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No page may use the camera, microphone or location but the gate's, which sets its own.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)

# One line a record, UTC, the request's id; secrets and addresses taken out (config/logs.py).
# LOG_FORMAT=json for a log shipper; readable text otherwise (the demo's).
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.logs.RedactingFilter"}},
    "formatters": {
        "text": {"()": "config.logs.TextFormatter"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
# Off the host as well (SECURITY.md row 34): LOG_SYSLOG=udp://logs.example.org:514 or
# tcp://…:601 sends every record, redacted, as one JSON line to a syslog collector, so that
# whoever takes a web node cannot erase what it logged.
LOG_SYSLOG = env_str("LOG_SYSLOG")
if LOG_SYSLOG:
    from config.logs import syslog_handler

    LOGGING["handlers"]["syslog"] = syslog_handler(LOG_SYSLOG)
    LOGGING["root"]["handlers"].append("syslog")
