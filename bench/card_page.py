"""Server time, queries and weight of the member's card page (/c/<token>/) at a million members.

Builds a throwaway PostgreSQL database, `fideliza_bench_card`, seeds the demo merchant
(`seed_demo`'s merchant, team and program, then N demo members and M demo purchases with
their points, lots and ledger through apps.demo, as `seed_demo --members N --purchases M`
does, without placing the members in tiers), runs ANALYZE, then picks ~200 members with
varied histories: from the members with the longest ledgers (the demo's regulars, hundreds
of purchases) to members with none, and gives some of them coupons, an invitation link
and manual adjustments through the services. Each member's card page is requested
through Django's test client (no network), after one warm-up request on another member,
once per round (--rounds, 5): a member's time is the median of its rounds, the machine
being shared. The bench prints the median and 95th percentile over the members (and of
their first visits), the queries per page (which must not grow with the history), the
HTML's size and the static assets' size (raw and gzip), and the three slowest statements
of the slowest member with their EXPLAIN.

The link-page rate limit is lifted for the bench (it is one client asking 200 times);
the test settings keep the rate-limit counters in memory, not in Redis.
Usage:

    .venv/bin/python bench/card_page.py [--members 1000000] [--purchases 3000000]
        [--samples 200] [--rounds 5] [--keep | --reuse]

`--keep` keeps the database it builds; `--reuse` measures one kept before (tops it up
first if it has fewer members or purchases, then ANALYZE; implies --keep).
DATABASE_URL picks the server (default: the local PostgreSQL); its database name is
replaced by the bench's.
"""

import argparse
import gc
import gzip
import io
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench_card")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.plans import plan_line  # noqa: E402

DATABASE = "fideliza_bench_card"
# What the card page and an installed card load besides the HTML.
ASSETS = [
    "css/member.css",
    "portal/card.js",
    "portal/icon-192.png",
    "portal/icon-512.png",
]


