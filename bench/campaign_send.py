"""A campaign to 100,000 members: freezing its audience, then sending it into an SMTP sink.

Builds a throwaway PostgreSQL database with the demo café and N members (`seed_demo
--members N`, COPY), gives every member with an email marketing consent, saves a segment
of everyone, and then, for two campaigns (a plain promotional email, and one that gives
each member a coupon):

  (a) times `campaign_freeze`: the segment read, the holdout drawn (10 %), the frequency
      cap looked up, one delivery row per member written in bulk;
  (b) sends for --seconds through `campaign_send_batch`, one batch after another in this
      process, as one worker does (no broker: the batches' hand-offs are not what is
      measured), into aiosmtpd's Sink handler run as a process of its own (it accepts
      and discards), and prints the emails per second, with the time each send takes
      (the median of the batches), the CPU time this process spent per send (on a
      shared machine the one figure that does not depend on the others' load: the
      waits for PostgreSQL and the sink do) and the SQL statements per send;
  (c) then a third campaign (plain) is sent by a real `celery worker` (prefork pool of
      --processes, default 2: Celery's default on this 2-core machine) through the Redis
      broker, its batches in as many chains at once (`CAMPAIGN_SEND_CHAINS`), and prints
      the emails per second over --seconds, with the worker's CPU per send (all its
      processes).

The caps and the send rate are lifted for the bench (the rate's pauses between batches
are not work). Usage:

    .venv/bin/python bench/campaign_send.py [--members 100000] [--seconds 20]
        [--processes 2]

DATABASE_URL picks the server (default: the local PostgreSQL, its own database name);
REDIS_URL the broker (default: the local Redis, database 9; the bench's queue is its own).
"""

import argparse
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench_campaign_send"
)

import django  # noqa: E402
import kombu.pools  # noqa: E402
import redis  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sink(port: int) -> subprocess.Popen:
    """aiosmtpd's own server with its Sink handler, in a process of its own: the SMTP
    side's work does not share this process's interpreter."""
    process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c",
         "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the SMTP sink did not start")


def seed(members: int):
    from django.core.management import call_command

    from apps.campaigns.models import CampaignSettings
    from apps.campaigns.services import segment_create
    from apps.core.models import Merchant
    from apps.members.models import Member

    started = time.monotonic()
    call_command("seed_demo", "--members", str(members), stdout=io.StringIO())
    merchant = Merchant.objects.get(slug="demo")
    Member.objects.for_merchant(merchant).filter(email__isnull=False).update(consent_email=True)
    CampaignSettings.objects.create(
        merchant=merchant, cap_per_week=100, cap_per_day=100, send_rate_per_minute=10**6
    )
    segment = segment_create(merchant=merchant, actor=None, name="Everyone", rules={"all": []})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {members:,} members in {time.monotonic() - started:.1f} s")
    return merchant, segment


def new_campaign(merchant, segment, name: str, offer: dict | None):
    from apps.campaigns.models import Campaign, CampaignStatus
    from apps.campaigns.services.editing import CampaignFields, campaign_create

    campaign = campaign_create(
        merchant=merchant,
        actor=None,
        fields=CampaignFields(
            name=name,
            segment=segment,
            channel="email",
            kind="promotional",
            subject={"es": "Hola {{ first_name }}", "en": "Hi {{ first_name }}"},
            body={
                "es": "<p>Hola {{ first_name }}, tienes {{ points_balance }} puntos. "
                "{{ coupon_code }}</p><p><a href='https://example.com/menu'>Carta</a></p>",
            },
            offer=offer,
            holdout_percent=10,
        ),
    )
    # Started by hand: `campaign_send` would freeze and send inline (tasks run eagerly).
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENDING, started_at=timezone.now()
    )
    return campaign


def freeze(campaign) -> float:
    from apps.campaigns.services.sending import campaign_freeze

    started = time.monotonic()
    reached = campaign_freeze(campaign_id=campaign.pk)
    seconds = time.monotonic() - started
    print(f"  frozen: {reached:,} members reached in {seconds:.1f} s")
    return seconds


