"""Settings shared by every environment.

Everything that differs between a laptop, CI and production is read from the
environment (django-environ), so one codebase runs anywhere. This module holds no
secret: `local.py` and `test.py` supply throwaway ones, `production.py` refuses to
start without real ones.
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Applications: Django, third-party, local.
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "django_countries",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
]
LOCAL_APPS = [
    "apps.accounts",
    "apps.core",
    "apps.members",
    "apps.programs",
    "apps.programs.tiers",
    "apps.programs.coupons",
    "apps.programs.referrals",
    "apps.messaging",
    "apps.portal",
    "apps.analytics",
    "apps.campaigns",
    "apps.home",
    "apps.demo",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.core.middleware.ActiveMerchantMiddleware",
    # After the merchant is known: the user's language, else the browser's, else the shop's.
    "apps.core.middleware.LanguageMiddleware",
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
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.tenancy",
            ],
        },
    },
]

# Database: SQLite by default so `make run` needs nothing; PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Behind a pooler in transaction mode (PgBouncer's default), a server connection is
# another client's between two transactions: nothing may outlive one (docs/SCALING.md).
TRANSACTION_POOLER = env.bool("DATABASE_TRANSACTION_POOLER", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run five times on a connection is
    # prepared: PostgreSQL stops parsing and planning the same few dozen statements of a
    # purchase on every request (a quarter of its time there). Needs direct connections
    # or a pooler in session mode: PgBouncer's transaction mode (1.18, Debian's) does not
    # carry prepared statements from one transaction to the next.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=not TRANSACTION_POOLER):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
    else:
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
    # A member export reads through a named cursor, which would outlive its transaction.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = TRANSACTION_POOLER
# A read replica for the reads that may lag a few seconds (analytics cards, member exports:
# apps/core/replica.py). It connects as the primary does, to another host.
READ_REPLICA = None
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] = TRANSACTION_POOLER
    READ_REPLICA = "replica"
DATABASE_ROUTERS = ["apps.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Indexes that carry columns (`include=`) serve segment counts on PostgreSQL; SQLite, the
# embedded default, builds them without those columns, which changes no result.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
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
LOGIN_REDIRECT_URL = "home:home"

# django-allauth: email is the login, verified by a code sent by email.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Fideliza] "
# allauth's default rate limits stay on: 5 failed logins per account per 5 minutes and
# 10 per IP per minute, signups, resets and code checks likewise. The counters live in the
# cache, which is why production points CACHE_URL at Redis (shared by all processes).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Fideliza"

# Languages: English is the source; Spanish and Romanian are translated in full (locale/).
# A page follows its reader (apps.core.middleware.LanguageMiddleware), a member's pages and
# messages the member's language, else the merchant's. Dates, numbers and money follow the
# active language through Babel (apps.core.formatting, the fmt and money template filters).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("es", "Español"),
    ("ro", "Română"),
    ("en", "English"),
]
# Ours first; then strings that Django REST framework's own catalogs lack (kept apart so
# that makemessages on our code never marks them obsolete).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "media/"


# Email: EMAIL_URL, turned into Django 6.1's MAILERS. SMTP and the other schemes of
# django-environ (smtp+tls://user:pass@host:587, consolemail://, filemail:///path), or a
# provider's HTTP API through django-anymail: anymail+<esp>://<credentials>@?<options>.
# Before the @ go the OPTIONS named below for the provider (a secret second after a
# colon); the query's pairs are further OPTIONS, under anymail's names for them
# (sender_domain, message_stream, api_url, configuration_set_name, ...):
#   anymail+mailgun://API_KEY@?sender_domain=mg.example.com
#   anymail+postmark://SERVER_TOKEN@   anymail+brevo://API_KEY@   anymail+sendgrid://API_KEY@
#   anymail+amazon_ses://   (boto3 reads the usual AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
#                            and AWS_DEFAULT_REGION, or the machine's role)
_ANYMAIL_CREDENTIALS = {
    "amazon_ses": (),
    "brevo": ("api_key",),
    "mailersend": ("api_token",),
    "mailgun": ("api_key",),
    "mailjet": ("api_key", "secret_key"),
    "postmark": ("server_token",),
    "resend": ("api_key",),
    "sendgrid": ("api_key",),
    "sparkpost": ("api_key",),
}


def mailer_from_url(url: str) -> dict:
    scheme = url.partition("://")[0]
    if scheme.startswith("anymail+"):
        return _anymail_mailer(url)
    if scheme not in environ.Env.EMAIL_SCHEMES:
        known = ", ".join(sorted(environ.Env.EMAIL_SCHEMES) + ["anymail+<esp>"])
        raise ImproperlyConfigured(f"EMAIL_URL: unknown scheme {scheme!r} (known: {known}).")
    config = env.email_url_config(url)
    backend = config["EMAIL_BACKEND"]
    if not backend.endswith("smtp.EmailBackend"):
        file_path = config.get("EMAIL_FILE_PATH")
        return {"BACKEND": backend, "OPTIONS": {"file_path": file_path} if file_path else {}}
    use_ssl = bool(config.get("EMAIL_USE_SSL"))
    return {
        "BACKEND": backend,
        "OPTIONS": {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"] or None,
            "password": config["EMAIL_HOST_PASSWORD"] or None,
            "use_ssl": use_ssl,
            "use_tls": bool(config.get("EMAIL_USE_TLS")) and not use_ssl,
            "timeout": 30,
        },
    }


def _anymail_mailer(url: str) -> dict:
    # Parsed by hand: urllib takes no "_" in a scheme (amazon_ses).
    scheme, _sep, rest = url.partition("://")
    esp = scheme.removeprefix("anymail+")
    if esp not in _ANYMAIL_CREDENTIALS:
        known = ", ".join(f"anymail+{name}" for name in _ANYMAIL_CREDENTIALS)
        raise ImproperlyConfigured(f"EMAIL_URL: unknown provider {esp!r} (known: {known}).")
    location, _sep, query = rest.partition("?")
    credentials, _at, host = location.rstrip("/").rpartition("@")
    names = _ANYMAIL_CREDENTIALS[esp]
    secrets = [unquote(part) for part in credentials.split(":")] if credentials else []
    if host or len(secrets) != len(names):
        wanted = ":".join(name.upper() for name in names)
        example = f"anymail+{esp}://{wanted}@" if names else f"anymail+{esp}://"
        raise ImproperlyConfigured(f"EMAIL_URL: {esp} takes the form {example}?option=value.")
    options = dict(zip(names, secrets, strict=True))
    for name, value in parse_qsl(query, keep_blank_values=True):
        options[name] = _url_option(value)
    return {"BACKEND": f"anymail.backends.{esp}.EmailBackend", "OPTIONS": options}


def _url_option(value: str) -> str | bool | int:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return int(value) if value.isdigit() else value


MAILERS = {"default": mailer_from_url(env("EMAIL_URL", default="consolemail://"))}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Fideliza <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# django-anymail's own settings, from ANYMAIL_<NAME> variables. ANYMAIL_WEBHOOK_SECRET
# (user:password) guards every provider's reports (bounces, complaints), posted to
# /anymail/<esp>/tracking/ with it in the URL: without it anyone could post them, so
# production.py refuses a provider without it. A provider that signs its reports needs
# its key too: ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY, ANYMAIL_MAILERSEND_SIGNING_SECRET, ...
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}
ANYMAIL.setdefault("WEBHOOK_SECRET", "")
if ANYMAIL["WEBHOOK_SECRET"] and ":" not in ANYMAIL["WEBHOOK_SECRET"]:
    raise ImproperlyConfigured("ANYMAIL_WEBHOOK_SECRET takes the form user:password.")

# SMS (apps.messaging.sms): console:// prints, locmem:// keeps an outbox for tests,
# twilio://ACCOUNT_SID:AUTH_TOKEN@?from=%2B34600000000 (or ?messaging_service=MG...) sends.
SMS_URL = env("SMS_URL", default="console://")
# What one SMS segment costs (minor units of SMS_PRICE_CURRENCY): the campaign editor's
# cost estimate, an estimate only (the provider's price list and the destinations decide).
SMS_SEGMENT_PRICE = env.int("SMS_SEGMENT_PRICE", default=7)
SMS_PRICE_CURRENCY = env("SMS_PRICE_CURRENCY", default="EUR")

# Celery: eager unless a broker is configured. Tasks are acknowledged after they run and
# re-queued if their worker dies, so every task must be idempotent.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# Handing a task over gives up fast: a request never waits long for a broker that is down
# (apps/core/broker.py leaves the task to its sweeper).
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
# A broker that stops answering on an open connection is given up on too (a worker's
# blocking read of its queue asks for one second at a time, well inside this).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1.0, "socket_timeout": 3.0}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Tasks outside an app's own tasks.py (autodiscovery finds only those).
CELERY_IMPORTS = ["apps.core.api.tasks", "apps.core.webhooks.tasks"]
# Worker pools per queue (docs/SCALING.md). With CELERY_SPLIT_QUEUES, webhook deliveries
# and campaign and automation sends (their ticks included) go to queues of their own, for
# workers started with `-Q webhooks` and `-Q campaigns`; the rest (the API's side effects:
# messages, wallet passes, imports and exports) stays on the default queue, `celery`.
# Without it, one queue: any worker takes every task.
CELERY_SPLIT_QUEUE_ROUTES = {
    "apps.core.webhooks.tasks.*": {"queue": "webhooks"},
    "apps.campaigns.tasks.*": {"queue": "campaigns"},
}
CELERY_TASK_ROUTES = (
    CELERY_SPLIT_QUEUE_ROUTES if env.bool("CELERY_SPLIT_QUEUES", default=False) else {}
)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Tasks requests could not queue while the broker was down (apps/core/broker.py).
    "held-tasks-requeue": {"task": "apps.core.tasks.held_tasks_requeue_task", "schedule": 60},
    # Invitations whose email never went out: a new link (apps/core/notifications.py).
    "invitations-unsent": {
        "task": "apps.core.tasks.invitations_unsent_send_task",
        "schedule": 300,
    },
    "expire-points": {"task": "apps.programs.points.tasks.expire_points", "schedule": 60 * 60},
    "birthday-bonuses": {
        "task": "apps.programs.points.tasks.give_birthday_bonuses",
        "schedule": 60 * 60,
    },
    "member-files-purge": {"task": "apps.members.tasks.member_files_purge", "schedule": 24 * 3600},
    "idempotency-purge": {"task": "apps.core.api.tasks.idempotency_purge", "schedule": 24 * 3600},
    "webhook-retry-due": {"task": "apps.core.webhooks.tasks.webhook_retry_due", "schedule": 60},
    "messages-sweep": {"task": "apps.messaging.tasks.deliveries_sweep_task", "schedule": 60},
    "points-expiring": {
        "task": "apps.programs.points.tasks.announce_points_expiring",
        "schedule": 60 * 60,
    },
    "review-tiers": {"task": "apps.programs.tiers.tasks.review_tiers", "schedule": 60 * 60},
    "tier-reevaluations-sweep": {
        "task": "apps.programs.tiers.tasks.tier_reevaluations_sweep",
        "schedule": 5 * 60,
    },
    "referrals-sweep": {
        "task": "apps.programs.referrals.tasks.sweep_referrals",
        "schedule": 60 * 60,
    },
    # Rollups behind the KPIs: what changed since the last run (apps/analytics/refresh.py).
    "analytics-refresh": {"task": "apps.analytics.tasks.refresh_analytics", "schedule": 60},
    # Scheduled campaigns that are due, and sending ones whose next batch was lost.
    "campaigns-tick": {"task": "apps.campaigns.tasks.campaigns_tick_task", "schedule": 60},
    # The automations' due moments (a birthday, turning at risk), per merchant.
    "automations-tick": {"task": "apps.campaigns.tasks.automations_tick_task", "schedule": 300},
}

# Member import and export files hold personal data: deleted this many days after their
# last activity (apps/members/retention.py).
MEMBER_FILES_KEEP_DAYS = env.int("MEMBER_FILES_KEEP_DAYS", default=7)

# Django REST framework and the OpenAPI schema (served offline through the sidecar).
# The API is for storefronts with keys (apps/core/api.py, api_auth.py): JSON only, no sessions.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.core.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.api.auth.KeyScope"],
    "DEFAULT_THROTTLE_CLASSES": ["apps.core.api.auth.KeyRateLimit"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "apps.core.api.base.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=1200)
IDEMPOTENCY_KEEP_HOURS = env.int("IDEMPOTENCY_KEEP_HOURS", default=48)
# How long each process trusts an API key it recognised (apps/core/api/keys.py): the
# longest a revocation, or a change to the merchant, takes to reach every process.
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=5)

# Webhooks (apps/core/webhooks.py): HTTPS to public addresses only, unless allowed here
# (local.py and test.py allow http and private hosts, for a receiver on this machine).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30)
SPECTACULAR_SETTINGS = {
    "TITLE": "Fideliza API",
    "DESCRIPTION": "The storefront API of a Fideliza loyalty program. Authenticate with "
    "`Authorization: Bearer <key>`; owners create keys in the dashboard (Settings → API keys). "
    "Errors read `{code, message, errors: {field: [messages]}}`.",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.add_common_responses",
    ],
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Security headers that hold in every environment; production.py adds HTTPS ones.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # A nonce for the one inline <style> of a member's page: the shop's colour.
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Members' signed links never reach a log (apps/core/public_links.py).
    "filters": {"redact_tokens": {"()": "apps.core.public_links.TokenRedaction"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    # The development server's access lines too (Django gives them a handler of its own).
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Where people reach this installation: links in emails sent by background tasks.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# How long an emailed staff invitation stays valid.
FIDELIZA_INVITATION_DAYS = 7
# How long a member's signed links work, in days (apps/messaging/links.py). A card link is
# saved on a phone's home screen: it lasts; revoking it is the member's or the shop's call.
MEMBER_LINK_MAX_AGE_DAYS = {
    "card": env.int("CARD_LINK_DAYS", default=730),
    "unsubscribe-email": 3650,
    "erase": 2,
    "data": 2,
    "survey": 30,
}
# Pages reached by a member's signed link: requests per client address and per token in a
# window of seconds (apps/core/public_links.py). "new_link" answers "send me a new link".
LINK_PAGE_RATE_LIMITS = {
    "card": {"per_ip": 120, "per_token": 60, "window": 60},
    "new_link": {"per_ip": 10, "per_token": 5, "window": 3600},
    "unsubscribe": {"per_ip": 60, "per_token": 20, "window": 60},
    "privacy": {"per_ip": 30, "per_token": 10, "window": 3600},
    "click": {"per_ip": 120, "per_token": 30, "window": 60},
    "survey": {"per_ip": 60, "per_token": 20, "window": 3600},
}
# Raise when the card page's offline shell (member.css, card.js, icons) changes: installed
# cards then fetch the new files (apps/portal/templates/portal/sw.js).
PORTAL_SHELL_VERSION = "3"
# Sends stuck this long are looked at by the sweeper (apps/messaging/services/sweep.py).
MESSAGING_STALE_MINUTES = env.int("MESSAGING_STALE_MINUTES", default=10)
# Messages a campaign sends per batch (apps/campaigns/services/sending.py); the pause
# between batches keeps to the merchant's rate.
CAMPAIGN_BATCH_SIZE = env.int("CAMPAIGN_BATCH_SIZE", default=100)
# Batches of one campaign sent at once, by as many worker processes (each a chain: a batch
# enqueues the next), sharing the merchant's rate. Worth as many as the workers' processes
# when each message waits on a provider's API; one keeps the order strict.
CAMPAIGN_SEND_CHAINS = env.int("CAMPAIGN_SEND_CHAINS", default=2)

# Wallet passes on a member's card page (apps/portal/wallet/): each wallet is offered only
# when every setting of its group is set; left empty, its button does not appear. Paths
# point at files kept outside the repository, like any secret.
# Google Wallet: the issuer id from the Google Pay & Wallet Console, the loyalty class made
# there once (`<issuer id>.<class suffix>`), and the JSON key of a service account allowed
# to issue passes. The API and token URLs change only for tests (a local fake server);
# an empty token URL means the one in the key file.
GOOGLE_WALLET_ISSUER_ID = env("GOOGLE_WALLET_ISSUER_ID", default="")
GOOGLE_WALLET_CLASS_SUFFIX = env("GOOGLE_WALLET_CLASS_SUFFIX", default="loyalty")
GOOGLE_WALLET_SERVICE_ACCOUNT_FILE = env("GOOGLE_WALLET_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_WALLET_API_URL = env(
    "GOOGLE_WALLET_API_URL", default="https://walletobjects.googleapis.com/walletobjects/v1"
)
GOOGLE_WALLET_TOKEN_URL = env("GOOGLE_WALLET_TOKEN_URL", default="")
# Apple Wallet: the Pass Type ID and team of the Apple developer account, the pass
# certificate (PEM or DER) and its private key (PEM, optionally with a password), and
# Apple's WWDR intermediate certificate that Wallet checks the signature against.
APPLE_PASS_TYPE_ID = env("APPLE_PASS_TYPE_ID", default="")
APPLE_TEAM_ID = env("APPLE_TEAM_ID", default="")
APPLE_PASS_CERT_FILE = env("APPLE_PASS_CERT_FILE", default="")
APPLE_PASS_KEY_FILE = env("APPLE_PASS_KEY_FILE", default="")
APPLE_PASS_KEY_PASSWORD = env("APPLE_PASS_KEY_PASSWORD", default="")
APPLE_WWDR_CERT_FILE = env("APPLE_WWDR_CERT_FILE", default="")
