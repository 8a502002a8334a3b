"""Faults under load, on services of the test's own (tests/faults/cluster.py): gunicorn
with production settings takes purchases from parallel storefront clients, which send a
purchase again until it is acknowledged (as a storefront does), while Redis is stopped,
PostgreSQL restarted and a gunicorn worker killed. Then: no 500 ever; with the broker down
each purchase still answers within 2 s; every acknowledged purchase exists exactly once;
every balance equals its ledger; and once the broker is back a worker and the sweeper
deliver every purchase's webhook, once."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.faults.cluster import (
    PYTHON,
    ROOT,
    Gunicorn,
    django_run,
    manage,
    production_environment,
    services,
    wait_until,
)

pytestmark = pytest.mark.postgres

CLIENTS = 6
# A storefront sends a sale again after these (0: the connection dropped), for a while.
RETRIED = {0, 503}
GIVE_UP_SECONDS = 60
SETUP = """
from apps.core.api.keys import api_key_create
from apps.core.models import Merchant
from apps.core.webhooks.services import endpoint_create
from apps.members.services import member_enroll
from apps.programs.points.rules import program_settings_update
from django.core.management import call_command

call_command("createmerchant", "shop", "--name", "Shop", "--owner-email", "o@example.com",
             "--currency", "EUR", "--country", "ES", "--timezone", "Europe/Madrid",
             "--language", "es")
merchant = Merchant.objects.get(slug="shop")
members = [
    member_enroll(merchant=merchant, actor=None, first_name=f"M{n}",
                  phone=f"+34 611 000 {n:03d}", channel="api").member.public_id
    for n in range(%(members)d)
]
endpoint_create(merchant=merchant, actor=None, url="%(hook)s", events=["purchase.recorded"])
key = api_key_create(merchant=merchant, actor=None, name="Shop", scope="write").key
result = {"key": key, "members": members}
"""
SWEEP = """
from datetime import timedelta
from django.utils import timezone
from apps.core.webhooks.models import WebhookDelivery
from apps.core.webhooks.services import deliveries_retry_due
tried = 0
while batch := deliveries_retry_due(now=timezone.now() + timedelta(minutes=2)):
    tried += batch  # the sweeper's rounds, a minute apart in production
result = {
    "tried": tried,
    "statuses": dict(Counter(WebhookDelivery.objects.values_list("status", flat=True))),
}
""".replace("from datetime", "from collections import Counter\nfrom datetime")
COUNTS = """
from django.db.models import Count
from apps.programs.models import Purchase
rows = Purchase.objects.values("external_id").annotate(n=Count("id"))
result = {row["external_id"]: row["n"] for row in rows}
"""


class Hooks:
    """The storefront's webhook receiver: every event id it is sent."""

    def __init__(self):
        self.events: list[str] = []
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.events.append(json.loads(body)["id"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Load:
    """Storefront clients sending purchases, each again until acknowledged."""

    url: str
    key: str
    members: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: Counter = field(default_factory=Counter)
    acknowledged: set[str] = field(default_factory=set)
    # (started, seconds, status) of every answer, to look at a moment's answers.
    answers: list[tuple[float, float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _post(self, body: dict) -> int:
        request = urllib.request.Request(
            f"{self.url}/api/v1/purchases/",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
            method="POST",
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0  # the connection dropped (a killed worker): send it again
        with self.lock:
            self.statuses[status] += 1
            self.answers.append((started, time.monotonic() - started, status))
        return status

    def client(self, number: int) -> None:
        sale = 0
        while not self.stop.is_set():
            sale += 1
            body = {
                "member": self.members[(number + sale) % len(self.members)],
                "external_id": f"c{number}-{sale}",
                "amount": 1000 + sale,
                "currency": "EUR",
            }
            deadline = time.monotonic() + GIVE_UP_SECONDS
            status = self._post(body)
            while status in RETRIED and time.monotonic() < deadline:
                time.sleep(0.2)
                status = self._post(body)
            if status in (200, 201):
                with self.lock:
                    self.acknowledged.add(body["external_id"])

    def run(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        return threads


def test_no_500_and_every_acknowledged_purchase_once_through_broker_and_database_faults():
    hooks = Hooks()
    with services() as (postgres, redis):
        environment = production_environment(
            database_url=postgres.url,
            redis_port=redis.port,
            extra={"WEBHOOK_RETRY_BASE_SECONDS": "1"},
        )
        migrated = manage(environment, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        shop = django_run(environment, SETUP % {"members": 20, "hook": hooks.url})
        gunicorn = Gunicorn(environment, workers=3)
        gunicorn.start()
        load = Load(url=gunicorn.url, key=shop["key"], members=shop["members"])
        worker = None
        try:
            threads = load.run()
            time.sleep(2)

            broker_down_at = time.monotonic()
            redis.stop()
            time.sleep(3)
            broker_back_at = time.monotonic()
            redis.start()  # the same port: production's broker comes back where it was
            time.sleep(1)

            postgres.restart()
            time.sleep(1)
            killed = gunicorn.kill_a_worker()
            wait_until(
                lambda: killed not in gunicorn.worker_pids() and len(gunicorn.worker_pids()) == 3,
                seconds=30,
                what="a new gunicorn worker",
            )
            time.sleep(2)
            load.stop.set()
            for thread in threads:
                thread.join(60)

            # The broker is back: a worker takes what was queued, the sweeper the rest.
            worker = start_worker(environment)
            time.sleep(5)
            swept = django_run(environment, SWEEP)
        finally:
            load.stop.set()
            if worker is not None:
                worker.terminate()
                worker.wait(20)
            gunicorn.stop()
            hooks.close()

        counts = django_run(environment, COUNTS)
        ledger = manage(environment, "check_ledger")

    assert load.statuses[500] == 0, load.statuses
    assert set(load.statuses) <= {0, 200, 201, 503}, load.statuses
    assert load.statuses[201] >= 30  # the load did run
    # PostgreSQL's restart broke the pooled connections: those requests answered 503 (a
    # killed worker's requests are dropped connections, 0, not 503).
    assert load.statuses[503] >= 1, load.statuses
    during_outage = [
        (seconds, status)
        for started, seconds, status in load.answers
        if broker_down_at + 0.5 <= started < broker_back_at
    ]
    assert during_outage, "no request while the broker was down"
    assert {status for _seconds, status in during_outage} == {201}
    assert max(seconds for seconds, _status in during_outage) < 2.0, during_outage

    assert set(counts) == load.acknowledged  # nothing recorded that was not acknowledged
    assert set(counts.values()) == {1}  # each once
    assert ledger.returncode == 0, ledger.stderr
    assert swept["statuses"] == {"delivered": len(counts)}, swept
    assert len(hooks.events) == len(set(hooks.events)) == len(counts)


def start_worker(environment: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
