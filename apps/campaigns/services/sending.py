"""Sending a campaign: freeze its audience into delivery rows, then send them in batches.

* `campaign_send` starts it (now, or at `send_at`: the minute's tick starts it then).
  Sending a campaign that has started is a `Conflict` (409).
* `campaign_freeze` (a task, one transaction under the campaign's lock) reads the segment's
  members today, keeps those the campaign may reach (an address on the channel; consent
  for a promotional one; the address not suppressed), picks the holdout among them by a
  stable hash of (campaign, member), then applies the frequency cap to the others, and
  writes one delivery row each in bulk: `queued`, `holdout`, or `skipped`
  (`frequency_cap`). A held-out member stays in the comparison whatever the cap says
  (intention to treat). Run twice, it writes nothing more: the rows are unique on
  (member, source, occurrence, channel) and the campaign remembers its frozen rules.
* `campaign_send_batch` (a task) claims the next queued rows at once and sends them,
  giving each treatment member the offer just before their message, and enqueues the
  next batch after the time the merchant's rate asks for: a campaign completes without
  Celery beat, also where tasks run eagerly. Up to `CAMPAIGN_SEND_CHAINS` such chains
  of batches send one campaign at once (their claims are disjoint; they share the rate)
  and carry the token of their run: a run started again (resumed, or restarted by the
  tick) draws a new one, and a batch of the old run stops. SMS waits out the quiet
  hours. Each row is
  sent by the delivery layer's own state machine (`delivery_send_claimed`, its hand-over
  committed before the message leaves), so a batch run twice, or a worker killed at any
  point, sends nobody twice; the rows a dead worker held are recovered by the deliveries'
  sweeper, and `campaigns_tick` restarts a campaign whose batches stopped.
"""

from __future__ import annotations

import logging
import math
import secrets
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.campaigns.audience import (
    holdout_drawn,
    member_reach,
    over_cap,
    quiet_hours_end,
    quiet_hours_now,
    recent_marketing_counts,
    suppressed_addresses,
)
from apps.campaigns.lock_objects import campaign_lock
from apps.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
)
from apps.campaigns.rendering import grant_key
from apps.campaigns.rules import rules_check
from apps.campaigns.selectors import campaign_settings_for, segment_members
from apps.campaigns.services.offers import offer_grant
from apps.core.audit import audit_record
from apps.core.errors import Conflict
from apps.core.stored_text import stored_text
from apps.messaging.batch import current_batch, deliveries_batch
from apps.messaging.models import Channel, Delivery, Purpose, State
from apps.messaging.services.batch_sending import (
    Claim,
    deliveries_claim,
    deliveries_claimed,
    deliveries_release,
    deliveries_take_back,
)
from apps.messaging.services.sending import delivery_send_claimed

logger = logging.getLogger(__name__)

INSERT_BATCH = 2000
PENDING = (State.QUEUED, State.CLAIMED, State.SENDING)
STARTED = (CampaignStatus.SENDING, CampaignStatus.SENT, CampaignStatus.PAUSED)


