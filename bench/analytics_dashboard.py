"""Server time of the analytics KPIs and dashboard cards, at two sizes of history.

Builds two throwaway PostgreSQL databases with the demo merchant (`seed_demo --members N
--purchases N`, then `rebuild_analytics demo`, then `VACUUM ANALYZE`), printing how long
the seeding and the rebuild took:

  large  fideliza_bench_analytics_large: 100,000 members, 5,000,000 purchases
  small  fideliza_bench_analytics_small: 10 times fewer (10,000 and 500,000)

then, on each, times (median and 95th percentile over --repeat runs after one warm-up,
and the number of queries of one run):

  (a) every `kpi_*` function of apps/analytics/kpis.py, called directly, for the last 30
      and the last 365 days of the merchant, without and with a location (for those that
      take one);
  (b) the dashboard through Django's test client (no network), signed in as the demo
      owner: GET /analytics/ (the shell) and each card as the shell asks for it (htmx),
      /analytics/cards/<name>/?preset=custom&start=…&end=…[&location=…]&compare=on, for
      the same periods and locations; with the comparison on, as the dashboard opens, a
      card computes its KPI for the period and for the one before. A URL that answers
      404 (a view not written yet) is skipped with a note. The shell's refresh request is
      queued, as in production (the bench's Celery does not run it inline); the cost of
      a refresh that finds nothing new, what the minute's run costs, is timed apart;
  (c) `analytics_refresh()` with nothing new to read.

and prints both sizes side by side: the cost should stay flat as the history grows
(target: every card under 200 ms at the large size).

The large database took 35 minutes to build on 2 cores (25 of them `seed_demo` placing
the members in their tiers) and takes about 4.5 GB of disk. Each database remembers what
it was built with (sizes, seeding and rebuild times, in a comment on the database):
`--reuse` measures a database already built at the same sizes instead of building it
again, and keeps it; `--keep` keeps the ones it builds. Without either, the databases
are dropped at the end. On a reused database the migrations are applied first (a new
index), and `--rebuild` runs `rebuild_analytics` again (rollups computed differently)
and then compacts the analytics tables, as a first build leaves them.
Usage:

    .venv/bin/python bench/analytics_dashboard.py [--reuse | --keep] [--rebuild]
        [--sizes small,large] [--repeat 20] [--members 100000] [--purchases 5000000]

DATABASE_URL picks the server (default: the local PostgreSQL used by the tests); its
database name is replaced by the bench's.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fideliza_bench")

DATABASES = {
    "small": "fideliza_bench_analytics_small",
    "large": "fideliza_bench_analytics_large",
}
OWNER_EMAIL = "owner@demo.fideliza.test"
CARDS = (
    "retention",
    "repeat",
    "frequency",
    "aov",
    "revenue",
    "clv",
    "statuses",
    "cohorts",
    "points",
    "tiers",
    "cashback",
    "referrals",
    "acquisition",
    "enrollments",
)
PERIODS = (30, 365)  # the last N days of the merchant, today included
RESULT_PREFIX = "RESULT "


# Building the databases (in the parent process, through manage.py) ----------------------


def database_url(name: str) -> str:
    base = os.environ["DATABASE_URL"]
    return base.rsplit("/", 1)[0] + "/" + name


def maintenance_connection():
    import psycopg

    url = database_url("postgres")
    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def build_info(name: str) -> dict | None:
    """What the database was built with (None: there is no such database, or its build
    did not finish)."""
    with maintenance_connection() as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


def record_build_info(name: str, info: dict) -> None:
    from psycopg import sql

    with maintenance_connection() as connection:
        connection.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(json.dumps(info))
            )
        )


def drop_database(name: str) -> None:
    from psycopg import sql

    with maintenance_connection() as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def manage(name: str, *arguments: str) -> float:
    """Run `manage.py arguments` on the database `name`, its output indented; seconds."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(name),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in process.stdout:
        print(f"    | {line.rstrip()}", flush=True)
    if process.wait():
        sys.exit(f"manage.py {' '.join(arguments)} failed on {name}")
    return time.perf_counter() - started


def vacuum_analyze(name: str, *, compact_rollups: bool = False) -> float:
    """VACUUM ANALYZE the database; with `compact_rollups`, first rewrite the analytics
    tables (VACUUM FULL): a rebuild over existing rollups rewrites every member's row and
    leaves the tables twice their size, which a first build does not."""
    import psycopg
    from psycopg import sql

    started = time.perf_counter()
    url = database_url(name).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as connection:
        if compact_rollups:
            tables = connection.execute(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE 'analytics\\_%'"
            ).fetchall()
            for (table,) in tables:
                connection.execute(sql.SQL("VACUUM FULL {}").format(sql.Identifier(table)))
        connection.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def database_size(name: str) -> str:
    with maintenance_connection() as connection:
        return connection.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name]).fetchone()[
            0
        ]


