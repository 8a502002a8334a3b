"""The due occurrences, turned into delivery rows, a chunk at a time (claimed with SKIP
LOCKED: two runs at once take different ones). For each, in order:

1. off: the automation was switched off, or the occurrence is older than its switching on;
2. stale: its moment no longer holds (a member noticed as turning at risk came back; a
   reward within reach was withdrawn, or its points spent);
3. reach: an address on the channel, consent for a promotional kind, not suppressed;
4. cooldown: a message of this automation to the member within its cooldown (holdout
   included, so that both groups are alike);
5. holdout (promotional kinds): a stable draw per automation and member, recorded as a
   `holdout` delivery row, never sent;
6. the frequency cap (promotional kinds): a `skipped` row, still in the treatment group.

What may go is a `queued` delivery row, sent by the delivery layer's own path (a task per
row, the sweeper behind it): the delivery row is unique per (member, source, occurrence,
channel), so a retried or concurrent run never sends twice. An SMS in the quiet hours
waits: its occurrence stays due, from the end of the quiet hours.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction

from apps.analytics.models import MemberStats
from apps.analytics.periods import local_day, merchant_zone
from apps.campaigns.audience import (
    Reach,
    holdout_drawn,
    member_reach,
    over_cap,
    quiet_hours_end,
    quiet_hours_now,
    recent_marketing_counts,
    suppressed_addresses,
)
from apps.campaigns.automations.kinds import KINDS, moment_number, within_reach
from apps.campaigns.lock_objects import automations_lock, due_occurrences_lock
from apps.campaigns.models import Automation, AutomationKind, AutomationOccurrence, Outcome
from apps.campaigns.selectors import campaign_settings_for
from apps.core.models import Merchant
from apps.members.models import Member
from apps.messaging.models import Channel, Delivery, Purpose, State
from apps.messaging.services.queueing import send_later
from apps.programs.points.selectors import points_balances
from apps.programs.rewards.models import Reward

CHUNK = 2000


def occurrences_process(*, merchant: Merchant, now: datetime) -> Counter:
    """Every due occurrence of the merchant; returns the outcomes counted."""
    outcomes: Counter = Counter()
    while True:
        done = _process_chunk(merchant, now)
        outcomes.update(done)
        if sum(done.values()) < CHUNK:
            return outcomes


@transaction.atomic(savepoint=False)
def _process_chunk(merchant: Merchant, now: datetime) -> Counter:
    due = due_occurrences_lock(merchant_id=merchant.pk, now=now, limit=CHUNK)
    outcomes: Counter = Counter()
    by_automation: dict[int, list[AutomationOccurrence]] = {}
    for occurrence in due:
        by_automation.setdefault(occurrence.automation_id, []).append(occurrence)
    automations_lock(by_automation)
    for occurrences in by_automation.values():
        automation = occurrences[0].automation
        automation.merchant = merchant
        outcomes.update(_Chunk(automation, occurrences, now).process())
    return outcomes


class _Chunk:
    """One automation's occurrences of a chunk, read together."""

    def __init__(self, automation: Automation, occurrences: list[AutomationOccurrence], now):
        self.automation, self.occurrences, self.now = automation, occurrences, now
        self.spec = KINDS[automation.kind]
        self.zone = merchant_zone(automation.merchant.timezone)
        member_ids = [occurrence.member_id for occurrence in occurrences]
        self.members = {
            member.pk: member
            for member in Member.objects.filter(pk__in=member_ids)
            .active()
            .only(
                "pk",
                "merchant_id",
                "email",
                "phone",
                "consent_email",
                "consent_sms",
                "last_activity_at",
            )
        }
        self.last_seen = self._last_seen(member_ids)
        self.reachable_rewards = self._reachable_rewards(occurrences, member_ids)
        self.suppressed = suppressed_addresses(
            merchant=automation.merchant,
            among={
                address
                for member in self.members.values()
                for address in (member.email, member.phone)
                if address
            },
        )
        self.recently_sent = (
            set(
                Delivery.objects.filter(
                    source=automation.source,
                    member_id__in=member_ids,
                    created_at__gte=now - timedelta(days=automation.cooldown_days),
                ).values_list("member_id", flat=True)
            )
            if automation.cooldown_days
            else set()
        )
        self.recent = (
            recent_marketing_counts(merchant=automation.merchant, now=now, member_ids=member_ids)
            if self.spec.promotional
            else {}
        )
        self.caps = campaign_settings_for(merchant=automation.merchant)
        self.quiet = quiet_hours_now(
            start=automation.quiet_start,
            end=automation.quiet_end,
            zone_name=automation.merchant.timezone,
            now=now,
        )
        self.deliveries: list[Delivery] = []

    def _last_seen(self, member_ids: list[int]) -> dict[int, str]:
        if self.automation.kind != AutomationKind.WIN_BACK:
            return {}
        rows = MemberStats.objects.filter(member_id__in=member_ids).values_list(
            "member_id", "last_seen_on"
        )
        return {member_id: day.isoformat() for member_id, day in rows}

    def _reachable_rewards(self, occurrences, member_ids: list[int]) -> set[tuple[int, str]]:
        """(member, occurrence) of a reward-within-reach whose reward is still offered and
        still within the member's reach (not deleted, switched off, or spent meanwhile)."""
        if self.automation.kind != AutomationKind.REWARD_REACH:
            return set()
        wanted = {o.occurrence.partition(":")[2] for o in occurrences}
        costs = dict(
            Reward.objects.filter(
                merchant_id=self.automation.merchant_id,
                is_active=True,
                pk__in=[int(pk) for pk in wanted if pk.isdigit()],
            ).values_list("pk", "points_cost")
        )
        balances = points_balances(member_ids=member_ids)
        percent = moment_number(kind=self.automation.kind, number=self.automation.moment_number)
        holding = set()
        for occurrence in occurrences:
            reward_id = occurrence.occurrence.partition(":")[2]
            cost = costs.get(int(reward_id)) if reward_id.isdigit() else None
            balance = balances.get(occurrence.member_id, 0)
            if cost is not None and balance >= within_reach(cost=cost, percent=percent):
                holding.add((occurrence.member_id, occurrence.occurrence))
        return holding

    def process(self) -> Counter:
        outcomes: Counter = Counter()
        waiting: list[AutomationOccurrence] = []
        for occurrence in self.occurrences:
            outcome = self._outcome(occurrence)
            if outcome is None:  # an SMS in the quiet hours
                waiting.append(occurrence)
                continue
            occurrence.outcome, occurrence.processed_at = outcome, self.now
            outcomes[outcome] += 1
        processed = [occurrence for occurrence in self.occurrences if occurrence.processed_at]
        AutomationOccurrence.objects.bulk_update(processed, ["outcome", "processed_at"])
        if waiting:
            ends = quiet_hours_end(
                end=self.automation.quiet_end,
                zone_name=self.automation.merchant.timezone,
                now=self.now,
            )
            AutomationOccurrence.objects.filter(pk__in=[o.pk for o in waiting]).update(due_at=ends)
        self._write_deliveries()
        return outcomes

    def _outcome(self, occurrence: AutomationOccurrence) -> str | None:
        automation, member = self.automation, self.members.get(occurrence.member_id)
        if not automation.enabled or occurrence.created_at < automation.enabled_at:
            return Outcome.OFF
        if member is None or not self._still_holds(occurrence, member):
            return Outcome.STALE
        reach = self._reach(member)
        if reach is None:
            return Outcome.UNREACHABLE
        if reach.channel == Channel.SMS and self.quiet:
            return None
        if member.pk in self.recently_sent:
            return Outcome.COOLDOWN
        if automation.cooldown_days:
            self.recently_sent.add(member.pk)  # two occurrences of one member in a chunk
        if self.spec.promotional and holdout_drawn(
            scope=f"automation-{automation.pk}",
            member_id=member.pk,
            percent=automation.holdout_percent,
        ):
            self._delivery(occurrence, reach, State.HOLDOUT)
            return Outcome.HOLDOUT
        if self.spec.promotional and over_cap(
            caps=self.caps, recent=self.recent.get(member.pk, (0, 0))
        ):
            self._delivery(occurrence, reach, State.SKIPPED, reason="frequency_cap")
            return Outcome.CAPPED
        self._delivery(occurrence, reach, State.QUEUED)
        week, day = self.recent.get(member.pk, (0, 0))
        self.recent[member.pk] = (week + 1, day + 1)
        return Outcome.QUEUED

    def _still_holds(self, occurrence: AutomationOccurrence, member: Member) -> bool:
        if self.automation.kind == AutomationKind.WIN_BACK:
            last_seen = occurrence.occurrence.partition(":")[2]
            # The member's activity marker is written with each visit; their statistics
            # only at the next refresh: a member back this morning is not won back.
            active_on = local_day(member.last_activity_at, self.zone).isoformat()
            return self.last_seen.get(member.pk) == last_seen and active_on <= last_seen
        if self.automation.kind == AutomationKind.REWARD_REACH:
            return (occurrence.member_id, occurrence.occurrence) in self.reachable_rewards
        return True

    def _reach(self, member: Member) -> Reach | None:
        reach = member_reach(
            channel=self.automation.channel,
            promotional=self.spec.promotional,
            email=member.email,
            phone=member.phone,
            consent={Channel.EMAIL: member.consent_email, Channel.SMS: member.consent_sms},
        )
        if reach is None or (reach.channel, reach.address) in self.suppressed:
            return None
        return reach

    def _delivery(self, occurrence, reach: Reach, state: str, reason: str = "") -> None:
        self.deliveries.append(
            Delivery(
                merchant_id=self.automation.merchant_id,
                member_id=occurrence.member_id,
                source=self.automation.source,
                occurrence=occurrence.occurrence,
                channel=reach.channel,
                purpose=Purpose.MARKETING if self.spec.promotional else Purpose.SERVICE,
                state=state,
                reason=reason,
                address=reach.address,
                created_at=self.now,
            )
        )

    def _write_deliveries(self) -> None:
        Delivery.objects.bulk_create(self.deliveries, ignore_conflicts=True)
        keys = [
            (d.member_id, d.occurrence, d.channel)
            for d in self.deliveries
            if d.state == State.QUEUED
        ]
        if not keys:
            return
        queued = Delivery.objects.filter(
            source=self.automation.source,
            state=State.QUEUED,
            member_id__in={member_id for member_id, _, _ in keys},
            occurrence__in={occurrence for _, occurrence, _ in keys},
        ).values_list("pk", flat=True)
        ids = list(queued)
        transaction.on_commit(lambda: [send_later(delivery_id=pk) for pk in ids])
