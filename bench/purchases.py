"""Purchases recorded per second through the service layer, and the SQL floor.

Builds a throwaway PostgreSQL database (fideliza_bench_purchases), the demo merchant with
N demo members (apps.members.demo), then records purchases over random members through
apps.programs.services.purchase_record:

  (a) one connection, one purchase after the other;
  (b) four processes, each with its own connection, at once;
  (c) the floor: the same writes as plain SQL through pgbench (one connection, then four),
      from a script file written next to the database's data (bench/purchases.pgbench).

With --seed-purchases N it first times `apps.programs.demo.seed_purchases` (what
`seed_demo --purchases N` runs) and `check_ledger` on the same database. The database is
dropped at the end. Usage:

    .venv/bin/python bench/purchases.py [--members 10000] [--sequential 5000]
        [--parallel 4x2500] [--pgbench-seconds 10] [--seed-purchases 1000000]
"""

import argparse
import io
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench_purchases")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

# The service's writes, as plain SQL: lock the account, insert the purchase, its lot and
# ledger entry, move the balance, the member's last activity, the timeline event.
PGBENCH_SCRIPT = """\
\\set member random(:first_member, :last_member)
\\set amount random(80, 4000)
\\set points (:amount * 10) / 100
BEGIN;
SELECT id FROM programs_pointsaccount WHERE member_id = :member FOR UPDATE;
INSERT INTO programs_purchase (merchant_id, member_id, external_id, amount, currency, items,
    location_id, actor_id, points_earned, refunded_amount, points_reversed, occurred_at,
    created_at)
    VALUES (:merchant, :member, 'pgb-' || gen_random_uuid(), :amount, 'EUR', '[]', NULL, NULL,
    :points, 0, 0, now(), now()) RETURNING id AS purchase_id \\gset
INSERT INTO programs_lot (merchant_id, member_id, points, remaining, earned_at, expires_at)
    VALUES (:merchant, :member, :points, :points, now(), NULL) RETURNING id AS lot_id \\gset
UPDATE programs_pointsaccount SET balance = balance + :points WHERE member_id = :member
    RETURNING balance \\gset
INSERT INTO programs_ledgerentry (merchant_id, member_id, kind, points, balance_after,
    purchase_id, refund_id, lot_id, reason, reason_text, actor_id, created_at)
    VALUES (:merchant, :member, 'earn', :points, :balance, :purchase_id, NULL, :lot_id, '',
    '{}', NULL, now());
UPDATE members_member SET last_activity_at = now()
    WHERE id = :member AND last_activity_at < now();
INSERT INTO members_memberevent (merchant_id, member_id, kind, summary, data, actor_id, source,
    occurred_at)
    VALUES (:merchant, :member, 'purchase', 'Purchase pgb: earned ' || :points || ' points',
    '{}', NULL, '', now());
END;
"""


def build(members: int):
    from django.core.management import call_command

    from apps.core.models import Merchant
    from apps.demo import members as demo

    call_command("seed_demo", stdout=io.StringIO())
    merchant = Merchant.objects.get(slug="demo")
    demo.seed_members(merchant=merchant, total=members)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return merchant


def record(worker: int, count: int, seed: int) -> tuple[int, float]:
    """`count` purchases over random members through the service; returns (count, s)."""
    from apps.core.models import Location, Merchant
    from apps.members.models import Member
    from apps.programs.services import purchase_record

    connections.close_all()  # a process of its own: its own connection
    merchant = Merchant.objects.get(slug="demo")
    members = list(Member.objects.for_merchant(merchant))
    locations = list(Location.objects.for_merchant(merchant))
    rng = random.Random(f"{seed}:{worker}")
    started = time.perf_counter()
    for n in range(count):
        purchase_record(
            merchant=merchant,
            member=rng.choice(members),
            external_id=f"bench-{seed}-{worker}-{n}",
            amount=rng.randrange(80, 4000),
            location=rng.choice(locations),
        )
    seconds = time.perf_counter() - started
    connections.close_all()
    return count, seconds


def queries_per_purchase(merchant) -> str:
    from django.test.utils import CaptureQueriesContext

    from apps.members.models import Member
    from apps.programs.services import purchase_record

    member = Member.objects.for_merchant(merchant).order_by("?").first()
    with CaptureQueriesContext(connection) as queries:
        purchase_record(merchant=merchant, member=member, external_id="count-1", amount=1250)
    verbs = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    return f"{len(verbs)} ({', '.join(f'{verbs.count(v)} {v}' for v in dict.fromkeys(verbs))})"


