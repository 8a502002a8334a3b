"""A Celery worker that a test starts in a process of its own (tests/worker_process.py).

The test settings, except what the test hands over in the environment: its database
(DATABASE_URL: pytest's test database, where the test's committed rows are), its broker
(CELERY_BROKER_URL), its queue (CELERY_TASK_DEFAULT_QUEUE: where the tasks the worker
starts go too) and its SMTP server (EMAIL_URL). None has a default, so a worker started
without them stops at once instead of reading another database or mailing through a mail
server found in a `.env` file. Nothing runs eagerly here: a task the worker starts goes
through the broker, as in production.
"""

from config.settings.base import env, mailer_from_url
from config.settings.test import *  # noqa: F403

DATABASES = {"default": env.db_url_config(env("DATABASE_URL"))}
MAILERS = {"default": mailer_from_url(env("EMAIL_URL"))}
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE")
CELERY_TASK_ALWAYS_EAGER = False
# Nothing is sent to a worker by broadcast in these tests (and no pidbox keys are left).
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
