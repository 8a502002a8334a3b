"""Segment counts at 1,000,000 members: how long `segment_count` takes for each kind of rule.

Builds a throwaway PostgreSQL database (fideliza_bench_segments) with two merchants, in
SQL (`INSERT … SELECT generate_series`, a few minutes for a million members):

  bench  --members (1,000,000) members over three years: 65 % of them bought, 1 to 30
         times (about 2.5 purchases a buyer on average), the last purchase skewed
         towards today so that windows of 30 and 90 days hold realistic shares; their
         `MemberStats` rollups computed from those purchases (the day bits left empty:
         no segment reads them); a points account each and 1 or 2 lots per buyer
         expiring over the past and next year; six tags (2 % to 40 % of the members);
         three tiers held by spend; birthdays (60 %), languages, emails, phones and
         consents; 4 % of the members referred by another; a few erased and merged
         members, and a few enrolled since the last analytics refresh (no rollup yet);
  other  a small merchant (--other, 20,000 members) built the same way, so that every
         query must keep to its tenant.

then VACUUM ANALYZE, and times `segment_count` for the bench merchant: the 7 ready-made
segments and 10 rules of other shapes (windowed purchase counts and sums, not, any, all,
a score, points expiring, referrals, and two that members without a rollup row pass).
For each: the first run (the RFM cut points
computed, their cache emptied before it: apps/campaigns/ranks.py), then the median and
the max of --repeat runs after one warm run. `segment_sample` (20 members, the most
recently active first) is timed for a few. Target (issue 16): every count under 500 ms.

`--explain NAME` prints EXPLAIN (ANALYZE, BUFFERS) of one rule's count query (without JIT,
as `segment_count` runs it). As a superuser the build skips the foreign-key checks (its
rows are consistent by construction): they took as long as writing the rows.

Usage:

    .venv/bin/python bench/segments.py [--members 1000000] [--other 20000] [--repeat 5]
        [--keep | --reuse] [--explain NAME]

--keep keeps the database; --reuse measures one already built with the same sizes
(applying new migrations first) and keeps it. DATABASE_URL picks the server (default:
the local PostgreSQL); its database name is replaced by the bench's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NAME = "fideliza_bench_segments"
SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
os.environ["DATABASE_URL"] = SERVER.rsplit("/", 1)[0] + "/" + NAME
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

TAGS = {"newsletter": 0.40, "vecino": 0.25, "estudiante": 0.12, "vegano": 0.08, "vip": 0.03}
TAGS["empresa"] = 0.02
TIERS = (("Plata", 5_000, 110), ("Oro", 15_000, 125), ("Platino", 30_000, 150))
ZONE = "Europe/Madrid"


# The database ------------------------------------------------------------------------------


def maintenance(sql: str, *params) -> list:
    import psycopg

    url = SERVER.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as db:
        cursor = db.execute(sql, params or None)
        return cursor.fetchall() if cursor.description else []


def build_info() -> dict | None:
    rows = maintenance(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", NAME
    )
    try:
        return json.loads(rows[0][0]) if rows and rows[0][0] else None
    except ValueError:
        return None


def recreate_database() -> None:
    maintenance(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    maintenance(f'CREATE DATABASE "{NAME}"')


def run(cursor, sql: str, params=None) -> float:
    started = time.perf_counter()
    cursor.execute(sql, params)
    return time.perf_counter() - started


def build_merchant(slug: str, members: int, *, seed: float) -> dict:
    """`members` members for a new merchant, with their histories, in SQL; seconds per
    table."""
    from django.db import connection, transaction

    from apps.core.models import Location, Merchant
    from apps.members.models import Tag
    from apps.programs.tiers.models import Tier

    merchant = Merchant.objects.create(
        name=f"Bench {slug}", slug=slug, currency="EUR", country="ES", timezone=ZONE,
        language="es",
    )  # fmt: skip
    locations = [
        Location.objects.create(merchant=merchant, name=f"Tienda {n}").pk for n in range(1, 4)
    ]
    tags = {name: Tag.objects.create(merchant=merchant, name=name).pk for name in TAGS}
    tiers = [
        Tier.objects.create(merchant=merchant, name=name, threshold=threshold, earn_percent=pct).pk
        for name, threshold, pct in TIERS
    ]
    seconds = {}
    m = merchant.pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The rows are consistent by construction: checking their foreign keys at commit
        # (deferred constraints) took as long as writing them. A superuser can skip that.
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute("SELECT coalesce(max(id), 0) FROM members_member")
        first = cursor.fetchone()[0]
        # One row per member: what the other tables are drawn from. Every 1000th member
        # joined a minute ago (no rollup yet); every 500th (from the 7th) was erased;
        # every 1000th (from the 13th) was merged into the member before it.
        seconds["plan"] = run(
            cursor,
            """
            CREATE TEMP TABLE plan ON COMMIT DROP AS
            SELECT g, %(first)s + g AS id, enrolled_at, late, erased, merged, buys,
                   CASE WHEN buys > 0
                        THEN now() - (now() - enrolled_at) * power(random(), 2.5) END AS last_at
            FROM (
                SELECT g, late, g %% 500 = 7 AS erased, g %% 1000 = 13 AS merged,
                       CASE WHEN late THEN now() - random() * interval '1 minute'
                            ELSE now() - random() * interval '1095 days' END AS enrolled_at,
                       CASE WHEN late OR g %% 1000 = 13 OR random() >= 0.65 THEN 0
                            ELSE least(30, 1 + floor(-ln(1 - random()) * 2))::int
                       END AS buys
                FROM (SELECT g, g %% 1000 = 0 AS late FROM generate_series(1, %(n)s) g) s
            ) t
            """,
            {"first": first, "n": members},
        )
        seconds["members"] = run(
            cursor,
            """
            INSERT INTO members_member (
                id, merchant_id, public_id, card_code, first_name, last_name, email, phone,
                birthday, language, consent_email, consent_sms, channel, location_id,
                enrolled_at, last_activity_at, search_name, search_name_reversed,
                erased_at, merged_into_id, link_version)
            SELECT id, %(m)s, 'mb' || id, lpad(g::text, 8, '0'),
                   CASE WHEN erased THEN '' ELSE 'Nombre' || g END,
                   CASE WHEN erased THEN '' ELSE 'Apellido' || g END,
                   CASE WHEN erased OR r1 >= 0.85 THEN NULL ELSE 'm' || g || '@bench.test' END,
                   CASE WHEN erased OR (r1 < 0.85 AND r2 >= 0.5) THEN NULL
                        ELSE '+34600' || lpad(g::text, 7, '0') END,
                   CASE WHEN r3 < 0.6 THEN date '1950-01-01' + floor(r4 * 20000)::int END,
                   (ARRAY['es', 'es', 'es', 'en', 'ro', ''])[1 + floor(r5 * 6)::int],
                   NOT erased AND r1 < 0.85 AND r2 < 0.45,
                   NOT erased AND r1 >= 0.6 AND r2 < 0.3,
                   (ARRAY['counter', 'counter', 'online', 'api', 'import'])[1 + floor(r6 * 5)::int],
                   (%(locations)s::bigint[])[1 + g %% 3],
                   enrolled_at, coalesce(last_at, enrolled_at),
                   'nombre' || g || ' apellido' || g, 'apellido' || g || ' nombre' || g,
                   CASE WHEN erased THEN now() - interval '10 days' END,
                   CASE WHEN merged THEN id - 1 END, 0
            FROM (SELECT *, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                         random() AS r5, random() AS r6 FROM plan) p
            """,
            {"m": m, "locations": locations},
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('members_member', 'id'), %s)",
            [first + members],
        )
        # The last purchase is at last_at, the others anywhere since enrollment.
        seconds["purchases"] = run(
            cursor,
            """
            INSERT INTO programs_purchase (
                external_id, amount, currency, items, points_earned, refunded_amount,
                points_reversed, occurred_at, created_at, location_id, member_id,
                merchant_id, discount)
            SELECT 'bench-' || id || '-' || k, amount, 'EUR', '[]', amount / 100, 0, 0,
                   at, at, (%(locations)s::bigint[])[1 + (id + k) %% 3], id, %(m)s, 0
            FROM (
                SELECT p.id, k, 300 + floor(random() * 6000)::bigint AS amount,
                       CASE WHEN k = 1 THEN p.last_at
                            ELSE p.enrolled_at + (p.last_at - p.enrolled_at) * random() END AS at
                FROM plan p CROSS JOIN LATERAL generate_series(1, p.buys) k
            ) s
            """,
            {"m": m, "locations": locations},
        )
        # The rollups, from the purchases, as the analytics refresh computes them.
        seconds["member stats"] = run(
            cursor,
            """
            INSERT INTO analytics_memberstats (
                member_id, merchant_id, enrolled_at, enrolled_on, cohort_month, channel,
                merged, erased_on, purchases, spent, refunded, net_spent, first_purchase_at,
                last_purchase_at, last_purchase_on, last_seen_on, lifetime_days, updated_at,
                location_id, enrolled_by_id, days_from, days, days_twice)
            SELECT mm.id, %(m)s, mm.enrolled_at, e.on_, date_trunc('month', e.on_)::date,
                   mm.channel, mm.merged_into_id IS NOT NULL,
                   (mm.erased_at AT TIME ZONE %(zone)s)::date,
                   coalesce(s.purchases, 0), coalesce(s.spent, 0), 0, coalesce(s.spent, 0),
                   s.first_at, s.last_at, (s.last_at AT TIME ZONE %(zone)s)::date,
                   greatest(e.on_, (s.last_at AT TIME ZONE %(zone)s)::date),
                   ((s.last_at AT TIME ZONE %(zone)s)::date
                    - (s.first_at AT TIME ZONE %(zone)s)::date),
                   now(), mm.location_id, NULL, 0, B'', B''
            FROM members_member mm
            CROSS JOIN LATERAL (SELECT (mm.enrolled_at AT TIME ZONE %(zone)s)::date AS on_) e
            LEFT JOIN (
                SELECT member_id, count(*) AS purchases, sum(amount) AS spent,
                       min(occurred_at) AS first_at, max(occurred_at) AS last_at
                FROM programs_purchase WHERE merchant_id = %(m)s GROUP BY member_id
            ) s ON s.member_id = mm.id
            WHERE mm.merchant_id = %(m)s AND mm.enrolled_at < now() - interval '2 minutes'
            """,
            {"m": m, "zone": ZONE},
        )
        seconds["points"] = run(
            cursor,
            """
            INSERT INTO programs_pointsaccount (member_id, merchant_id, balance, shortfall)
            SELECT id, %(m)s, CASE WHEN buys > 0 THEN floor(random() * 800)::int ELSE 0 END, 0
            FROM plan
            """,
            {"m": m},
        )
        seconds["lots"] = run(
            cursor,
            """
            INSERT INTO programs_lot (member_id, merchant_id, points, remaining, earned_at,
                                      expires_at)
            SELECT id, %(m)s, points, CASE WHEN random() < 0.7 THEN points / 2 ELSE 0 END,
                   earned, earned + interval '365 days'
            FROM (
                SELECT p.id, 50 + floor(random() * 400)::int AS points,
                       p.last_at - (p.last_at - p.enrolled_at) * random() * k / 2 AS earned
                FROM plan p CROSS JOIN LATERAL generate_series(1, least(p.buys, 2)) k
            ) s
            """,
            {"m": m},
        )
        seconds["tags"] = sum(
            run(
                cursor,
                """
                INSERT INTO members_member_tags (member_id, tag_id)
                SELECT id, %(tag)s FROM plan WHERE NOT erased AND random() < %(share)s
                """,
                {"tag": tags[name], "share": share},
            )
            for name, share in TAGS.items()
        )
        # Tiers by spend (a row for every buyer; below the first threshold, no tier).
        seconds["tiers"] = run(
            cursor,
            """
            INSERT INTO tiers_membertier (member_id, merchant_id, tier_id, since, updated_at)
            SELECT member_id, %(m)s,
                   CASE WHEN spent >= %(t3)s THEN %(tier3)s WHEN spent >= %(t2)s THEN %(tier2)s
                        WHEN spent >= %(t1)s THEN %(tier1)s END,
                   last_purchase_at, now()
            FROM analytics_memberstats WHERE merchant_id = %(m)s AND purchases > 0
            """,
            {
                "m": m,
                **{f"t{n}": threshold for n, (_, threshold, _) in enumerate(TIERS, 1)},
                **{f"tier{n}": pk for n, pk in enumerate(tiers, 1)},
            },
        )
        # 4 % referred by a member who joined before them; half of them converted.
        seconds["referrals"] = run(
            cursor,
            """
            INSERT INTO referrals_referral (
                merchant_id, referrer_id, referred_id, code, channel, status, created_at,
                window_ends_at, converted_at, referred_reward, referred_points,
                referred_coupon_value, referrer_state, referrer_reward, referrer_points,
                referrer_coupon_value, end_reason, end_reason_text, coupons_lost)
            SELECT %(m)s, %(first)s + 1 + floor(random() * (g - 1))::bigint, id,
                   upper(substr(md5(g::text), 1, 6)), 'link', rewarded, enrolled_at,
                   enrolled_at + interval '30 days',
                   CASE WHEN rewarded = 'rewarded' THEN enrolled_at + interval '3 days' END,
                   'none', 0, 0, 'none', 'none', 0, 0, '', '{}', 0
            FROM (SELECT *, CASE WHEN random() < 0.5 THEN 'rewarded' ELSE 'pending' END
                            AS rewarded
                  FROM plan WHERE g > 1 AND NOT merged AND random() < 0.04) p
            """,
            {"m": m, "first": first},
        )
        cursor.execute("SELECT count(*) FROM programs_purchase WHERE merchant_id = %s", [m])
        purchases = cursor.fetchone()[0]
    print(
        f"  {slug}: {members:,} members, {purchases:,} purchases in "
        f"{sum(seconds.values()):.0f} s ("
        + ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items())
        + ")",
        flush=True,
    )
    return {"purchases": purchases, "seconds": round(sum(seconds.values()), 1)}


def prepare(members: int, other: int, *, reuse: bool) -> dict:
    import django
    from django.core.management import call_command

    wanted = {"members": members, "other": other}
    info = build_info()
    if reuse and info and all(info.get(key) == value for key, value in wanted.items()):
        print(f"{NAME}: reusing it (built {info['built']}); applying migrations…", flush=True)
        django.setup()
        call_command("migrate", "--noinput", verbosity=0)
        analyze()
        return info
    print(f"{NAME}: creating it and applying the migrations…", flush=True)
    recreate_database()
    django.setup()
    call_command("migrate", "--noinput", verbosity=0)
    started = time.perf_counter()
    built = build_merchant("bench", members, seed=0.16)
    build_merchant("other", other, seed=0.61)
    print(f"  VACUUM ANALYZE {analyze():.0f} s", flush=True)
    info = {
        **wanted,
        "purchases": built["purchases"],
        "build_seconds": round(time.perf_counter() - started, 1),
        "built": time.strftime("%Y-%m-%d %H:%M"),
    }
    maintenance(f"COMMENT ON DATABASE \"{NAME}\" IS '{json.dumps(info)}'")
    return info


def analyze() -> float:
    """VACUUM ANALYZE: the statistics, and the visibility map that lets a count read an
    index alone, as autovacuum leaves tables that have settled."""
    from django.db import connection

    with connection.cursor() as cursor:
        return run(cursor, "VACUUM ANALYZE")


# The rules timed ---------------------------------------------------------------------------


def rules_timed(merchant) -> dict[str, dict]:
    from apps.campaigns.ready_made import READY_MADE

    def condition(field, op, value, **extra):
        return {"field": field, "op": op, "value": value, **extra}

    rules = {f"ready: {key}": ready.rules(merchant) for key, ready in READY_MADE.items()}
    rules.update(
        {
            "purchase_count within 30 d gte 2": condition(
                "purchase_count", "gte", 2, within_days=30
            ),
            "total_spent within 90 d gte 5000": condition(
                "total_spent", "gte", 5000, within_days=90
            ),
            "not (tag is vecino)": {"not": condition("tag", "is", "vecino")},
            "any of 3 (tag, spent, birthday)": {
                "any": [
                    condition("tag", "is", "vip"),
                    condition("total_spent", "gte", 20_000),
                    condition("birthday_this_month", "is", True),
                ]
            },
            "all of 5 (stats, points, tag, consent)": {
                "all": [
                    condition("purchase_count", "gte", 2),
                    condition("days_since_last_purchase", "lte", 180),
                    condition("points_balance", "gte", 100),
                    condition("tag", "is", "newsletter"),
                    condition("consent_email", "is", True),
                ]
            },
            "recency_score is 5": condition("recency_score", "is", 5),
            "points_expiring_within_days lte 30": condition(
                "points_expiring_within_days", "lte", 30
            ),
            "referrals_made gte 1": condition("referrals_made", "gte", 1),
            # Members without a rollup row pass these two: an anti-join, not a semi-join.
            "status is active": condition("status", "is", "active"),
            "purchase_count lte 1": condition("purchase_count", "lte", 1),
        }
    )
    return rules


SAMPLED = (
    "ready: at_risk",
    "ready: vips",
    "purchase_count within 30 d gte 2",
    "all of 5 (stats, points, tag, consent)",
)


def timed(call, repeat: int) -> tuple[float, float, float, object]:
    """ms of the first run, then median and max of `repeat` runs after a warm one."""
    started = time.perf_counter()
    result = call()
    first = (time.perf_counter() - started) * 1000
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(times), max(times), result


def explain(merchant, rules) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from apps.campaigns.selectors import segment_count

    segment_count(merchant=merchant, rules=rules)  # the cut points, cached
    with CaptureQueriesContext(connection) as queries:
        segment_count(merchant=merchant, rules=rules)
    sql = next(query["sql"] for query in queries if query["sql"].startswith("SELECT COUNT"))
    print(sql, "\n")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # as segment_count plans it
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        print("\n".join(row[0] for row in cursor.fetchall()))


def measure(repeat: int, explain_name: str | None) -> None:
    from django.core.cache import cache

    from apps.campaigns.ranks import compute_rank_cuts
    from apps.campaigns.selectors import segment_count, segment_sample
    from apps.core.models import Merchant

    merchant = Merchant.objects.get(slug="bench")
    rules = rules_timed(merchant)
    if explain_name:
        explain(merchant, rules[explain_name])
        return
    started = time.perf_counter()
    compute_rank_cuts(merchant=merchant)
    cuts_ms = (time.perf_counter() - started) * 1000
    print(f"\nRFM cut points computed (compute_rank_cuts, cold): {cuts_ms:.0f} ms")
    print(f"counts: first run (cut points' cache emptied), then {repeat} runs after a warm one")
    print(f"\n{'rule':<42}{'members':>10}{'first ms':>10}{'median ms':>11}{'max ms':>9}")
    for name, rule in rules.items():
        cache.clear()

        def count(rule=rule):
            return segment_count(merchant=merchant, rules=rule)

        first, median, most, found = timed(count, repeat)
        flag = "  > 500 ms" if median > 500 else ""
        print(f"{name:<42}{found:>10,}{first:>10.0f}{median:>11.0f}{most:>9.0f}{flag}", flush=True)
    print(f"\nsamples (segment_sample, 20 members), {repeat} runs after a warm one")
    for name in SAMPLED:

        def sample(rule=rules[name]):
            return segment_sample(merchant=merchant, rules=rule)

        _first, median, most, found = timed(sample, repeat)
        print(f"{name:<42}{len(found):>10}{'':>10}{median:>11.0f}{most:>9.0f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--other", type=int, default=20_000, help="the second merchant's")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database built")
    parser.add_argument("--reuse", action="store_true", help="measure the one built (kept)")
    parser.add_argument("--explain", metavar="NAME", help="EXPLAIN ANALYZE one rule's count")
    options = parser.parse_args()
    if not SERVER.startswith(("postgres://", "postgresql://")):
        sys.exit("This bench needs PostgreSQL.")
    keep = options.keep or options.reuse
    try:
        info = prepare(options.members, options.other, reuse=options.reuse)
        size = maintenance("SELECT pg_size_pretty(pg_database_size(%s))", NAME)[0][0]
        print(
            f"{NAME}: {info['members']:,} members and {info['purchases']:,} purchases for "
            f"the bench merchant, {info['other']:,} members for the other; {size}; built in "
            f"{info['build_seconds']:.0f} s ({info['built']})"
        )
        measure(options.repeat, options.explain)
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            maintenance(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        else:
            print(f"\nKept: {NAME}")


if __name__ == "__main__":
    main()