def prepare(size: str, members: int, purchases: int, *, reuse: bool, rebuild: bool) -> dict:
    """The database of `size`, built or reused; returns its build info."""
    from psycopg import sql

    name = DATABASES[size]
    info = build_info(name)
    wanted = {"members": members, "purchases": purchases}
    if reuse and info and all(info.get(key) == value for key, value in wanted.items()):
        print(f"{name}: reusing it (built {info['built']}); applying migrations…", flush=True)
        manage(name, "migrate", "--noinput")
        if rebuild:
            print(f"{name}: rebuild_analytics demo…", flush=True)
            info["rebuild_seconds"] = round(manage(name, "rebuild_analytics", "demo"), 1)
            info["vacuum_seconds"] = round(vacuum_analyze(name, compact_rollups=True), 1)
            info["rebuilt"] = time.strftime("%Y-%m-%d %H:%M")
            record_build_info(name, info)
        else:
            vacuum_analyze(name)  # statistics for a new index, if migrate added one
        return info
    if reuse and info:
        print(f"{name}: built with {info}, not {wanted}: building it again.")
    drop_database(name)
    with maintenance_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"{name}: migrate…", flush=True)
    manage(name, "migrate", "--noinput")
    print(f"{name}: seed_demo --members {members} --purchases {purchases}…", flush=True)
    seed = manage(name, "seed_demo", "--members", str(members), "--purchases", str(purchases))
    print(f"{name}: rebuild_analytics demo…", flush=True)
    rebuild_seconds = manage(name, "rebuild_analytics", "demo")
    vacuum = vacuum_analyze(name)
    info = {
        **wanted,
        "seed_seconds": round(seed, 1),
        "rebuild_seconds": round(rebuild_seconds, 1),
        "vacuum_seconds": round(vacuum, 1),
        "built": time.strftime("%Y-%m-%d %H:%M"),
    }
    record_build_info(name, info)
    return info


# Measuring (in a child process per database) ---------------------------------------------