def run_parallel(processes: int, each: int, seed: int) -> tuple[int, float]:
    connections.close_all()
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        results = pool.starmap(record, [(worker, each, seed) for worker in range(processes)])
    return sum(count for count, _ in results), time.perf_counter() - started


def run_pgbench(clients: int, seconds: int, merchant) -> tuple[int, float] | None:
    from apps.members.models import Member

    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return None
    ids = Member.objects.for_merchant(merchant).values_list("pk", flat=True)
    first, last = min(ids), max(ids)
    with connection.cursor() as cursor:  # the service creates accounts on first use
        cursor.execute(
            "INSERT INTO programs_pointsaccount (merchant_id, member_id, balance, shortfall)"
            " SELECT merchant_id, id, 0, 0 FROM members_member ON CONFLICT DO NOTHING"
        )
    settings = connection.settings_dict
    with tempfile.NamedTemporaryFile("w", suffix=".pgbench", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
    command = [
        pgbench,
        "-n",
        f"-c{clients}",
        f"-j{clients}",
        f"-T{seconds}",
        f"-Dfirst_member={first}",
        f"-Dlast_member={last}",
        f"-Dmerchant={merchant.pk}",
        f"-f{script.name}",
        f"-h{settings['HOST'] or '127.0.0.1'}",
        f"-p{settings['PORT'] or 5432}",
        f"-U{settings['USER']}",
        settings["NAME"],
    ]
    try:
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    finally:
        Path(script.name).unlink()
    transactions = int(re.search(r"processed: (\d+)", output.stdout).group(1))
    tps = float(re.search(r"tps = ([\d.]+)", output.stdout).group(1))
    return transactions, transactions / tps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--sequential", type=int, default=5000)
    parser.add_argument("--parallel", default="4x2500", help="processes x purchases each")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--seed-purchases", type=int, default=0, metavar="N")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    processes, each = (int(part) for part in options.parallel.split("x"))

    if connection.vendor != "postgresql":
        sys.exit("This bench needs PostgreSQL (pgbench, parallel connections).")
    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        merchant = build(options.members)
        print(
            f"{connection.settings_dict['NAME']}: demo merchant with {options.members:,} "
            f"members (built in {time.perf_counter() - started:.1f} s)"
        )
        if options.seed_purchases:  # first: a top-up goes after each member's last purchase
            seed_and_check(merchant, options.seed_purchases)
        rows = []
        record(0, 50, options.seed + 1)  # warm up
        print(f"queries per purchase_record: {queries_per_purchase(merchant)}")
        count, seconds = record(0, options.sequential, options.seed)
        rows.append(("purchase_record, 1 connection", count, seconds))
        count, seconds = run_parallel(processes, each, options.seed + 2)
        rows.append((f"purchase_record, {processes} processes", count, seconds))
        for clients in (1, processes):
            result = run_pgbench(clients, options.pgbench_seconds, merchant)
            if result is None:
                print("pgbench not found: no SQL floor")
                break
            rows.append((f"pgbench SQL floor, -c {clients}", *result))

        print(f"\n{'how':<36}{'purchases':>10}{'seconds':>9}{'per s':>8}{'ms each':>9}")
        for how, count, seconds in rows:
            clients = processes if f"{processes} " in how or f"-c {processes}" in how else 1
            print(
                f"{how:<36}{count:>10,}{seconds:>9.1f}{count / seconds:>8.0f}"
                f"{seconds * 1000 * clients / count:>9.2f}"
            )
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)


def seed_and_check(merchant, total: int) -> None:
    from django.core.management import call_command

    from apps.demo import sales as demo
    from apps.programs.models import Purchase

    existing = Purchase.objects.for_merchant(merchant).count()
    print(f"\nseed_purchases to {existing + total:,} ({existing:,} there already):")
    result = demo.seed_purchases(merchant=merchant, total=existing + total, progress=print)
    print(
        f"{result.created:,} purchases, {result.refunds:,} refunds for {result.members:,} "
        f"members in {result.seconds:.1f} s ({result.method}): "
        f"{result.created / result.seconds:,.0f} purchases/s"
    )
    started = time.perf_counter()
    call_command("check_ledger", stdout=io.StringIO())
    print(f"check_ledger passed in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        print(f"database size: {cursor.fetchone()[0]}")


if __name__ == "__main__":
    main()
