"""A real Celery worker in a process of its own, for the tests that kill one.

tests/celery_worker.py runs a worker in a thread of the test process, which proves a task
path but cannot be killed. Here the worker is `celery -A config worker` started as a
subprocess (solo pool: one task at a time; or a prefork pool, several at once) with
`config.settings.test_worker`: the test's own PostgreSQL database (so use
`transactional_db`: the rows must be committed for another process to see them), the
Redis broker, the test's SMTP server, and a queue of the test's own
(`tests.celery_worker.publishing_to`). `kill()` is SIGKILL: no shutdown, no
acknowledgement, the state the worker had written is all that is left, as after the
kernel's OOM killer or a lost machine.

    with publishing_to("kill") as queue, worker_process(queue=queue, email_url=...) as worker:
        ...
        worker.kill()
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from config import celery_app
from tests.conftest import REDIS_URL
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0  # seconds: a worker starting on a busy machine; only a failure waits it out


def database_url() -> str:
    """The database this test process uses (pytest's test database), as a URL."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


class WorkerProcess:
    """One `celery worker` process; what it logs goes to a file the test can read."""

    def __init__(self, *, queue: str, email_url: str, processes: int = 1) -> None:
        self.queue = queue
        self.log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop())
            prefix="celery-worker-", suffix=".log"
        )
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test_worker",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
            "EMAIL_URL": email_url,
            # The tasks the worker itself starts (a campaign's next batch) go to the
            # test's queue, which is the only one it takes tasks from.
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            # Django's system checks, which the worker runs at start by default, are
            # not what these tests are about, and take as long as the rest of the start.
            "CELERY_SKIP_CHECKS": "1",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            *(["--pool=solo"] if processes == 1 else ["--pool=prefork"]),
            f"--concurrency={processes}", "--queues", queue,
            "--hostname", f"{queue}@%h", "--loglevel=INFO",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
        ]  # fmt: skip
        # A session of its own: its process group can be killed without touching ours.
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command,
            cwd=ROOT,
            env=environment,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")

    def wait(self, condition: Callable[[], object], *, message: str, timeout: float = TIMEOUT):
        """`wait_for`, failing with the worker's log, and at once if the worker died."""

        def met():
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited ({self.process.returncode})", pytrace=False)
            return condition()

        try:
            return wait_for(met, message=message, timeout=timeout)
        except pytest.fail.Exception as failure:
            pytest.fail(f"{failure.msg}; the worker's log:\n{self.log()}", pytrace=False)

    def wait_ready(self) -> None:
        self.wait(lambda: " ready." in self.log(), message="the worker to start")

    def kill(self) -> None:
        """SIGKILL, and wait until the process is gone."""
        os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(timeout=TIMEOUT)
        self.log_file.close()


@contextmanager
def worker_process(*, queue: str, email_url: str, processes: int = 1) -> Iterator[WorkerProcess]:
    """A worker consuming `queue`, ready when the block starts; its whole process group
    killed when the block ends, whatever happened in it. With `processes` > 1, the prefork
    pool runs that many tasks at once."""
    worker = WorkerProcess(queue=queue, email_url=email_url, processes=processes)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


def unacknowledged(queue: str) -> dict[str, str]:
    """The messages of `queue` that a worker took and has not acknowledged (tasks run
    `acks_late`): delivery tag -> task id. A killed worker's task stays here."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        taken = {}
        for tag, entry in client.hgetall("unacked").items():
            message, _exchange, routing_key = json.loads(entry)
            if routing_key == queue:
                taken[tag.decode()] = message["headers"]["id"]
        return taken
    finally:
        client.close()


def redeliver(queue: str) -> list[str]:
    """Put the queue's unacknowledged messages back on it, as the broker does once their
    visibility timeout passes (an hour by default); returns their task ids."""
    taken = unacknowledged(queue)
    with celery_app.connection_for_write() as broker:
        qos = broker.default_channel.qos
        for tag in taken:
            qos.restore_by_tag(tag)
    return list(taken.values())


def waiting(queue: str) -> list[str]:
    """The ids of the tasks waiting on `queue`, oldest first."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        entries = client.lrange(queue, 0, -1)  # published to the left, taken from the right
        return [json.loads(entry)["headers"]["id"] for entry in reversed(entries)]
    finally:
        client.close()
