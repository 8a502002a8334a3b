"""Production: PostgreSQL, a real broker, SMTP or a mail provider, HTTPS. Refuses to start
unsafely."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import ANYMAIL, CACHES, DATABASES, MAILERS, SECRET_KEY, env

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DEBUG must be off in production.")

# The embedded defaults that make `make run` need nothing are toys in production: SQLite,
# a broker in one process's memory (a task queued there is lost when it ends), and a
# cache per process (which splits the rate limits and the lockouts across workers).
TOYS = {
    "DATABASE_URL": ("PostgreSQL, such as postgres://user:password@host:5432/fideliza", "sqlite"),
    "CELERY_BROKER_URL": ("Redis, such as redis://host:6379/0", "memory", "filesystem"),
    "CACHE_URL": ("Redis, such as rediscache://host:6379/1", "locmemcache", "dummycache"),
}
for name, (wanted, *toys) in TOYS.items():
    value = env(name, default="")
    if not value or value.split(":", 1)[0] in toys:
        raise ImproperlyConfigured(f"{name} must be set in production to {wanted}.")
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 32+ characters.")
# A provider's reports suppress addresses: its webhooks must not be open to anyone.
if MAILERS["default"]["BACKEND"].startswith("anymail.") and not ANYMAIL["WEBHOOK_SECRET"]:
    raise ImproperlyConfigured(
        "ANYMAIL_WEBHOOK_SECRET must be set (user:password) to mail through a provider."
    )

# Django's native pool (psycopg_pool) keeps short requests from paying for a connection.
# A request waits at most `timeout` seconds for a connection, and a new connection at most
# `connect_timeout`: while the database restarts the answer is a quick 503 to retry
# (apps/core/outage.py), not a client left hanging for psycopg_pool's default 30 s.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database.setdefault("OPTIONS", {}).update({"pool": {"timeout": 5.0}, "connect_timeout": 3})

# A Redis cache that is down costs a warning, not a request (apps/core/cache.py), and is
# given up on quickly.
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "apps.core.cache.FaultTolerantRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    )

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes speak plain HTTP to the process, and take a redirect for a success.
SECURE_REDIRECT_EXEMPT = [r"^livez/$", r"^healthz/$", r"^readyz/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
