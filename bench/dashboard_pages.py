"""Server time and query count of the dashboard shell's pages.

Builds a throwaway database (PostgreSQL by default), a merchant with a large activity
log and team, then requests each page many times through Django's handler (no network)
and prints the median and 95th percentile. Usage:

    .venv/bin/python bench/dashboard_pages.py [--audit-rows 200000] [--repeat 50]

DATABASE_URL picks the server (default: the local PostgreSQL used by the tests).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def build(audit_rows: int, team_size: int, locations: int):
    from apps.accounts.models import User
    from apps.core import services
    from apps.core.models import AuditLog, Membership, Role

    owner = User.objects.create_user(email="owner@bench.test", password="x")
    merchant = services.merchant_create(
        name="Bench",
        owner=owner,
        currency="EUR",
        country="ES",
        timezone_name="Europe/Madrid",
        language="es",
    )
    for n in range(locations):
        services.location_create(merchant=merchant, actor=owner, name=f"Shop {n}")
    users = User.objects.bulk_create(User(email=f"member{n}@bench.test") for n in range(team_size))
    Membership.objects.bulk_create(
        Membership(merchant=merchant, user=user, role=Role.STAFF) for user in users
    )
    batch = 10_000
    for start in range(0, audit_rows, batch):
        AuditLog.objects.bulk_create(
            AuditLog(merchant=merchant, actor=owner, action="bench.row", summary=f"Row {n}")
            for n in range(start, min(start + batch, audit_rows))
        )
    return owner


def measure(client: Client, path: str, repeat: int) -> tuple[float, float, int]:
    client.get(path)  # warm caches and connections
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit-rows", type=int, default=200_000)
    parser.add_argument("--team-size", type=int, default=50)
    parser.add_argument("--locations", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=50)
    options = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        owner = build(options.audit_rows, options.team_size, options.locations)
        built = time.perf_counter() - started
        client = Client()
        client.force_login(owner)
        print(
            f"{connection.vendor}: {options.audit_rows:,} activity rows, "
            f"{options.team_size} team members, {options.locations} locations "
            f"(built in {built:.1f} s)"
        )
        print(f"{'page':<28}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
        for path in [
            "/",
            "/team/",
            "/locations/",
            "/activity/",
            "/activity/?page=last",
            "/business/settings/",
        ]:
            median, p95, queries = measure(client, path, options.repeat)
            print(f"{path:<28}{median:>10.1f}{p95:>10.1f}{queries:>9}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
