"""A real Celery worker on the real Redis broker, for the tests that prove a task path.

The worker runs in a thread of the test process (solo pool) and consumes a queue named
for the run, so other test sessions sharing the Redis database neither steal its tasks
nor hand it theirs. On the way out the app's configuration, its cached connections and
the queue's keys in Redis are put back as they were.
"""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from kombu import pools as kombu_pools

from config import celery_app
from tests.conftest import REDIS_URL


def reset_app_caches(app) -> None:
    """Forget broker connections and queue declarations built from the old configuration."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.__dict__.pop("amqp", None)
    kombu_pools.reset()


@contextmanager
def celery_worker_on_redis(name: str) -> Iterator[str]:
    """Run a worker for the duration of the block; yields the name of its queue."""
    app = celery_app
    queue = f"fideliza-test-{name}-{uuid.uuid4().hex}"
    overrides = {
        "broker_url": REDIS_URL,
        "task_always_eager": False,
        "task_default_queue": queue,
        "task_default_exchange": queue,
        "task_default_routing_key": queue,
        "worker_enable_remote_control": False,
        "worker_hijack_root_logger": False,
    }
    saved = {key: app.conf[key] for key in overrides}
    app.conf.update(overrides)
    reset_app_caches(app)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False):
            yield queue
    finally:
        app.conf.update(saved)
        reset_app_caches(app)
        client = redis.Redis.from_url(REDIS_URL)
        leftovers = list(client.scan_iter(match=f"*{queue}*"))
        if leftovers:
            client.delete(*leftovers)
        client.close()


@contextmanager
def worker_recording_runs(name: str) -> Iterator[tuple[str, list[tuple]]]:
    """A worker as above, and the record of every task it ran: (task name, args, return
    value, whether it ran eagerly, the queue it came from)."""
    runs, lock = [], threading.Lock()

    def on_postrun(sender=None, task=None, args=None, **kwargs):
        with lock:
            runs.append(
                (
                    task.name,
                    tuple(args or ()),
                    kwargs.get("retval"),
                    bool(task.request.is_eager),
                    (task.request.delivery_info or {}).get("routing_key"),
                )
            )

    with celery_worker_on_redis(name) as queue:
        task_postrun.connect(on_postrun, weak=False)
        try:
            yield queue, runs
        finally:
            task_postrun.disconnect(on_postrun)
