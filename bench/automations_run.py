"""`run_automations` at 1,000,000 members: with nothing due, and with about 10,000 due.

Uses the database of bench/segments.py (`fideliza_bench_segments`: one merchant with
1,000,000 members over three years, their rollups, birthdays for 60 %, emails and
consents; built in about 3 minutes, or reused with --reuse), and for its merchant:

  (a) switches on the birthday, win-back, points-expiring and first-purchase automations
      today, and runs once (today's birthdays and members turning at risk or lapsed
      today are due: they are written, processed, and their delivery rows queued);
  (b) runs again: nothing is due (issue 17: under 5 s);
  (c) moves the birthday automation's last day looked at back --days days (about 1,650
      birthdays a day here), and times the run that queues them (issue 17: 10,000 due
      queued under 30 s).

Messages are not sent: the bench's tasks go to an in-memory broker nobody reads, so what
is timed is the run up to the queued delivery rows and their tasks. The automations and
their rows are deleted at the end, so the database can be measured again. Usage:

    .venv/bin/python bench/automations_run.py [--reuse] [--days 6]

DATABASE_URL picks the server (default: the local PostgreSQL).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import segments  # noqa: E402 (the database, its name and its builder)

KINDS = ("birthday", "win_back", "points_expiring", "first_purchase")


def clean(merchant) -> None:
    from apps.campaigns.models import Automation
    from apps.messaging.models import Delivery

    Delivery.objects.filter(merchant=merchant, source__startswith="automation:").delete()
    Automation.objects.filter(merchant=merchant).delete()


def timed_run(merchant, label: str) -> None:
    from django.utils import timezone

    from apps.campaigns.automations.run import automations_run

    started = time.perf_counter()
    result = automations_run(merchant=merchant, now=timezone.now())
    seconds = time.perf_counter() - started
    outcomes = ", ".join(f"{name} {n:,}" for name, n in sorted(result.outcomes.items()))
    print(
        f"{label:<44}{seconds:>8.2f} s   {result.days_scanned} day(s) looked at; "
        f"{sum(result.outcomes.values()):,} processed ({outcomes or 'none'})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="reuse the segments bench's DB")
    parser.add_argument("--days", type=int, default=6, help="birthdays' days to catch up")
    options = parser.parse_args()
    segments.prepare(1_000_000, 20_000, reuse=options.reuse)

    from django.conf import settings
    from django.utils import timezone

    from apps.campaigns.automations.editing import automation_enable
    from apps.campaigns.models import Automation
    from apps.core.models import Merchant
    from config import celery_app

    # The sends' tasks go nowhere: what is timed ends with the rows queued.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.update(broker_url="memory://", task_always_eager=False)
    merchant = Merchant.objects.get(slug="bench")
    clean(merchant)
    try:
        now = timezone.now()
        for kind in KINDS:
            automation_enable(merchant=merchant, kind=kind, actor=None, now=now)
        print(f"\n{'run':<44}{'time':>10}")
        timed_run(merchant, "(a) switched on, today's moments due")
        timed_run(merchant, "(b) again: nothing due")
        timed_run(merchant, "    and again")
        birthday = Automation.objects.get(merchant=merchant, kind="birthday")
        birthday.scanned_through -= timedelta(days=options.days)
        birthday.save(update_fields=["scanned_through"])
        timed_run(merchant, f"(c) {options.days} days of birthdays due")
        timed_run(merchant, "(d) again: nothing due")
    finally:
        clean(merchant)
        from django.db import connections

        connections.close_all()


if __name__ == "__main__":
    main()
