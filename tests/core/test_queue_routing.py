"""Worker pools per queue: with `CELERY_SPLIT_QUEUES`, webhook deliveries and campaign
sends go to queues of their own, and a worker started on one queue runs only its tasks."""

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from apps.campaigns.tasks import campaigns_tick_task
from apps.core.webhooks.tasks import webhook_deliver
from apps.members.tasks import member_files_purge
from config import celery_app
from tests.celery_worker import publishing_to, queue_keys_delete, task_runs
from tests.conftest import REDIS_URL
from tests.waiting import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def _waiting(queue: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return client.llen(queue)
    finally:
        client.close()


def test_split_queues_send_webhooks_and_campaigns_to_their_own_workers():
    with publishing_to("routes") as default:
        # The settings' routes, with this run's queue names (other test runs share Redis).
        routes = {
            pattern: {"queue": f"{default}-{route['queue']}"}
            for pattern, route in settings.CELERY_SPLIT_QUEUE_ROUTES.items()
        }
        webhooks, campaigns = f"{default}-webhooks", f"{default}-campaigns"
        celery_app.conf.task_routes = routes
        try:
            webhook_deliver.delay(0)
            campaigns_tick_task.delay()
            member_files_purge.delay()

            assert (_waiting(webhooks), _waiting(campaigns), _waiting(default)) == (1, 1, 1)

            with (
                task_runs() as runs,
                start_worker(
                    celery_app,
                    pool="solo",
                    concurrency=1,
                    perform_ping_check=False,
                    queues=[webhooks],
                ),
            ):
                wait_for(lambda: runs, message="the webhook worker to run its task")
            # The worker on the webhooks queue left the others' tasks where they were.
            assert (_waiting(webhooks), _waiting(campaigns), _waiting(default)) == (0, 1, 1)
        finally:
            celery_app.conf.task_routes = {}
            for queue in (webhooks, campaigns):
                queue_keys_delete(queue)

    assert [(name, queue) for name, _args, _value, _eager, queue in runs] == [
        ("apps.core.webhooks.tasks.webhook_deliver", webhooks)
    ]


def test_without_split_queues_every_task_goes_to_the_default_queue():
    assert settings.CELERY_TASK_ROUTES == {}
    assert (
        celery_app.amqp.router.route({}, "apps.core.webhooks.tasks.webhook_deliver")["queue"].name
        == celery_app.conf.task_default_queue
    )
