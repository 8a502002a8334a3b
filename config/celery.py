"""The Celery application.

Workers start with `celery -A config worker`. Configuration comes from Django settings
under the `CELERY_` namespace, so the broker, eagerness and reliability options live
next to everything else in `config/settings/`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Queuing a task never fails a request for the broker: apps/core/broker.py.
app = Celery("fideliza", task_cls="apps.core.broker:FaultTolerantTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
