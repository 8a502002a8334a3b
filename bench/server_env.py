"""The environment of the API benches' server: production settings with the bare
endpoints (bench/api_settings.py), Redis databases of their own, no rate limit, webhooks
to a local address allowed. No Django import here: it is read before Django starts."""

REDIS = "redis://127.0.0.1:6379"
BROKER_DB, CACHE_DB = 14, 13  # flushed by the benches when they finish


def server_environment(*, database_url: str, host: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + "x" * 40,
        "ALLOWED_HOSTS": host,
        "SECURE_SSL_REDIRECT": "false",
        "CELERY_BROKER_URL": f"{REDIS}/{BROKER_DB}",
        "CACHE_URL": f"rediscache://127.0.0.1:6379/{CACHE_DB}",
        "API_RATE_LIMIT_PER_MINUTE": str(10**9),
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_HOSTS": "true",
        "LOG_LEVEL": "WARNING",
    }