def tasks_run_inline() -> bool:
    """Tasks run inline (`make run`): batches then run in a loop in the task that froze
    the audience, not one task per batch (that would nest a call per batch, and ignore
    the waits)."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _freeze_later(campaign_id: int) -> None:
    from apps.campaigns.tasks import campaign_freeze_task

    transaction.on_commit(lambda: campaign_freeze_task.delay(campaign_id))


def _batch_later(campaign_id: int, *, token: str, countdown: float = 0) -> None:
    """The next batch of a chain of the run `token`."""
    from apps.campaigns.tasks import campaign_send_batch_task

    Campaign.objects.filter(pk=campaign_id).update(
        next_batch_at=timezone.now() + timedelta(seconds=countdown)
    )
    if tasks_run_inline():
        return
    transaction.on_commit(
        lambda: campaign_send_batch_task.apply_async(
            (campaign_id, token), countdown=countdown or None
        )
    )


def _chains_start(campaign_id: int) -> None:
    """A new run of batches: as many chains as there are batches to fill (at most
    `CAMPAIGN_SEND_CHAINS`), under a new token, so that a chain of an earlier run still
    going (its task was only late, not lost) stops at its next look."""
    queued = Delivery.objects.filter(source=f"campaign:{campaign_id}", state=State.QUEUED)
    limit = settings.CAMPAIGN_BATCH_SIZE * settings.CAMPAIGN_SEND_CHAINS
    batches = math.ceil(queued[:limit].count() / settings.CAMPAIGN_BATCH_SIZE)
    chains = max(1, min(settings.CAMPAIGN_SEND_CHAINS, batches))
    token = secrets.token_hex(8)
    Campaign.objects.filter(pk=campaign_id).update(send_chains=chains, send_token=token)
    for _ in range(chains):
        _batch_later(campaign_id, token=token)


def _audit(campaign: Campaign, actor: User | None, action: str, summary: str) -> None:
    audit_record(
        merchant=campaign.merchant,
        actor=actor,
        action=f"campaign.{action}",
        summary=stored_text(summary, name=campaign.name),
        target=campaign,
    )


@transaction.atomic(savepoint=False)
def campaign_send(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Send now, or schedule for `send_at`. A campaign that has started is a 409."""
    campaign = campaign_lock(campaign.pk)
    if campaign.status in (*STARTED, CampaignStatus.CANCELLED):
        raise Conflict(gettext("This campaign has already been sent."), code="campaign_sent")
    # The segment's rules were checked when saved; what they name may have gone since.
    rules_check(rules=campaign.segment.rules, merchant=campaign.merchant)
    if campaign.send_at and campaign.send_at > timezone.now():
        if campaign.status != CampaignStatus.SCHEDULED:
            campaign.status = CampaignStatus.SCHEDULED
            campaign.save(update_fields=["status", "updated_at"])
            _audit(campaign, actor, "scheduled", gettext_noop("Scheduled the campaign %(name)s"))
        return campaign
    _begin(campaign)
    _audit(campaign, actor, "sent", gettext_noop("Started sending the campaign %(name)s"))
    return campaign


def _begin(campaign: Campaign) -> None:
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = timezone.now()
    campaign.save(update_fields=["status", "started_at", "updated_at"])
    _freeze_later(campaign.pk)


@transaction.atomic(savepoint=False)
def campaign_pause(*, campaign: Campaign, actor: User | None) -> Campaign:
    campaign = campaign_lock(campaign.pk)
    if campaign.status != CampaignStatus.SENDING:
        raise Conflict(
            gettext("Only a campaign that is sending can be paused."), code="not_sending"
        )
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    # A batch under way cannot hand over the rows it claimed and has not sent yet.
    deliveries_take_back(source=campaign.source)
    _audit(campaign, actor, "paused", gettext_noop("Paused the campaign %(name)s"))
    return campaign


@transaction.atomic(savepoint=False)
def campaign_resume(*, campaign: Campaign, actor: User | None) -> Campaign:
    campaign = campaign_lock(campaign.pk)
    if campaign.status != CampaignStatus.PAUSED:
        raise Conflict(gettext("Only a paused campaign can be resumed."), code="not_paused")
    campaign.status = CampaignStatus.SENDING
    campaign.save(update_fields=["status", "updated_at"])
    if campaign.frozen_rules is None:
        _freeze_later(campaign.pk)
    else:
        _chains_start(campaign.pk)
    _audit(campaign, actor, "resumed", gettext_noop("Resumed the campaign %(name)s"))
    return campaign


