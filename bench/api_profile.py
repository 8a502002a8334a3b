"""Where a storefront request spends its time: `POST purchases/` or `GET members/?phone=`.

Builds the same throwaway database as bench/api_load.py (demo merchant with every feature
on, N members, an API key, a webhook endpoint), then sends requests through Django's test
client under the production settings (no HTTP server), and prints the statements one
request sends, the time per request, and cProfile's top functions.

    .venv/bin/python bench/api_profile.py [--endpoint purchases|lookup] [--members 2000]
                                          [--requests 300] [--top 30]
                                          [--callees FUNCTION_NAME]
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
    options = parser.parse_args()

    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        _merchant, key, rows = build(options.members)
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
