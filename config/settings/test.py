"""`make test`: PostgreSQL when one answers (always in CI), SQLite otherwise.

DATABASE_URL wins when set. Without it the suite looks for the local PostgreSQL that
development machines and CI run; if none answers it says so and falls back to SQLite,
where the tests marked `postgres` are skipped (see tests/conftest.py).
"""

import sys

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fideliza_test"


def _postgres_answers(url: str) -> bool:
    import psycopg

    settings = env.db_url_config(url)
    try:
        psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"],
            dbname="postgres",
            connect_timeout=2,
        ).close()
    except psycopg.OperationalError:
        return False
    return True


def _test_database_url() -> str:
    explicit = env("DATABASE_URL", default="")
    if explicit:
        return explicit
    if _postgres_answers(DEFAULT_TEST_DATABASE_URL):
        return DEFAULT_TEST_DATABASE_URL
    print(
        "\n*** No PostgreSQL answers on 127.0.0.1:5432: the tests run on SQLite and the"
        " ones marked 'postgres' are skipped. Set DATABASE_URL to use another server. ***\n",
        file=sys.stderr,
    )
    return "sqlite:///:memory:"


DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
DATABASES = {"default": env.db_url_config(_test_database_url())}
# The suite behind PgBouncer in transaction mode (tests/core/test_pgbouncer.py); its
# statements are never prepared here (parameters are bound by the client).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = TRANSACTION_POOLER  # noqa: F405
# A second connection to the same database, standing in for a read replica in the tests
# that switch `READ_REPLICA` on (tests/core/test_replica.py); unused everywhere else.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
SMS_URL = "locmem://"
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Static files come straight from the app folders (no collectstatic in tests).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# The webhook tests run a receiver on 127.0.0.1 over http; tests of the guard turn these off.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_PRIVATE_HOSTS = True
WEBHOOK_RETRY_BASE_SECONDS = 0.2
