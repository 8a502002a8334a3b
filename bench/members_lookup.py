"""Server time of the counter's member lookup at a million members.

Builds a throwaway database (PostgreSQL by default), seeds the demo merchant with N demo
members (apps.members.demo, as `seed_demo --members N` does), runs ANALYZE, then calls
apps.members.selectors.member_lookup for ~200 different existing members per kind of
search term and prints the median and 95th percentile, and one EXPLAIN (ANALYZE) per
kind to show which index answers it. Usage:

    .venv/bin/python bench/members_lookup.py [--members 1000000] [--samples 200]

DATABASE_URL picks the server (default: the local PostgreSQL, its own database name).
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench_lookup")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.plans import plan_line  # noqa: E402

# What a cashier types, made from one existing member; None where it does not apply.
TERMS = {
    "phone '+34 6xx xx xx xx'": lambda m: m.phone_display if m.phone else None,
    "phone '6xx-xxx-xxx'": lambda m: _dashed(m.phone[3:]) if m.phone else None,
    "phone '0034 6xxxxxxxx'": lambda m: f"0034 {m.phone[3:]}" if m.phone else None,
    "phone prefix '6xxxx'": lambda m: m.phone[3:8] if m.phone else None,
    "email": lambda m: m.email,
    "email prefix 'local@'": lambda m: m.email[: m.email.index("@") + 1] if m.email else None,
    "first name": lambda m: m.first_name,
    "last name (1st surname)": lambda m: m.last_name.split()[0],
    "'first last'": lambda m: f"{m.first_name} {m.last_name.split()[0]}",
    "card code 'abcd-efgh'": lambda m: m.card_code_display.lower(),
}


def _dashed(national: str) -> str:
    return f"{national[:3]}-{national[3:6]}-{national[6:]}"


def seed(total: int):
    from django.core.management import call_command

    from apps.core.models import Merchant
    from apps.demo import members as demo

    call_command("seed_demo", stdout=io.StringIO())
    merchant = Merchant.objects.get(slug="demo")
    result = demo.seed_members(merchant=merchant, total=total, progress=print)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("ANALYZE")
        analyzed = time.perf_counter() - started
    return merchant, result, analyzed


def sample_members(merchant, count: int, rng: random.Random):
    from apps.members.models import Member

    ids = list(Member.objects.for_merchant(merchant).values_list("pk", flat=True))
    return list(Member.objects.filter(pk__in=rng.sample(ids, min(count, len(ids)))))


def measure(merchant, terms: list[str]):
    from apps.members.selectors import member_lookup

    member_lookup(merchant=merchant, term=terms[0])  # warm up
    timings, found, sql = [], [], []
    for term in terms:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = member_lookup(merchant=merchant, term=term)
            timings.append((time.perf_counter() - started) * 1000)
        assert result, term  # every term is made from an existing member
        found.append(len(result))
        sql.append([query["sql"] for query in queries.captured_queries])
    return timings, found, sql


LIST_PAGES = [
    "/members/",
    "/members/?page=100",
    "/members/?sort=search_name",
    "/members/?sort=-last_activity_at",
    "/members/?channel=online",
    "/members/?consent=email&sort=search_name",
    "/members/?inactive_days=365",
    "/members/?q=jose",
    "/members/?q=jose&sort=search_name",
    "/members/?q=garcia&sort=-last_activity_at",
    "/members/?q=zzzz",
    "/members/?q=600",
]


def measure_member_list(repeat: int = 20) -> None:
    """The manager's member list page, server time through Django's handler."""
    from django.test import Client

    from apps.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email="manager@demo.fideliza.test"))
    print(f"\n{'member list page':<44}{'median ms':>10}{'p95 ms':>9}{'rows':>6}")
    for path in LIST_PAGES:
        client.get(path)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
        timings.sort()
        rows = len(response.context["page"].object_list)
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"{path:<44}{statistics.median(timings):>10.1f}{p95:>9.1f}{rows:>6}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        merchant, seeded, analyzed = seed(options.members)
        print(
            f"{connection.vendor}: {seeded.total:,} members seeded in {seeded.seconds:.1f} s "
            f"({seeded.method}), ANALYZE {analyzed:.1f} s"
        )
        rng = random.Random(options.seed)
        members = sample_members(merchant, options.samples * 3, rng)
        plans = {}
        print(
            f"{'lookup':<28}{'terms':>6}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
            f"{'found':>7}{'queries':>9}"
        )
        for kind, make in TERMS.items():
            terms = [term for member in members if (term := make(member))]
            terms = list(dict.fromkeys(terms))[: options.samples]
            timings, found, sql = measure(merchant, terms)
            ordered = sorted(range(len(timings)), key=timings.__getitem__)
            p95_index = ordered[int(len(ordered) * 0.95) - 1]
            median = statistics.median(timings)
            p95 = timings[p95_index]
            print(
                f"{kind:<28}{len(terms):>6}{median:>11.2f}{p95:>9.2f}{max(timings):>9.2f}"
                f"{statistics.mean(found):>7.1f}{max(len(q) for q in sql):>9}"
            )
            plans[kind] = (terms[p95_index], sql[p95_index][-1])
        print("\nEXPLAIN (ANALYZE) of the p95 term of each kind:")
        for kind, (term, sql) in plans.items():
            print(f"  {kind} {term!r}: {plan_line(sql)}")
        measure_member_list()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
