"""Where a storefront request spends its time: `POST purchases/` or `GET members/?phone=`.

Builds the same throwaway database as bench/api_load.py (demo merchant with every feature
on, N members, an API key, a webhook endpoint), then sends requests through Django's test
client under the production settings (no HTTP server), and prints the statements one
request sends, the time per request, and cProfile's top functions.

    .venv/bin/python bench/api_profile.py [--endpoint purchases|lookup] [--members 2000]
                                          [--requests 300] [--top 30]
                                          [--callees FUNCTION_NAME] [--history N]

With `--history N`, the requests go to 20 members with N past purchases each (in the
tier window): their time against `--history 10` shows whether it grows with a history.
"""

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.server_env import BROKER_DB, CACHE_DB, REDIS, server_environment  # noqa: E402

os.environ.update(
    server_environment(
        database_url="postgres://postgres@127.0.0.1:5432/fideliza_bench_profile", host="testserver"
    )
)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.api_load import build  # noqa: E402


def purchase(client: Client, key: str, rows: list, number: int):
    response = client.post(
        "/api/v1/purchases/",
        data=json.dumps(
            {
                "member": random.choice(rows)[1],
                "external_id": f"p-{number}",
                "amount": random.randint(80, 4000),
                "currency": "EUR",
            }
        ),
        content_type="application/json",
        headers={"authorization": f"Bearer {key}", "idempotency-key": f"k-{number}"},
    )
    assert response.status_code == 201, response.content


def lookup(client: Client, key: str, rows: list, number: int):
    phone = random.choice([row[2] for row in rows if row[2]])
    response = client.get(
        "/api/v1/members/", {"phone": phone}, headers={"authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.content


ENDPOINTS = {"purchases": purchase, "lookup": lookup}
HISTORY_MEMBERS = 20


def give_history(merchant, rows: list, purchases: int) -> list:
    """`purchases` past purchases for each of the first members, spread over the tier
    window's twelve months (day totals made as the demo makes them); the requests then go
    to those members only, to show whether their cost grows with the history."""
    from apps.programs.points.day_totals import day_totals_rebuild

    chosen = rows[:HISTORY_MEMBERS]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO programs_purchase (merchant_id, member_id, external_id, amount,"
            " discount, currency, items, points_earned, refunded_amount, points_reversed,"
            " occurred_at, created_at)"
            " SELECT %s, m, 'h-' || m || '-' || n, 1000, 0, 'EUR', '[]', 100, 0, 0,"
            " now() - n * interval '360 days' / %s, now()"
            " FROM unnest(%s::bigint[]) AS m, generate_series(1, %s) AS n",
            [merchant.pk, purchases, [row[0] for row in chosen], purchases],
        )
        cursor.execute("ANALYZE")
    day_totals_rebuild(member_ids=[row[0] for row in chosen])
    return chosen


class DatabaseTime:
    """An `execute_wrapper` adding up the time statements take, round trip included."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--endpoint", choices=sorted(ENDPOINTS), default="purchases")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--callees", help="also print what functions matching this call")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help=f"give {HISTORY_MEMBERS} members this many past purchases each and ask for them",
    )
    options = parser.parse_args()

    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        merchant, key, rows = build(options.members)
        if options.history:
            rows = give_history(merchant, rows, options.history)
            print(f"{len(rows)} members with {options.history:,} past purchases each")
        call = ENDPOINTS[options.endpoint]
        client = Client()
        for number in range(20):  # warm caches and the connection
            call(client, key, rows, number)
        with CaptureQueriesContext(connection) as queries:
            call(client, key, rows, 100)
        print(f"One request sends {len(queries)} statements:")
        for query in queries.captured_queries:
            print("  ", query["sql"][:150])
        database = DatabaseTime()
        started = time.perf_counter()
        with connection.execute_wrapper(database):
            for number in range(500, 500 + options.requests):
                call(client, key, rows, number)
        elapsed = time.perf_counter() - started
        print(
            f"\n{options.requests} requests in {elapsed:.2f} s: "
            f"{elapsed / options.requests * 1000:.1f} ms each, "
            f"{database.seconds / options.requests * 1000:.1f} ms of it waiting on PostgreSQL"
        )
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for number in range(1000, 1000 + options.requests):
            call(client, key, rows, number)
        profile.disable()
        elapsed = time.perf_counter() - started
        print(
            f"\n{options.requests} requests in {elapsed:.2f} s (profiled): "
            f"{elapsed / options.requests * 1000:.1f} ms each"
        )
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(options.top)
        stats.sort_stats("cumulative").print_stats(options.top * 2)
        if options.callees:
            stats.print_callees(options.callees)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        import redis

        for db in (BROKER_DB, CACHE_DB):
            redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


if __name__ == "__main__":
    main()