def timed(call, repeat: int) -> dict:
    """Median and p95 of `call()` in ms over `repeat` runs after one warm-up, and the
    queries of the last run. `call` returns a status (None for a direct call)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    status = call()
    if status is not None and status != 200:
        return {"status": status}
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            status = call()
            timings.append((time.perf_counter() - started) * 1000)
        if status is not None and status != 200:
            return {"status": status}
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[math.ceil(len(timings) * 0.95) - 1],  # nearest rank
        "queries": len(queries),
    }


def measure(repeat: int) -> list[dict]:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from apps.accounts.models import User
    from apps.analytics import kpis, selectors
    from apps.analytics.periods import Period
    from apps.analytics.refresh import analytics_refresh
    from apps.core.models import Location, Merchant

    setup_test_environment()  # the test client's host, and its captured queries
    # The shell asks for a refresh: queued (in memory), as a web process would, not run
    # inside the request as the test settings' eager Celery would.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config.celery import app

    app.conf.task_always_eager = False
    merchant = Merchant.objects.get(slug="demo")
    location = Location.objects.for_merchant(merchant).order_by("pk").first()
    today = selectors.merchant_today(merchant=merchant)
    results = []

    def add(kind: str, what: str, days: int, at: bool, figures: dict) -> None:
        results.append({"kind": kind, "what": what, "days": days, "location": at, **figures})
        shown = (
            f"{figures['median']:8.1f}{figures['p95']:8.1f}{figures['queries']:5}"
            if "median" in figures
            else f"  status {figures['status']}"
        )
        where = " @location" if at else ""
        print(f"    {what} {days} d{where}: {shown}", flush=True)

    functions = [
        (name, function)
        for name, function in inspect.getmembers(kpis, inspect.isfunction)
        if name.startswith("kpi_") and function.__module__ == kpis.__name__
    ]
    for name, function in sorted(functions, key=lambda item: item[1].__code__.co_firstlineno):
        takes_location = "location" in inspect.signature(function).parameters
        for days in PERIODS:
            period = Period.last_days(days, today=today)
            for at in (False, True) if takes_location else (False,):
                options = {"location": location} if at else {}

                def call(function=function, period=period, options=options):
                    function(merchant=merchant, period=period, **options)

                add("kpi", name, days, at, timed(call, repeat))

    client = Client()
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    skipped = []

    def page(path: str, **headers) -> int:
        return client.get(path, **headers).status_code

    shell = timed(lambda: page("/analytics/"), repeat)
    if shell.get("status") == 404:
        skipped.append("/analytics/")
    else:
        add("page", "/analytics/", 0, False, shell)
    for card in CARDS:
        for days in PERIODS:
            period = Period.last_days(days, today=today)
            for at in (False, True):
                path = f"/analytics/cards/{card}/?preset=custom&start={period.start}"
                path += f"&end={period.end}"
                if at:
                    path += f"&location={location.pk}"
                path += "&compare=on"
                figures = timed(lambda path=path: page(path, HTTP_HX_REQUEST="true"), repeat)
                if figures.get("status") == 404:
                    skipped.append(path)
                    continue
                add("card", card, days, at, figures)
    if skipped:
        print(f"    skipped, answered 404 (not there yet): {len(skipped)} URLs, e.g. {skipped[0]}")

    def refresh() -> None:
        analytics_refresh()

    add("refresh", "analytics_refresh(), nothing new", 0, False, timed(refresh, repeat))
    return results


def measure_in_child(size: str, repeat: int) -> list[dict]:
    """Measure the database of `size` in a process of its own (its own settings,
    connection and caches)."""
    env = {**os.environ, "DATABASE_URL": database_url(DATABASES[size])}
    process = subprocess.Popen(
        [sys.executable, __file__, "--measure", "--repeat", str(repeat)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    results = []
    for line in process.stdout:
        if line.startswith(RESULT_PREFIX):
            results = json.loads(line[len(RESULT_PREFIX) :])
        else:
            print(line.rstrip(), flush=True)
    if process.wait():
        sys.exit(f"measuring {DATABASES[size]} failed")
    return results


# The table ---------------------------------------------------------------------------------


def label(row: dict) -> str:
    if row["kind"] in ("page", "refresh"):
        return row["what"]
    where = ", location" if row["location"] else ""
    prefix = "card " if row["kind"] == "card" else ""
    return f"{prefix}{row['what']} ({row['days']} d{where})"


def print_table(sizes: list[str], infos: dict, results: dict) -> None:
    keys = []
    for size in sizes:
        for row in results[size]:
            key = (row["kind"], row["what"], row["days"], row["location"])
            if key not in keys:
                keys.append(key)
    found = {
        size: {(r["kind"], r["what"], r["days"], r["location"]): r for r in results[size]}
        for size in sizes
    }
    print()
    for size in sizes:
        info = infos[size]
        print(
            f"{size}: {DATABASES[size]}, {info['members']:,} members, "
            f"{info['purchases']:,} purchases, {info.get('size', '?')}; seed_demo "
            f"{info['seed_seconds']:.1f} s, rebuild_analytics {info['rebuild_seconds']:.1f} s, "
            f"VACUUM ANALYZE {info['vacuum_seconds']:.1f} s (built {info['built']})"
        )
    header = f"{'what':<44}" + "".join(f"{size + ' median / p95 ms':>26}{'q':>4}" for size in sizes)
    print()
    print(header)
    slowest = dict.fromkeys(sizes, (0.0, ""))
    for key in keys:
        some = next(found[size][key] for size in sizes if key in found[size])
        line = f"{label(some):<44}"
        for size in sizes:
            row = found[size].get(key)
            if row is None or "median" not in row:
                status = row["status"] if row else "-"
                line += f"{'status ' + str(status):>26}{'':>4}"
                continue
            line += f"{row['median']:>15.1f} / {row['p95']:>7.1f}{row['queries']:>4}"
            if row["kind"] in ("page", "card") and row["median"] > slowest[size][0]:
                slowest[size] = (row["median"], label(row))
        print(line)
    for size in sizes:
        median, what = slowest[size]
        if what:
            print(f"{size}: slowest page or card {what}, median {median:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,large", help="small, large or both")
    parser.add_argument("--members", type=int, default=100_000, help="of the large size")
    parser.add_argument("--purchases", type=int, default=5_000_000, help="of the large size")
    parser.add_argument("--ratio", type=int, default=10, help="large ÷ small (default 10)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the databases built")
    parser.add_argument(
        "--reuse", action="store_true", help="measure databases already built (implies --keep)"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="with --reuse: run rebuild_analytics again"
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.measure:  # the child: DATABASE_URL names the database to measure
        print(RESULT_PREFIX + json.dumps(measure(options.repeat)), flush=True)
        return
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("This bench needs PostgreSQL (seed_demo writes with COPY).")
    sizes = [size.strip() for size in options.sizes.split(",") if size.strip()]
    if unknown := set(sizes) - set(DATABASES):
        sys.exit(f"Unknown size(s): {', '.join(sorted(unknown))}")
    shape = {
        "large": (options.members, options.purchases),
        "small": (options.members // options.ratio, options.purchases // options.ratio),
    }
    keep = options.keep or options.reuse
    infos, results = {}, {}
    try:
        for size in sizes:
            members, purchases = shape[size]
            infos[size] = prepare(
                size, members, purchases, reuse=options.reuse, rebuild=options.rebuild
            )
            infos[size]["size"] = database_size(DATABASES[size])
            print(f"{DATABASES[size]}: measuring ({options.repeat} runs each)…", flush=True)
            results[size] = measure_in_child(size, options.repeat)
        print_table(sizes, infos, results)
    finally:
        if not keep:
            for size in sizes:
                drop_database(DATABASES[size])
        else:
            print(f"\nKept: {', '.join(DATABASES[size] for size in sizes)}")


if __name__ == "__main__":
    main()