def seed(members: int, purchases: int):
    from django.core.management import call_command

    from apps.core.models import Merchant
    from apps.demo import members as demo_members
    from apps.demo import sales as demo_sales

    call_command("seed_demo", stdout=io.StringIO())
    merchant = Merchant.objects.get(slug="demo")
    seeded = demo_members.seed_members(merchant=merchant, total=members, progress=print)
    print(f"members: {seeded.total:,} ({seeded.created:,} new) in {seeded.seconds:.1f} s")
    sales = demo_sales.seed_purchases(merchant=merchant, total=purchases, progress=print)
    print(
        f"purchases: {sales.total:,} ({sales.created:,} new, {sales.refunds:,} refunds, "
        f"{sales.members:,} members) in {sales.seconds:.1f} s"
    )
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("ANALYZE")
        print(f"ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)
    return merchant


def ledger_lengths(merchant, members=None) -> dict[int, int]:
    from django.db.models import Count

    from apps.programs.points.models import LedgerEntry

    entries = LedgerEntry.objects.for_merchant(merchant)
    if members is not None:
        entries = entries.filter(member__in=[member.pk for member in members])
    return dict(entries.values_list("member").annotate(entries=Count("id")).order_by())


def pick_members(merchant, samples: int, rng: random.Random):
    """A quarter each: the longest ledgers, long ones, short ones, none at all."""
    from apps.members.models import Member

    lengths = ledger_lengths(merchant)
    ranked = sorted(lengths, key=lengths.__getitem__, reverse=True)
    quarter = samples // 4
    longest = ranked[:quarter]
    long = rng.sample(ranked[quarter : max(len(ranked) // 10, quarter * 2)], quarter)
    short = rng.sample(ranked[len(ranked) // 2 :], quarter)
    ids = list(
        Member.objects.for_merchant(merchant)
        .active()
        .exclude(pk__in=lengths)
        .order_by("pk")
        .values_list("pk", flat=True)[: samples * 100]
    )
    ids = rng.sample(ids, min(samples - 3 * quarter, len(ids)))
    picked = longest + long + short + ids
    members = {m.pk: m for m in Member.objects.filter(pk__in=picked).select_related("merchant")}
    return [members[pk] for pk in picked]


def enrich(merchant, members, rng: random.Random) -> None:
    """Coupons, invitation links and manual adjustments, through the services (once: a
    reused database has them from its first run)."""
    from datetime import timedelta

    from django.utils import timezone

    from apps.accounts.models import User
    from apps.programs.coupons.models import Coupon
    from apps.programs.coupons.services import coupon_issue
    from apps.programs.points.services import points_adjust
    from apps.programs.referrals.services import referral_code_for

    if Coupon.objects.for_merchant(merchant).filter(source="manual").exists():
        return
    manager = User.objects.get(email="manager@demo.fideliza.test")
    now = timezone.now()
    with transaction.atomic():
        for number, member in enumerate(members):
            if number % 2 == 0:
                referral_code_for(member=member)
            if number % 3 == 0:
                for _ in range(rng.randint(1, 12)):
                    coupon_issue(
                        merchant=merchant,
                        member=member,
                        value=rng.choice([200, 500, 1000]),
                        source="manual",
                        min_spend=rng.choice([0, 1500]),
                        expires_at=now + timedelta(days=rng.randint(5, 120)),
                    )
            if number % 5 == 0:
                for _ in range(rng.randint(1, 30)):
                    points = rng.randint(5, 50)
                    points_adjust(member=member, points=points, reason="bench", actor=manager)


def asset_sizes() -> list[tuple[str, int, int]]:
    from django.contrib.staticfiles import finders

    sizes = []
    for asset in ASSETS:
        data = Path(finders.find(asset)).read_bytes()
        sizes.append((asset, len(data), len(gzip.compress(data, 6))))
    return sizes


def measure(members, lengths, rounds: int):
    """Each member's page `rounds` times, round after round; a member's time is the
    median of its rounds (the machine is shared: one request can wait on another
    process), its first visit's time is kept too."""
    from apps.portal.selectors import card_url

    client = Client()
    paths = [urlsplit(card_url(member=member)).path for member in members]
    client.get(paths[-1])  # warm up: connections, the shop's terms, templates
    rows = [
        {"member": member, "entries": lengths.get(member.pk, 0), "runs": []} for member in members
    ]
    for _round in range(rounds):
        for row, path in zip(rows, paths, strict=True):
            connection.queries_log.clear()  # it keeps 9,000: past that, nothing is counted
            with CaptureQueriesContext(connection) as queries:
                started, cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu) * 1000
            assert response.status_code == 200, (path, response.status_code)
            sql_ms = sum(float(query["time"]) for query in queries.captured_queries) * 1000
            row["runs"].append((elapsed, cpu, sql_ms))
            row["queries"] = len(queries)
            row["sql"] = queries.captured_queries
            html = response.content
            row["html"], row["html_gzip"] = len(html), len(gzip.compress(html, 6))
    for row in rows:
        row["first"] = row["runs"][0][0]
        for index, key in enumerate(["ms", "cpu", "sql_ms"]):
            row[key] = statistics.median(run[index] for run in row["runs"])
    return rows


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * share) - 1]


def report(rows) -> None:
    times = [row["ms"] for row in rows]
    rounds = len(rows[0]["runs"])
    print(
        f"\ncard page, {len(rows)} members, {rounds} rounds: median {statistics.median(times):.1f}"
        f" ms, p95 {nearest_rank(times, 0.95):.1f} ms, max {max(times):.1f} ms"
    )
    first = [row["first"] for row in rows]
    print(
        f"  first visit of each member: median {statistics.median(first):.1f} ms, "
        f"p95 {nearest_rank(first, 0.95):.1f} ms"
    )
    for what, key in [("CPU of this process", "cpu"), ("waiting on the queries", "sql_ms")]:
        values = [row[key] for row in rows]
        print(
            f"  of which {what}: median {statistics.median(values):.1f} ms, "
            f"p95 {nearest_rank(values, 0.95):.1f} ms"
        )
    print(f"{'ledger entries':<18}{'members':>8}{'median ms':>11}{'p95 ms':>8}{'queries':>9}")
    for low, high in [(0, 0), (1, 9), (10, 99), (100, 499), (500, 10**9)]:
        group = [row for row in rows if low <= row["entries"] <= high]
        if not group:
            continue
        ms = [row["ms"] for row in group]
        queries = sorted({row["queries"] for row in group})
        label = f"{low}" if low == high else f"{low}–{high}" if high < 10**9 else f"{low}+"
        print(
            f"{label:<18}{len(group):>8}{statistics.median(ms):>11.1f}"
            f"{nearest_rank(ms, 0.95):>8.1f}{'/'.join(map(str, queries)):>9}"
        )
    html = [row["html"] for row in rows]
    html_gzip = [row["html_gzip"] for row in rows]
    print(
        f"HTML: median {statistics.median(html) / 1024:.1f} KB raw, "
        f"{statistics.median(html_gzip) / 1024:.1f} KB gzip; "
        f"largest {max(html) / 1024:.1f} KB raw, {max(html_gzip) / 1024:.1f} KB gzip"
    )
    assets = asset_sizes()
    for name, raw, packed in assets:
        print(f"  {name:<22}{raw / 1024:>7.1f} KB raw{packed / 1024:>7.1f} KB gzip")
    raw_total = max(html) + sum(raw for _name, raw, _packed in assets)
    gzip_total = max(html_gzip) + sum(packed for _name, _raw, packed in assets)
    print(
        f"largest page and every asset: {raw_total / 1024:.1f} KB raw, "
        f"{gzip_total / 1024:.1f} KB gzip"
    )
    slowest = max(rows, key=lambda row: row["ms"])
    print(
        f"\nslowest member: {slowest['ms']:.1f} ms, {slowest['entries']} ledger entries; "
        "the three slowest statements of its last run:"
    )
    for query in sorted(slowest["sql"], key=lambda q: float(q["time"]), reverse=True)[:3]:
        sql = query["sql"]
        print(f"  {float(query['time']) * 1000:.1f} ms  {sql[:160]}")
        if sql.lstrip().upper().startswith("SELECT"):
            print(f"    EXPLAIN: {plan_line(sql)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--purchases", type=int, default=3_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database built")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This bench needs PostgreSQL (the demo seeders write with COPY).")

    setup_test_environment()
    settings.LINK_PAGE_RATE_LIMITS = {
        **settings.LINK_PAGE_RATE_LIMITS,
        "card": {"per_ip": 10**9, "per_token": 10**9, "window": 60},
    }
    connection.settings_dict["TEST"]["NAME"] = DATABASE
    keep = options.keep or options.reuse
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=options.reuse
    )
    try:
        started = time.perf_counter()
        merchant = seed(options.members, options.purchases)
        print(f"database ready in {time.perf_counter() - started:.1f} s", flush=True)
        rng = random.Random(options.seed)
        members = pick_members(merchant, options.samples, rng)
        enrich(merchant, members, rng)
        lengths = ledger_lengths(merchant, members)  # with the adjustments
        # Half a million ledger counts were made and dropped: collect them now, or a full
        # collection lands in some request (a 250 ms outlier in a first run).
        gc.collect()
        gc.freeze()
        report(measure(members, lengths, options.rounds))
    finally:
        if keep:
            print(f"\nKept: {DATABASE}")
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