def send(campaign, seconds: float) -> None:
    from django.urls import reverse

    from apps.campaigns.services.sending import campaign_send_batch

    reverse("home:home")  # the URLs imported once, as in a worker that has sent before

    statements = 0

    def counted(execute, sql, params, many, context):
        # Counted, not logged: DEBUG's query log would slow every statement down.
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    sends, times = 0, []
    started, cpu = time.monotonic(), time.process_time()
    with connection.execute_wrapper(counted):
        while time.monotonic() - started < seconds:
            batch_started = time.monotonic()
            result = campaign_send_batch(campaign_id=campaign.pk)
            elapsed = time.monotonic() - batch_started
            if result.sent <= 0:
                break
            sends += result.sent
            times.append(elapsed / result.sent * 1000)
    total, cpu = time.monotonic() - started, time.process_time() - cpu
    print(
        f"  sent {sends:,} in {total:.1f} s: {sends / total:.0f} emails/s; per send "
        f"{statistics.median(times):.1f} ms median (of the batches), of which "
        f"{cpu / max(sends, 1) * 1000:.1f} ms of this process's CPU; "
        f"{statements / max(sends, 1):.1f} SQL statements"
    )


def worker_cpu_seconds(group: int) -> float:
    """The CPU time (user and system) of every process of a process group, from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group:  # the fields after the name: state, ppid, pgrp, ...
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def by_worker(merchant, segment, *, port: int, processes: int, seconds: float) -> None:
    """A real worker sends the campaign: the freeze here enqueues its chains of batches."""
    from apps.messaging.models import Delivery, State
    from config import celery_app

    queue = f"fideliza-bench-{uuid.uuid4().hex}"
    broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test_worker",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "CAMPAIGN_SEND_CHAINS": str(processes),
        "CELERY_SKIP_CHECKS": "1",
    }
    worker = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
         f"--concurrency={processes}", "--queues", queue, "--hostname", f"{queue}@%h",
         "--loglevel=WARNING", "--without-mingle", "--without-gossip"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    celery_app.conf.update(
        broker_url=broker,
        task_always_eager=False,
        task_default_queue=queue,
        task_default_exchange=queue,
        task_default_routing_key=queue,
    )
    celery_app.__dict__.pop("amqp", None)  # queues declared from the old configuration
    kombu.pools.reset()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CAMPAIGN_SEND_CHAINS = processes
    try:
        print(f"campaign plain, by a celery worker of {processes} processes:")
        campaign = new_campaign(merchant, segment, "by a worker", None)
        freeze(campaign)  # enqueues the chains at its commit
        sent = Delivery.objects.filter(source=campaign.source, state=State.SENT)
        deadline = time.monotonic() + 60
        while not sent.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        before, cpu, started = sent.count(), worker_cpu_seconds(worker.pid), time.monotonic()
        time.sleep(seconds)
        sends = sent.count() - before
        cpu, total = worker_cpu_seconds(worker.pid) - cpu, time.monotonic() - started
        print(
            f"  sent {sends:,} in {total:.1f} s: {sends / total:.0f} emails/s; "
            f"{cpu / max(sends, 1) * 1000:.1f} ms of the worker's CPU per send"
        )
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        client = redis.Redis.from_url(broker)
        leftovers = list(client.scan_iter(match=f"*{queue}*"))
        if leftovers:
            client.delete(*leftovers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--processes", type=int, default=2)
    options = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    port = free_port()
    server = sink(port)
    try:
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        }
        merchant, segment = seed(options.members)
        for name, offer in (
            ("plain", None),
            ("with a coupon each", {"type": "coupon", "amount": 300, "valid_days": 14}),
        ):
            print(f"campaign {name}:")
            campaign = new_campaign(merchant, segment, name, offer)
            freeze(campaign)
            send(campaign, options.seconds)
        by_worker(
            merchant, segment, port=port, processes=options.processes, seconds=options.seconds
        )
    finally:
        server.kill()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
