"""Settings for the portal, read from the environment (django-environ).

One module serves development, tests and production. The defaults suit a newcomer: SQLite in ``var/``,
a file-system Celery broker that needs no server. Production sets ``DJANGO_DEBUG=false`` and must then
provide ``SECRET_KEY`` and ``ALLOWED_HOSTS`` or start-up fails.
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is false.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_tables2",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "portal.reference",
    "portal.accounts",
    "portal.notifications",
    "portal",
    "enterprises",
    "incidents",
    "incidents.analysis",
    "incidents.prevention",
    "portal.exchange",
    "training",
    "projects",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.IdleSessionMiddleware",
    "portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.accounts.middleware.PasswordExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "portal.context_processors.shell",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the Celery worker use the file at the same time. Transactions begin IMMEDIATE:
    # a deferred one that reads and then writes fails at once ("database is locked") when another process wrote
    # in between, whatever the timeout; an immediate one waits for the write lock instead.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["portal.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "portal.accounts.validators.PortalMinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "portal.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Security policy (等保2.0 三级). Days until a password must be changed; 0 turns expiry off.
PASSWORD_EXPIRY_DAYS = env.int("PASSWORD_EXPIRY_DAYS", default=90)
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_MINUTES = env.int("LOGIN_FAILURE_WINDOW_MINUTES", default=15)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=30)

# Idle sessions end after 30 minutes: a request renews the session and its cookie, at most once a minute
# (portal.middleware.IdleSessionMiddleware), so most requests write nothing.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages come from npm (package-lock.json) and are served by the portal itself: no CDN.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Fonts embedded in every PDF (SIL Open Font License, installed from npm by `make`).
PDF_FONT_DIRS = [Path(p) for p in env.list("PDF_FONT_DIRS", default=[])] + [NODE_MODULES / "@expo-google-fonts"]

# The cache: CACHE_URL, else database 1 of the Redis that REDIS_URL names (the broker uses its own database), else a
# per-process memory cache (the embedded default).
_REDIS = env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache(
        "CACHE_URL", default=urlsplit(_REDIS)._replace(path="/1").geturl() if _REDIS else "locmemcache://"
    )
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "portal.cache.RedisCache"  # one redis-py client per pool, not one per call
# How long a list's count or a badge may be served from the cache (``portal.counts``: any write to a table it reads
# makes it count again). Off with a per-process cache: a write in another process (the Celery worker committing an
# import) would not reach it.
SHARED_CACHE = not CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))
COUNT_CACHE_SECONDS = env.int("COUNT_CACHE_SECONDS", default=120 if SHARED_CACHE else 0)
# Sessions read from the shared cache (written through to the database): no session query per request. Never from
# a per-process cache, where a session ended in one process would live on in another's.
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if SHARED_CACHE else "db")

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Celery -------------------------------------------------------------------------------------------
# REDIS_URL selects Redis as broker; otherwise the file-system transport needs no server.
REDIS_URL = _REDIS
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
    }
    (BROKER_DIR / "control").mkdir(exist_ok=True)
else:
    # One quick retry, then the job goes to the outbox: a request never waits seconds for a dead broker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 3,
        "socket_timeout": 5,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds after which /healthz calls the last worker heartbeat stale.
WORKER_HEARTBEAT_STALE_SECONDS = env.int("WORKER_HEARTBEAT_STALE_SECONDS", default=300)

# --- REST API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api_policy.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "portal.api_policy.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api_policy.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "工伤预防联防联控平台 API",
    "DESCRIPTION": "Work-injury prevention portal REST API. Session or token authentication.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "state" or "kind" choice: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "ScreeningRuleStateEnum": "incidents.prevention.models.ScreeningRule.State",
        "ScreeningRunKindEnum": "incidents.prevention.models.ScreeningRun.Kind",
        "NoticeLetterStateEnum": "incidents.prevention.models.NoticeLetter.State",
        "DeadlineExtensionStateEnum": "incidents.prevention.models.DeadlineExtension.State",
        "RectificationReportStateEnum": "incidents.prevention.models.RectificationReport.State",
        "OutcomeKindEnum": "incidents.prevention.models.Outcome.Kind",
        "KindEnum": "portal.accounts.models.AgencyKind",  # the name the agency kind had before
        "DataKindEnum": "portal.locks.DataKind",
        "ExchangeReportTriggerEnum": "portal.exchange.models.ExchangeReport.Trigger",
        "ExchangeQuarterStatusEnum": "portal.exchange.selectors.STATUS_LABELS",
        "RoleEnum": "portal.accounts.models.Role",  # the name the user role had before
        "MemberRoleEnum": "meetings.models.Member.Role",
        "MeetingKindEnum": "meetings.models.Meeting.Kind",
        "MeetingStateEnum": "meetings.models.Meeting.State",
        "AgendaItemStateEnum": "meetings.models.AgendaItem.State",
        "AgendaItemSourceEnum": "meetings.models.AgendaItem.Source",
        "AttendanceReplyEnum": "meetings.models.Attendance.Reply",
        "ActionItemStateEnum": "meetings.models.ActionItem.State",
        "SolicitationStateEnum": "meetings.models.Solicitation.State",
        "ReplyStateEnum": "meetings.models.Reply.State",
        "KeyTaskScheduleEnum": "meetings.models.KeyTask.Schedule",
        "TaskProgressStatusEnum": "meetings.models.TaskProgress.Status",
        "TaskPhaseEnum": "meetings.models.Phase",
    },
}

# Imports: files up to this size are checked during the request, larger ones by a background job; batches up
# to this many rows are committed during the request.
IMPORT_INLINE_MAX_BYTES = env.int("IMPORT_INLINE_MAX_BYTES", default=1_000_000)
IMPORT_INLINE_MAX_ROWS = env.int("IMPORT_INLINE_MAX_ROWS", default=5_000)
# Exports: lists of up to this many rows (the capped count) are written during the request, larger ones by a
# background job into a file that its owner downloads from "My exports" for this many days.
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=5_000)
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
IMPORT_EXPORT_USE_TRANSACTIONS = True

# GB 6441-2025 replaces GB/T 6441-1986 for incidents on or after this date (its effective date is uncertain).
GB6441_2025_EFFECTIVE = env.str("GB6441_2025_EFFECTIVE", default="2026-07-01")

# Personal-data encryption key (Fernet, base64). Never stored in the database.
FIELD_ENCRYPTION_KEY = env.str(
    "FIELD_ENCRYPTION_KEY", default="ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=" if DEBUG else ""
)
try:
    from cryptography.fernet import Fernet

    Fernet(FIELD_ENCRYPTION_KEY)
except ValueError as exc:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY must be a Fernet key (python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())')."
    ) from exc

# --- Production hardening (python manage.py check --deploy) -------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Load balancers and container health checks probe /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Absolute address of the portal, for links in e-mails.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://localhost:8000")
# Rectification report attachments: largest file accepted, and files per report version.
PREVENTION_ATTACHMENT_MAX_BYTES = env.int("PREVENTION_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
PREVENTION_ATTACHMENTS_PER_REPORT = env.int("PREVENTION_ATTACHMENTS_PER_REPORT", default=20)
