"""Settings of the API bench's gunicorn (bench/api_load.py): production, plus the bare
baseline endpoints of bench/api_urls.py."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.api_urls"
