"""A real Celery worker on the real Redis broker, for the tests that prove a task path.

The worker runs in a thread of the test process (solo pool) and consumes a queue named
for the run, so other test sessions sharing the Redis database neither steal its tasks
nor hand it theirs. On the way out the app's configuration, its cached connections and
the queue's keys in Redis are put back as they were. (A worker that a test kills runs in
a process of its own on such a queue: tests/worker_process.py.)
"""

import json
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


def queue_keys_delete(queue: str) -> None:
    """Remove the queue's keys from Redis, and any message of it a worker took and never
    acknowledged (a killed one's): the broker keeps those in one hash for every queue,
    and another worker on the database would put them back in an hour."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        leftovers = list(client.scan_iter(match=f"*{queue}*"))
        if leftovers:
            client.delete(*leftovers)
        for tag, entry in client.hgetall("unacked").items():
            _message, _exchange, routing_key = json.loads(entry)
            if routing_key == queue:
                client.pipeline().zrem("unacked_index", tag).hdel("unacked", tag).execute()
    finally:
        client.close()


@contextmanager
def publishing_to(name: str) -> Iterator[str]:
    """For the duration of the block this process sends tasks, not eagerly, to a queue of
    its own on the real Redis broker (named for `name` and the run); yields the queue's
    name. On the way out the app's configuration, its cached connections and the queue's
    keys in Redis are put back as they were."""
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
        yield queue
    finally:
        app.conf.update(saved)
        reset_app_caches(app)
        queue_keys_delete(queue)


@contextmanager
def worker_thread() -> Iterator[None]:
    """A worker in a thread of this process for the block, on the queue `publishing_to`
    set: started after a worker process was killed, it finds what that one left."""
    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False):
        yield


@contextmanager
def celery_worker_on_redis(name: str) -> Iterator[str]:
    """Run a worker for the duration of the block; yields the name of its queue."""
    with publishing_to(name) as queue, worker_thread():
        yield queue


@contextmanager
def task_runs() -> Iterator[list[tuple]]:
    """The record of every task this process runs in the block: (task name, args, return
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

    task_postrun.connect(on_postrun, weak=False)
    try:
        yield runs
    finally:
        task_postrun.disconnect(on_postrun)


@contextmanager
def worker_recording_runs(name: str) -> Iterator[tuple[str, list[tuple]]]:
    """A worker as above, and the record of every task it ran (`task_runs`)."""
    with celery_worker_on_redis(name) as queue, task_runs() as runs:
        yield queue, runs


# A port nothing listens on: the broker is down.
DEAD_BROKER_URL = "redis://127.0.0.1:9/0"


@contextmanager
def broker_down() -> Iterator[None]:
    """For the block this process sends tasks, not eagerly, to a broker that is down."""
    from apps.core.broker import outage

    app = celery_app
    overrides = {"broker_url": DEAD_BROKER_URL, "task_always_eager": False}
    saved = {key: app.conf[key] for key in overrides}
    app.conf.update(overrides)
    reset_app_caches(app)
    outage.end()
    try:
        yield
    finally:
        app.conf.update(saved)
        reset_app_caches(app)
        outage.end()
