"""Storefront API throughput: wrk against gunicorn on PostgreSQL, next to two baselines.

Builds a throwaway PostgreSQL database (fideliza_bench_api) with the demo merchant (its
points, tiers, cashback and referral terms on) and N demo members, an API key and a
webhook endpoint subscribed to purchases (so every purchase queues a delivery on Redis),
then starts gunicorn (production settings, 4 sync workers, the native connection pool)
and drives it with wrk (Debian's `wrk`: `apt-get install wrk`) at 8 and 32 connections:

  POST /api/v1/purchases/            every feature on: key, rate limit, Idempotency-Key,
                                     earn rules, tiers, cashback, referrals, webhook queued
  POST /bench/earn/                  a bare DRF endpoint running only the points SQL
  pgbench                            the same SQL with no Python at all (the floor)
  GET  /api/v1/members/?phone=       the lookup, next to GET /bench/lookup/ (bare SQL)

and prints requests per second and p50/p99 latency; with `--json`, also one JSON object
`{"runs": [{"what", "clients", "rps", "p50_ms", "p99_ms", "non_2xx"}, ...]}` on its last
line, so runs can be compared. The database and the Redis keys it made are dropped at the
end. Usage:

    .venv/bin/python bench/api_load.py [--members 10000] [--seconds 10] [--workers 4] [--json]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fideliza_bench_api"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["DATABASE_URL"] = DATABASE_URL

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.purchases import run_pgbench  # noqa: E402
from bench.server_env import BROKER_DB, CACHE_DB, REDIS, server_environment  # noqa: E402

PORT = 8931

PURCHASE_LUA = """
local members = {%(members)s}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", "__RUN__-" .. threads)
end
function init(args) math.randomseed(tonumber(tid:match("%%d+$"))) end
function request()
  n = n + 1
  local id = tid .. "-" .. n
  wrk.headers["Idempotency-Key"] = "k-" .. id
  local body = string.format(
    '{"member":"%%s","external_id":"w-%%s","amount":%%d,"currency":"EUR"}',
    members[math.random(#members)], id, math.random(80, 4000))
  return wrk.format(nil, "/api/v1/purchases/", nil, body)
end
"""

BARE_EARN_LUA = """
local members = {%(member_pks)s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  local body = string.format('{"merchant":%(merchant)d,"member":%%d,"amount":%%d}',
    members[math.random(#members)], math.random(80, 4000))
  return wrk.format(nil, "/bench/earn/", nil, body)
end
"""

LOOKUP_LUA = """
local phones = {%(phones)s}
wrk.headers["Authorization"] = "Bearer %(key)s"
function request()
  return wrk.format("GET", "%(path)s" .. phones[math.random(#phones)])
end
"""


def build(members: int):
    from django.core.management import call_command

    from apps.core.api.keys import api_key_create
    from apps.core.models import Merchant
    from apps.core.webhooks.models import WebhookEndpoint
    from apps.demo import members as demo
    from apps.members.models import Member
    from apps.programs.referrals.codes import new_code
    from apps.programs.referrals.models import ReferralCode

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    merchant = Merchant.objects.get(slug="demo")
    demo.seed_members(merchant=merchant, total=members)
    key = api_key_create(merchant=merchant, actor=None, name="Bench", scope="write").key
    WebhookEndpoint.objects.create(
        merchant=merchant,
        url="http://127.0.0.1:9/never-delivered",
        events=["purchase.recorded"],
        secret="whsec_bench",
    )
    # A live program's members have what their first purchase or their enrollment made:
    # a points account, a cashback wallet, a referral code. The seeded ones have none, and
    # the bench would otherwise measure mostly first purchases and first reads.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO programs_pointsaccount (merchant_id, member_id, balance, shortfall)"
            " SELECT merchant_id, id, 0, 0 FROM members_member ON CONFLICT DO NOTHING"
        )
        cursor.execute(
            "INSERT INTO coupons_cashbackwallet (merchant_id, member_id, balance, shortfall)"
            " SELECT merchant_id, id, 0, 0 FROM members_member ON CONFLICT DO NOTHING"
        )
    without_code = Member.objects.for_merchant(merchant).filter(referral_code__isnull=True)
    codes = {new_code() for _ in range(members * 2)}
    ReferralCode.objects.bulk_create(
        [
            ReferralCode(merchant=merchant, member_id=member_id, code=code)
            for member_id, code in zip(
                without_code.values_list("pk", flat=True), codes, strict=False
            )
        ],
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rows = list(Member.objects.for_merchant(merchant).values_list("pk", "public_id", "phone"))
    return merchant, key, rows


def start_gunicorn(workers: int) -> subprocess.Popen:
    env = {**os.environ, **server_environment(database_url=DATABASE_URL, host="127.0.0.1")}
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{PORT}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz/", timeout=1)  # noqa: S310
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit("gunicorn did not start")


def wrk(script: str, connections: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        # Ids and Idempotency-Keys unique to this run: Lua's random numbers start from the
        # same seed in every wrk process, so a second run would replay the first one's.
        file.write(script.replace("__RUN__", uuid.uuid4().hex[:12]))
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{min(connections, 4)}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                file.name,
                f"http://127.0.0.1:{PORT}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(file.name).unlink()

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50%"),
        "p99": latency("99%"),
        "errors": int(errors.group(1)) if errors else 0,
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
    }


def purchases_recorded() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM programs_purchase WHERE external_id LIKE 'w-%%'")
        return cursor.fetchone()[0]


def lua_list(values) -> str:
    return ",".join(json.dumps(value) for value in values)


def report(scripts: dict, results: list, floor: list, *, as_json: bool) -> None:
    print(f"\n{'what':<44}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    runs = []
    for what, clients, r in results:
        name = scripts[what][0]
        print(
            f"{name:<44}{clients:>8}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
            f"{r['errors']:>9}"
        )
        if what == "purchase":  # none a replay of another run's
            print(f"{'':<8}{r['recorded']:,} new purchases for {r['requests']:,} requests")
        runs.append(
            {
                "what": what,
                "clients": clients,
                "rps": round(r["rps"], 1),
                "p50_ms": round(r["p50"], 2),
                "p99_ms": round(r["p99"], 2),
                "non_2xx": r["errors"],
            }
        )
    for clients, result in floor:
        if result:
            count, seconds = result
            print(f"{'pgbench, the same points SQL':<44}{clients:>8}{count / seconds:>9.0f}")
            runs.append(
                {
                    "what": "pgbench",
                    "clients": clients,
                    "rps": round(count / seconds, 1),
                    "p50_ms": None,
                    "p99_ms": None,
                    "non_2xx": 0,
                }
            )
    by = {(run["what"], run["clients"]): run["rps"] for run in runs}
    for clients in (8, 32):
        for what, bare in (("purchase", "bare_earn"), ("lookup", "bare_lookup")):
            if by.get((bare, clients)):
                ratio = by[(what, clients)] / by[(bare, clients)]
                print(f"{what} / {bare} at {clients} clients: {ratio:.2f}x")
    if as_json:
        print(json.dumps({"runs": runs}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="also print the runs as JSON")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk).")

    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    gunicorn = None
    try:
        merchant, key, rows = build(options.members)
        print(
            f"fideliza_bench_api: demo merchant, {len(rows):,} members, gunicorn "
            f"{options.workers} workers, {os.cpu_count()} cores"
        )
        gunicorn = start_gunicorn(options.workers)
        phones = lua_list(r[2].replace("+", "%2B") for r in rows if r[2])
        scripts = {
            "purchase": (
                "POST /api/v1/purchases/ (everything on)",
                PURCHASE_LUA % {"members": lua_list(r[1] for r in rows), "key": key},
            ),
            "bare_earn": (
                "POST /bench/earn/ (bare DRF, the SQL only)",
                BARE_EARN_LUA
                % {"member_pks": ",".join(str(r[0]) for r in rows), "merchant": merchant.pk},
            ),
            "lookup": (
                "GET /api/v1/members/?phone=",
                LOOKUP_LUA % {"phones": phones, "key": key, "path": "/api/v1/members/?phone="},
            ),
            "bare_lookup": (
                "GET /bench/lookup/ (bare DRF, the SQL only)",
                LOOKUP_LUA
                % {
                    "phones": phones,
                    "key": key,
                    "path": f"/bench/lookup/?merchant={merchant.pk}&phone=",
                },
            ),
        }
        results = []
        for what, (_name, script) in scripts.items():
            wrk(script, 8, 2)  # warm the workers and their pools
            for clients in (8, 32):
                before = purchases_recorded()
                result = wrk(script, clients, options.seconds)
                result["recorded"] = purchases_recorded() - before
                results.append((what, clients, result))
        floor = [(clients, run_pgbench(clients, options.seconds, merchant)) for clients in (8, 32)]
        report(scripts, results, floor, as_json=options.json)
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(10)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        import redis

        for db in (BROKER_DB, CACHE_DB):
            redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


if __name__ == "__main__":
    main()
