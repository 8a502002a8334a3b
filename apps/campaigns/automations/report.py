"""What an automation did, pooled over all its sends (docs/plans/automations.md §2.9): the
campaign report's statistics (lift.py), with the send as the unit.

Only sends whose 7-day window has closed count, so that a send of this morning, which
has had no time to bring anyone, does not dilute the rest. The treatment group is the
automation's rows that were not held out (a member the frequency cap skipped stays in it,
as in a campaign: intention to treat), the holdout its `holdout` rows: the same draw per
member across all its occurrences. A send's revenue is what its member bought in the 7
days from it, less what was refunded of it. A service kind holds nobody out: its report is
its counts.

The report is cached an hour per automation: the automations page and the home page read
it on every visit, and new windows close only one by one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.lift import Group, lift_report, more_members_needed
from apps.campaigns.models import Automation, OfferGrant
from apps.campaigns.report import ATTRIBUTION_DAYS, grants_cost
from apps.messaging.models import Delivery, State

CACHE_SECONDS = 60 * 60


def _closed(automation: Automation, now: datetime):
    """The automation's rows whose attribution window has closed."""
    return Delivery.objects.filter(
        source=automation.source, created_at__lt=now - timedelta(days=ATTRIBUTION_DAYS)
    )


def pooled_groups(*, automation: Automation, now: datetime) -> tuple[Group, Group]:
    """(treatment, holdout) over the closed sends: two queries, whatever their number."""
    if automation.pk is None:
        return Group(0, 0, 0, 0), Group(0, 0, 0, 0)
    rows = _closed(automation, now)
    held = Q(state=State.HOLDOUT)
    counts = rows.aggregate(treatment=Count("pk", filter=~held), holdout=Count("pk", filter=held))
    window = F("created_at") + timedelta(days=ATTRIBUTION_DAYS)
    per_send = (
        rows.filter(
            member__purchases__occurred_at__gte=F("created_at"),
            member__purchases__occurred_at__lt=window,
        )
        .order_by()
        .values("pk", "state")
        .annotate(
            total=Sum(F("member__purchases__amount") - F("member__purchases__refunded_amount"))
        )
        .values_list("state", "total")
    )
    sums = {True: [0, 0, 0], False: [0, 0, 0]}  # held out: buyers, revenue, squares
    for state, total in per_send.iterator(chunk_size=5000):
        side = sums[state == State.HOLDOUT]
        side[0] += 1
        side[1] += total
        side[2] += total * total
    return (
        Group(counts["treatment"], *sums[False]),
        Group(counts["holdout"], *sums[True]),
    )


def automation_report(*, automation: Automation, now: datetime | None = None) -> dict:
    """The pooled report as plain values: `sends` (closed windows), `promotional`, and for
    a promotional kind `report` (`LiftReport.to_dict()`) and `more_members` (how many more
    sends an inconclusive lift needs, or None)."""
    now = now or timezone.now()
    treatment, holdout = pooled_groups(automation=automation, now=now)
    data = {
        "sends": treatment.members + holdout.members,
        "promotional": KINDS[automation.kind].promotional,
        "report": None,
        "more_members": None,
    }
    if not data["promotional"]:
        return data
    cost = 0
    if automation.pk is not None:
        grants = OfferGrant.objects.filter(automation=automation)
        cost = grants_cost(merchant=automation.merchant, grants=grants)
    report = lift_report(treatment=treatment, holdout=holdout, offer_cost=cost)
    data["report"] = report.to_dict()
    needed = report.lift.needed_per_group if report.lift else None
    if needed is not None:
        data["more_members"] = more_members_needed(
            needed_per_group=needed, treatment=treatment.members, holdout=holdout.members
        )
    return data


def automation_report_cached(*, automation: Automation) -> dict:
    """`automation_report`, kept an hour per automation."""
    key = f"automation-report:{automation.merchant_id}:{automation.kind}"
    found = cache.get(key)
    if found is None:
        found = automation_report(automation=automation)
        cache.set(key, found, CACHE_SECONDS)
    return found