@transaction.atomic(savepoint=False)
def campaign_cancel(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Stop for good: what was not sent yet is skipped (`cancelled`)."""
    campaign = campaign_lock(campaign.pk)
    if campaign.status in (CampaignStatus.SENT, CampaignStatus.CANCELLED):
        raise Conflict(gettext("This campaign has already ended."), code="campaign_ended")
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    # Also the rows a batch under way claimed and has not handed over yet: it cannot.
    Delivery.objects.filter(source=campaign.source, state__in=(State.QUEUED, State.CLAIMED)).update(
        state=State.SKIPPED, reason="cancelled"
    )
    _audit(campaign, actor, "cancelled", gettext_noop("Cancelled the campaign %(name)s"))
    return campaign


# Freezing the audience -----------------------------------------------------------------


def in_holdout(*, campaign_id: int, member_id: int, percent: int) -> bool:
    """Stable: the same member of the same campaign is always on the same side."""
    return holdout_drawn(scope=str(campaign_id), member_id=member_id, percent=percent)


@transaction.atomic(savepoint=False)
def campaign_freeze(*, campaign_id: int) -> int:
    """Write the campaign's delivery rows (once); returns the members reached."""
    campaign = campaign_lock(campaign_id)
    if campaign.status != CampaignStatus.SENDING or campaign.frozen_rules is not None:
        if campaign.status == CampaignStatus.SENDING:
            _chains_start(campaign.pk)
        return campaign.targeted
    now = timezone.now()
    rules = campaign.segment.rules
    members = segment_members(merchant=campaign.merchant, rules=rules).values_list(
        "pk", "email", "phone", "consent_email", "consent_sms"
    )
    promotional = campaign.kind == CampaignKind.PROMOTIONAL
    purpose = Purpose.MARKETING if promotional else Purpose.SERVICE
    suppressed = suppressed_addresses(merchant=campaign.merchant)
    recent = (
        recent_marketing_counts(merchant=campaign.merchant, now=now, exclude_source=campaign.source)
        if promotional
        else {}
    )
    caps = campaign_settings_for(merchant=campaign.merchant)
    rows, reached, left_out = [], 0, 0
    for member_id, email, phone, consent_email, consent_sms in members.iterator(chunk_size=5000):
        consent = {Channel.EMAIL: consent_email, Channel.SMS: consent_sms}
        reach = member_reach(
            channel=campaign.channel,
            promotional=promotional,
            email=email,
            phone=phone,
            consent=consent,
        )
        if reach is None:
            continue
        if (reach.channel, reach.address) in suppressed:
            left_out += 1
            continue
        reached += 1
        state, reason = State.QUEUED, ""
        if in_holdout(
            campaign_id=campaign.pk, member_id=member_id, percent=campaign.holdout_percent
        ):
            state = State.HOLDOUT
        elif promotional and over_cap(caps=caps, recent=recent.get(member_id, (0, 0))):
            state, reason = State.SKIPPED, "frequency_cap"
        rows.append(
            Delivery(
                merchant_id=campaign.merchant_id,
                member_id=member_id,
                source=campaign.source,
                occurrence="",
                channel=reach.channel,
                purpose=purpose,
                state=state,
                reason=reason,
                address=reach.address,
                created_at=now,
            )
        )
        if len(rows) >= INSERT_BATCH:
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    campaign.frozen_rules = rules
    campaign.targeted = reached
    campaign.left_out_suppressed = left_out
    campaign.save(update_fields=["frozen_rules", "targeted", "left_out_suppressed", "updated_at"])
    _chains_start(campaign.pk)
    return reached


# Sending in batches --------------------------------------------------------------------


def in_quiet_hours(*, campaign: Campaign, now: datetime) -> bool:
    return quiet_hours_now(
        start=campaign.quiet_start,
        end=campaign.quiet_end,
        zone_name=campaign.merchant.timezone,
        now=now,
    )


def _seconds_until_quiet_end(campaign: Campaign, now: datetime) -> float:
    end = quiet_hours_end(end=campaign.quiet_end, zone_name=campaign.merchant.timezone, now=now)
    return (end - now).total_seconds() + 1


@dataclass(frozen=True)
class BatchResult:
    sent: int
    finished: bool


def campaign_send_batch(*, campaign_id: int, token: str | None = None) -> BatchResult:
    """Send the next batch of queued rows, then enqueue the next batch of this chain (or
    finish). A batch of another run than the campaign's current one (`token`; None: the
    current one, whichever it is) stops at once."""
    campaign = Campaign.objects.select_related("merchant").get(pk=campaign_id)
    token = campaign.send_token if token is None else token
    if (
        campaign.status != CampaignStatus.SENDING
        or campaign.frozen_rules is None
        or campaign.send_token != token
    ):
        return BatchResult(0, finished=campaign.status == CampaignStatus.SENT)
    started, now = clock.monotonic(), timezone.now()
    quiet = in_quiet_hours(campaign=campaign, now=now)
    with deliveries_batch():  # one mail connection for the batch
        claim = deliveries_claim(
            source=campaign.source,
            limit=settings.CAMPAIGN_BATCH_SIZE,
            exclude_channels=(Channel.SMS,) if quiet else (),
        )
        try:
            sent, stopped = _send_claimed(campaign, claim)
        finally:
            deliveries_release(claim=claim)
    if stopped:
        return BatchResult(sent, finished=False)
    return _after_batch(campaign, sent=sent, quiet=quiet, elapsed=clock.monotonic() - started)


# How often a batch looks whether its campaign was paused or cancelled meanwhile. Either
# also takes back the rows the batch claimed, which it then cannot hand over: the look
# only spares it rendering what will not go.
STATUS_LOOK_SECONDS = 1.0


def _send_claimed(campaign: Campaign, claim: Claim) -> tuple[int, bool]:
    """The rows sent (or settled: skipped, failed), and whether the campaign stopped
    sending half-way."""
    sent, looked = 0, clock.monotonic()
    for delivery, verdict in deliveries_claimed(claim=claim):
        if clock.monotonic() - looked > STATUS_LOOK_SECONDS:
            if not _still_sending(campaign):
                return sent, True
            looked = clock.monotonic()
        if campaign.offer and verdict.state == State.QUEUED:
            _grant(campaign, delivery)
        delivery_send_claimed(delivery=delivery, verdict=verdict)
        sent += 1
    return sent, False


def _grant(campaign: Campaign, delivery: Delivery) -> None:
    """The offer, just before the message, unless its row was taken back since the claim
    (the campaign paused or cancelled): nobody gets the offer of a message that did not go.
    A member whose message cannot go (consent withdrawn, the address suppressed since the
    audience was frozen) was told apart by the verdict, and gets none either."""
    if Delivery.objects.filter(pk=delivery.pk, state=State.CLAIMED).exists():
        grant = offer_grant(campaign=campaign, member=delivery.member)
        current_batch().cache[grant_key(campaign.pk, delivery.member_id)] = grant


def _still_sending(campaign: Campaign) -> bool:
    """Still sending, by the same run."""
    runs = Campaign.objects.filter(pk=campaign.pk, send_token=campaign.send_token)
    return runs.filter(status=CampaignStatus.SENDING).exists()


def _after_batch(campaign: Campaign, *, sent: int, quiet: bool, elapsed: float) -> BatchResult:
    pending = Delivery.objects.filter(source=campaign.source, state__in=PENDING)
    if not pending.exists():
        return BatchResult(sent, finished=_finish(campaign.pk))
    rate = campaign_settings_for(merchant=campaign.merchant).send_rate_per_minute
    # Each of the run's chains keeps to its share of the rate.
    every = settings.CAMPAIGN_BATCH_SIZE * 60 * campaign.send_chains / max(rate, 1)
    countdown = max(0.0, every - elapsed)
    if sent == 0:
        # Nothing could go now: the SMS wait out the quiet hours, or a dead worker's rows
        # wait for the deliveries' sweeper.
        countdown = _seconds_until_quiet_end(campaign, timezone.now()) if quiet else 30
    with transaction.atomic():
        _batch_later(campaign.pk, token=campaign.send_token, countdown=countdown)
    return BatchResult(sent, finished=False)


def campaign_send_inline(*, campaign_id: int) -> None:
    """Where tasks run eagerly: the batches one after the other, until none can go now
    (the SMS in quiet hours, rows a dead worker held: the minute's tick comes back)."""
    while True:
        result = campaign_send_batch(campaign_id=campaign_id)
        if result.finished or result.sent == 0:
            return


@transaction.atomic(savepoint=False)
def _finish(campaign_id: int) -> bool:
    campaign = campaign_lock(campaign_id)
    if campaign.status != CampaignStatus.SENDING:
        return campaign.status == CampaignStatus.SENT
    campaign.status = CampaignStatus.SENT
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    return True


def campaigns_tick(*, now: datetime | None = None) -> int:
    """Every minute: start the scheduled campaigns that are due, and restart the batches of
    a sending campaign that stopped moving (its worker died between two batches)."""
    now = now or timezone.now()
    started = 0
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, send_at__lte=now)
    for campaign_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            campaign = campaign_lock(campaign_id)
            if campaign.status == CampaignStatus.SCHEDULED:
                _begin(campaign)
                started += 1
    # A cancelled campaign's row that a dead worker held comes back queued from the
    # deliveries' sweeper: it stays unsent, and says why.
    recently_cancelled = Campaign.objects.filter(
        status=CampaignStatus.CANCELLED, finished_at__gte=now - timedelta(days=1)
    ).values_list("pk", flat=True)
    for campaign_id in recently_cancelled:
        Delivery.objects.filter(source=f"campaign:{campaign_id}", state=State.QUEUED).update(
            state=State.SKIPPED, reason="cancelled"
        )
    # A batch's task lost (a broker restarted, a worker killed between two batches).
    stalled = Campaign.objects.filter(status=CampaignStatus.SENDING).filter(
        Q(next_batch_at__lt=now - timedelta(minutes=3))
        | Q(next_batch_at__isnull=True, updated_at__lt=now - timedelta(minutes=3))
    )
    for campaign in stalled.only("pk", "frozen_rules"):
        with transaction.atomic():
            if campaign.frozen_rules is None:
                Campaign.objects.filter(pk=campaign.pk).update(updated_at=now)
                _freeze_later(campaign.pk)
            else:
                _chains_start(campaign.pk)
        if tasks_run_inline():
            campaign_send_inline(campaign_id=campaign.pk)
    return started
