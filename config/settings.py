"""Settings for every way the platform runs, read from the environment only.

With nothing set, the platform runs embedded: a SQLite file under ``var/``, Celery tasks run
in-process (``task_always_eager``), and email is written to files under ``var/mail/``.
Set ``DATABASE_URL``, ``CELERY_BROKER_URL``/``REDIS_URL`` and ``EMAIL_*`` for the production stack.
Every variable is listed with its default in ``.env.example``.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import orjson
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from kombu import Exchange, Queue

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
DATABASE_URL = env_str("DATABASE_URL")
EMBEDDED = not DATABASE_URL


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set (production).")
    # Embedded default: one random key per checkout, kept beside the SQLite file.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # full-text search of the catalog (a no-op on SQLite)
    "rest_framework",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "courseware",
    "lessons",
    "quizzes",
    "learning",
    "studio",
    "notifications",
    "events",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",  # the policy string built once
    "config.errors.JsonApiErrorsMiddleware",
    "config.middleware.WhiteNoiseOutsideApi",  # whitenoise; /api/ is never a static file
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.MessagesOutsideApi",  # messages are the admin's; JSON answers carry none
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The form sign-ins (admin, API session) counted per client, like the token endpoint.
    "accounts.signin.SignInRateMiddleware",
    # Last, as django-axes asks: turns a per-account lockout into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
if EMBEDDED:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # Concurrent writers wait for the lock instead of failing ("database is locked").
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
else:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that asks the kernel, not the server (config/db/postgresql).
        DATABASES["default"]["ENGINE"] = "config.db.postgresql"
        # A database that accepts connections but never answers fails a request (and /healthz) in
        # seconds instead of hanging it: libpq waits forever by default.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3))
        # Parameters travel apart from the SQL (PostgreSQL's extended protocol) and a statement run
        # DB_PREPARE_THRESHOLD times on a connection is prepared once: the learner paths run the
        # same few small queries all day, and preparing halves their cost. Behind a pooler in
        # transaction mode (PgBouncer < 1.21), set DB_PREPARE_THRESHOLD=0.
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = env_bool("DB_SERVER_SIDE_BINDING", True)
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env_int("DB_PREPARE_THRESHOLD", 5) or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (Redis when configured; shared by every host) ----------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "courses"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A cache outage degrades to cache misses; it never fails a request.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    CACHES["throttle"] = CACHES["default"]  # the same Redis, keys and prefix
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Rate-limit counters must be shared by every process on the host (gunicorn workers),
        # or the real limit is the configured one times the workers: files under VAR_DIR.
        "throttle": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env_str("THROTTLE_CACHE_DIR", str(VAR_DIR / "throttle-cache")),
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
# One cache that every process (web and workers) sees: Redis, or the single process of the embedded
# default. Content caches keyed by the content version (courseware.catalog_cache) need it, and so does
# the progress drain's "one queued" mark (learning.progress.tasks). Several processes on a database
# without Redis (each with its own in-memory cache) read content from the database and queue a drain
# for every write.
SHARED_CACHE = bool(REDIS_URL) or EMBEDDED
CONTENT_VERSION_CACHE = SHARED_CACHE

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
INSTRUCTORS_GROUP = "instructors"
# django-axes checks every sign-in (token, API session, admin) before the password backend.
AUTHENTICATION_BACKENDS = ["accounts.backends.SignInLockoutBackend", "django.contrib.auth.backends.ModelBackend"]
# Per account: this many failed sign-ins, from any address, lock the account's sign-ins for this
# many minutes after the last counted failure (a cool-off, never a permanent lock). Failures
# during the lockout are refused without being counted, so guessing cannot extend it.
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 10)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
AXES_ENABLED = LOGIN_LOCKOUT_FAILURES > 0
AXES_FAILURE_LIMIT = max(LOGIN_LOCKOUT_FAILURES, 1)
AXES_COOLOFF_TIME = timedelta(minutes=max(LOGIN_LOCKOUT_MINUTES, 1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "config.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "old_password", "new_password", "token"]
AXES_VERBOSE = False
# Per account on purpose: the per-address limit is THROTTLE_LOGIN's (config/throttling.py), which a
# changed User-Agent or cookie does not reset either.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# API tokens expire this many days after they are issued; empty: never.
TOKEN_TTL_DAYS = env_int("TOKEN_TTL_DAYS", 0) or None
# A user keeps at most this many tokens (one per signed-in client); signing in again past it drops the oldest.
TOKENS_PER_USER = env_int("TOKENS_PER_USER", 20)
# A password reset link works once, for this many minutes.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_MINUTES", 60) * 60
# Where the reset link points: the client's page that posts {uid, token, new_password} to
# /api/auth/password/reset/confirm/ ("{uid}" and "{token}" are filled in).
PASSWORD_RESET_URL = env_str("PASSWORD_RESET_URL", PUBLIC_BASE_URL + "/reset-password?uid={uid}&token={token}")

# --- Internationalisation and static files ----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# --- Request limits ---------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- REST API ---------------------------------------------------------------------------------
# ``?search=`` (catalog, roster): at most this many terms and characters (400 beyond).
SEARCH_MAX_TERMS = 10
SEARCH_MAX_CHARS = 200
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson: several times faster than the stdlib encoder on big bodies (the course outline);
    # datetimes as RFC 3339 with "Z", like the serializers' own fields.
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    # DRF's, with no parsing for the Accept headers API clients send (config/renderers.py).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.renderers.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "config.filters.DjangoFilterBackend",  # skips the form when no filter is asked
        "config.search.BoundedSearchFilter",
        "config.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "600/minute"),
        "user": env_str("THROTTLE_USER", "1200/minute"),
        "login": env_str("THROTTLE_LOGIN", "10/minute"),
        "register": env_str("THROTTLE_REGISTER", "20/hour"),
        "quiz_submit": env_str("THROTTLE_QUIZ_SUBMIT", "30/minute"),
    },
    # 0: the client is REMOTE_ADDR and X-Forwarded-For is ignored (None would trust the header).
    "NUM_PROXIES": max(env_int("NUM_PROXIES", 0), 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_UTC_Z, orjson.OPT_NON_STR_KEYS),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Courses API",
    "DESCRIPTION": "Self-paced online courses: catalog, enrollment, lessons, quizzes, progress and certificates. "
    "Send `Authorization: Token <key>` (from `POST /api/auth/token/`) on every call but registering, signing in, "
    "the catalog, course pages and certificate verification. Errors are JSON (`ErrorDetail` or per-field "
    "`ValidationErrors`). The contract's conventions (paging, ordering, formats, certificate codes) are in the "
    "project's docs/api.md; this document describes every endpoint.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EnrollmentStatusEnum": "courseware.models.Enrollment.Status",
        "AttemptStatusEnum": "quizzes.models.QuizAttempt.Status",
        "EmailStatusEnum": "notifications.models.OutboundEmail.Status",
        "EventTypeEnum": "events.models.Event.Type",
        "DeliveryStatusEnum": "events.models.WebhookDelivery.Status",
        "NextStepKindEnum": "learning.catalog.serializers.NEXT_STEP_KINDS",
        "QuestionKindEnum": "quizzes.models.Question.Kind",
        # the per-kind question shapes (a oneOf that validators can tell apart: each names its kinds)
        "ChoiceKindEnum": ["single", "multiple"],
        "NumericKindEnum": ["numeric"],
        "TextKindEnum": ["text"],
        "OrderingKindEnum": ["ordering"],
        "MatchingKindEnum": ["matching"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.document_pagination_errors",
        "config.openapi.type_validation_errors",
        "config.openapi.collapse_any_or_null",
    ],
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"  # never used for sending: tasks run in-process
elif CELERY_BROKER_URL.split("://", 1)[0] in ("redis", "rediss"):
    # kombu's Redis transport with a fix: a worker survives losing the broker while it holds
    # unacknowledged messages (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup would otherwise close the database connection before and after every task (a
# new connection per task); now only every this many tasks. Between those, config/celery.py applies
# DB_CONN_MAX_AGE and the health check around each task as Django does around each request.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every queue the routes below name: a worker started without ``-Q`` consumes all of them (``-Q`` still
# narrows a worker to some, to scale progress and email apart).
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in ("default", "progress", "email", "webhooks")
]
CELERY_TASK_ROUTES = {
    "courseware.tasks.*": {"queue": "progress"},
    "quizzes.tasks.*": {"queue": "progress"},  # regrades: their progress recomputes follow on the same queue
    "notifications.tasks.*": {"queue": "email"},
    "events.tasks.*": {"queue": "webhooks"},
}
# Redis redelivers an unacknowledged message after this many seconds (a worker died mid-task).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    # A worker looks for messages past their visibility timeout every 10 s (kombu's interval), but by
    # default scans only on every 10th look: a dead worker's messages waited up to 100 s more for the
    # survivors (tests/reliability/test_scale_out.py). Scan on every look: one ZRANGE per 10 s.
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# celery beat's own state (last run of each entry) under VAR_DIR, not in the directory it was started in.
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule"))
# /healthz reports each queue's depth and its oldest message's age, and names a queue whose oldest
# message waited longer than this (no worker consumes it, or the workers fall behind).
HEALTHZ_QUEUE_MAX_AGE_SECONDS = env_int("HEALTHZ_QUEUE_MAX_AGE_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "reconcile-progress-and-certificates": {
        "task": "courseware.tasks.reconcile",
        "schedule": timedelta(seconds=env_int("RECONCILE_INTERVAL_SECONDS", 60)),
    },
    "webhooks-sweep": {
        "task": "events.tasks.webhooks_sweep",
        "schedule": timedelta(seconds=env_int("WEBHOOKS_SWEEP_INTERVAL_SECONDS", 10)),
    },
    "send-inactivity-reminders": {
        "task": "courseware.tasks.send_inactivity_reminders",
        "schedule": crontab(minute=0, hour=env_int("REMINDER_HOUR_UTC", 9)),
    },
}
REMINDER_INACTIVE_DAYS = env_int("REMINDER_INACTIVE_DAYS", 7)
RECONCILE_BATCH_SIZE = env_int("RECONCILE_BATCH_SIZE", 500)
PROGRESS_DRAIN_BATCH_SIZE = env_int("PROGRESS_DRAIN_BATCH_SIZE", 1000)
# A progress drain or events dispatch asked for after a write starts this many milliseconds later, so
# the writes of that moment share one task (docs/performance.md, "The write pipeline"); 0: at once.
PIPELINE_BATCH_MS = env_int("PIPELINE_BATCH_MS", 200)
# Learners whose attempts one regrade batch (one transaction) grades again.
QUIZ_REGRADE_BATCH_LEARNERS = env_int("QUIZ_REGRADE_BATCH_LEARNERS", 200)

# --- Email ---------------------------------------------------------------------------------
# Django 6.1 mailers, built from the environment. Default: one file per message under var/mail/.
# Production (DATABASE_URL set): SMTP unless EMAIL_BACKEND says otherwise.
EMAIL_BACKEND_PATH = env_str(
    "EMAIL_BACKEND",
    "notifications.backends.FileEmailBackend" if EMBEDDED else "django.core.mail.backends.smtp.EmailBackend",
)
_mail_options: dict = {}
if EMAIL_BACKEND_PATH.endswith(("filebased.EmailBackend", "FileEmailBackend")):
    _mail_options = {"file_path": env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))}
elif EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Courses <no-reply@courses.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_RETRY_BACKOFF_SECONDS = env_int("EMAIL_RETRY_BACKOFF_SECONDS", 30)
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 5)

# --- Outbound events and webhooks (events/, docs/events.md) ----------------------------------------
# true: subscription URLs may be plain http and point at loopback/private addresses (tests, on-prem).
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", False)
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
WEBHOOKS_RETRY_BASE_SECONDS = env_int("WEBHOOKS_RETRY_BASE_SECONDS", 20)
WEBHOOKS_RETRY_MAX_DELAY_SECONDS = env_int("WEBHOOKS_RETRY_MAX_DELAY_SECONDS", 6 * 3600)
WEBHOOKS_RETRY_FOR_SECONDS = env_int("WEBHOOKS_RETRY_FOR_SECONDS", 3 * 86400)
WEBHOOKS_DISABLE_AFTER_SECONDS = env_int("WEBHOOKS_DISABLE_AFTER_SECONDS", 5 * 86400)
WEBHOOKS_SECRET_GRACE_SECONDS = env_int("WEBHOOKS_SECRET_GRACE_SECONDS", 86400)

# --- Security ---------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not EMBEDDED)
SECURE_REDIRECT_EXEMPT = [r"^livez$", r"^healthz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not EMBEDDED)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG and not EMBEDDED)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG or EMBEDDED else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG and not EMBEDDED)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every HTML page (admin, API docs, certificate pages): scripts only from this site or with the
# response's nonce; styles from this site and inline (Swagger UI and Redoc set styles at run time).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# A CSRF refusal under /api/ answers JSON like every other API error.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# A publish to a broker that is down fails fast; the request still succeeds and the reconcile
# task redoes the work (see config/tasks.py).
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
