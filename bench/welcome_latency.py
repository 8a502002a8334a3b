"""From the counter's "Enroll" to the welcome in the member's inbox, through the real parts.

Builds a throwaway PostgreSQL database with the demo café, starts a real SMTP server
(aiosmtpd, tests/smtp.py) and a real Celery worker process on the Redis broker
(tests/worker_process.py, solo pool: one task at a time), then enrolls N customers with an
email through the counter's form (Django's test client, signed in as counter staff) one
after another, and times each one from the POST until its welcome has been accepted by
the SMTP server. Prints the counter's own answer time and the time to the inbox (median,
p95, max). Usage:

    .venv/bin/python bench/welcome_latency.py [--members 50]

DATABASE_URL picks the server (default: the local PostgreSQL, its own database name);
REDIS_URL the broker (default: Redis database 10).
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench_welcome")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from tests.celery_worker import publishing_to  # noqa: E402
from tests.smtp import smtp_server  # noqa: E402
from tests.worker_process import worker_process  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def counter_client():
    from django.core.management import call_command

    from apps.core.models import Membership, Merchant, Role

    call_command("seed_demo", "--members", "0", "--purchases", "0", stdout=io.StringIO())
    merchant = Merchant.objects.get(slug="demo")
    staff = Membership.objects.filter(merchant=merchant, role=Role.STAFF).first().user
    client = Client()
    client.force_login(staff)
    return client


def enroll_and_wait(client, inbox, number: int) -> tuple[float, float]:
    address = f"bench{number}@example.com"
    started = time.perf_counter()
    response = client.post(
        reverse("members:enroll"), {"first_name": f"Bench {number}", "email": address}
    )
    answered = time.perf_counter()
    assert response.status_code == 302, response.status_code
    while not inbox.to(address):
        if time.perf_counter() - started > 60:
            raise SystemExit(f"no welcome for {address} after 60 s")
        time.sleep(0.005)
    return (answered - started) * 1000, (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    options = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        client = counter_client()
        with (
            smtp_server() as inbox,
            publishing_to("bench-welcome") as queue,
            worker_process(queue=queue, email_url=inbox.url) as _worker,
        ):
            enroll_and_wait(client, inbox, 0)  # warm up: the worker's first task
            answers, inboxes = [], []
            for number in range(1, options.members + 1):
                answer, arrived = enroll_and_wait(client, inbox, number)
                answers.append(answer)
                inboxes.append(arrived)
        print(f"{options.members} enrollments at the counter, one after another")
        print(f"{'':<28}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
        for label, values in (("counter answers", answers), ("welcome in the inbox", inboxes)):
            print(
                f"{label:<28}{statistics.median(values):>11.1f}"
                f"{percentile(values, 0.95):>9.1f}{max(values):>9.1f}"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
