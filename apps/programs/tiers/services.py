"""Writes for tiers: the rules, and members moving up and down.

Rules chosen (docs/ARCHITECTURE.md, "VIP tiers"):

* Up at once: a purchase whose qualifying total (selectors.py) reaches a higher tier
  moves the member there in the purchase's transaction (`tiers_on_purchase`, a
  `PURCHASE_RECORDED` hook). That purchase earns at the rate of the tier the member had
  before it; the next one earns at the new rate.
* Down only at a review: a tier is reviewed at `review_at` (12 months after reaching or
  confirming it for a rolling window, the end of the calendar year otherwise), and acted
  on once `grace_days` more have passed. The member then keeps the tier that the better of
  two totals supports: the window ending at the review, or the window ending now (so what
  they bought during the grace period counts). The same or higher: confirmed (or moved
  up), with the next review after it; lower: moved down, possibly to no tier.
* Refunds lower the total but never move anyone down before their review.
* Rule changes re-place every member in the background (`reevaluation_start`): upgrades
  apply at once, members of a deactivated tier are placed where their total puts them
  (up or down), other downgrades wait for each member's review.

Every change is a `TierChange`, a timeline event "tier_changed" and a call of
`hooks.TIER_CHANGED`, all in the transaction that made it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from time import monotonic

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.models import Merchant
from apps.core.services import audit_record
from apps.core.stored_text import (
    StoredText,
    english,
    is_stored_text,
    stored_list,
    stored_text,
)
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.lock_objects import points_accounts_lock
from apps.programs.models import Purchase, Reward

from . import hooks
from .lock_objects import member_tier_lock, tier_reevaluation_lock, tier_settings_lock
from .models import (
    ChangeCause,
    Direction,
    JobStatus,
    Measure,
    MemberTier,
    Tier,
    TierChange,
    TierReevaluation,
    TierSettings,
    Window,
)
from .selectors import (
    member_tier_id,
    next_review,
    qualifying_total,
    qualifying_totals,
    ranks_above,
    tier_for_total,
    tier_settings,
    tier_terms,
    tiers_active,
)

logger = logging.getLogger(__name__)

REEVALUATION_BATCH = 500
TASK_SECONDS = 60
MAX_THRESHOLD = 10**12
OPEN = [JobStatus.QUEUED, JobStatus.RUNNING]

# What a rules change changed, as the activity log lists it ("Changed tier Gold: threshold,
# earn_percent"): the English is the field's name, as it always was.
CHANGED_WORDS = {
    # Translators: a tier's name, in a list of what a manager changed.
    "name": gettext_noop("name"),
    # Translators: a tier's threshold (what qualifies for it), in a list of what changed.
    "threshold": gettext_noop("threshold"),
    # Translators: a tier's earn rate (percent of the usual points), in a list of what changed.
    "earn_percent": gettext_noop("earn_percent"),
    # Translators: a tier's perks, in a list of what a manager changed.
    "perks": gettext_noop("perks"),
    # Translators: the rewards kept for a tier, in a list of what a manager changed.
    "rewards": gettext_noop("rewards"),
    # Translators: what qualifies for tiers (amount spent or points), in a list of what changed.
    "measure": gettext_noop("measure"),
    # Translators: the period over which tiers qualify, in a list of what changed.
    "window": gettext_noop("window"),
    # Translators: the grace period before a member moves down, in a list of what changed.
    "grace_days": gettext_noop("grace_days"),
}


def _changed_list(changed: list[str]) -> str | StoredText:
    return stored_list(
        [stored_text(CHANGED_WORDS[name]) if name in CHANGED_WORDS else name for name in changed]
    )


# Moving a member (in the caller's transaction, with the member locked) ----------------


def _move(
    *,
    member: Member,
    status: MemberTier,
    to_tier: Tier | None,
    cause: str,
    reason: str | StoredText,
    total: int,
    at: datetime,
    settings: TierSettings,
    review_at: datetime | None = None,
    actor: User | None = None,
    purchase: Purchase | None = None,
) -> TierChange:
    from_tier = status.tier
    up = ranks_above(to_tier, from_tier)
    reason_text = reason if is_stored_text(reason) else {}
    reason_english = english(reason) if is_stored_text(reason) else reason
    status.tier = to_tier
    status.since = at if to_tier else None
    if to_tier is None:
        status.review_at = None
    else:
        status.review_at = review_at or next_review(settings, member.merchant, at)
    status.save(update_fields=["tier", "since", "review_at", "updated_at"])
    change = TierChange.objects.create(
        merchant=member.merchant,
        member=member,
        from_tier=from_tier,
        to_tier=to_tier,
        from_name=from_tier.name if from_tier else "",
        to_name=to_tier.name if to_tier else "",
        direction=Direction.UP if up else Direction.DOWN,
        cause=cause,
        reason=reason_english[:255],
        reason_text=reason_text,
        qualifying_total=total,
        purchase=purchase,
        actor=actor,
        occurred_at=at,
    )
    no_tier = stored_text(gettext_noop("no tier"))
    before = from_tier.name if from_tier else no_tier
    after = to_tier.name if to_tier else no_tier
    if up:
        summary = stored_text(
            # Translators: a member's timeline; before and after are tier names (or "no tier"),
            # reason says why, e.g. "purchase 1042 reached Gold".
            gettext_noop("Tier up: %(before)s → %(after)s (%(reason)s)"),
            before=before,
            after=after,
            reason=reason,
        )
    else:
        summary = stored_text(
            gettext_noop("Tier down: %(before)s → %(after)s (%(reason)s)"),
            before=before,
            after=after,
            reason=reason,
        )
    event_record(
        member=member,
        kind="tier_changed",
        summary=summary,
        actor=actor,
        data={
            "change": change.pk,
            "from": change.from_name,
            "to": change.to_name,
            "cause": cause,
            "total": total,
        },
        occurred_at=at,
    )
    hooks.tier_changed(change)
    return change


def tiers_on_purchase(purchase: Purchase, *, account, lines, actor) -> dict:
    """`PURCHASE_RECORDED` hook: move the member up if this purchase made their
    qualifying total (the window ending at the purchase) reach a higher tier. The member's
    points account is locked by the purchase, so two purchases crossing at once move the
    member once."""
    member = purchase.member
    terms = tier_terms(purchase.merchant)
    if not terms.tiers:
        return {"tier": None, "tier_changed": False}
    current = terms.active_tier(member_tier_id(member))
    if current == terms.tiers[-1]:  # at the top: no total can move them
        return {"tier": current.name, "tier_changed": False}
    settings = terms.settings
    total = qualifying_total(member=member, end=purchase.occurred_at, settings=settings)
    target = tier_for_total(list(terms.tiers), total)
    if not ranks_above(target, current):
        return {"tier": current.name if current else None, "tier_changed": False}
    status = member_tier_lock(member)  # locked by the purchase already: re-read under it
    if not ranks_above(target, status.tier if status.tier and status.tier.is_active else None):
        return {"tier": status.tier.name if status.tier else None, "tier_changed": False}
    _move(
        member=member,
        status=status,
        to_tier=target,
        cause=ChangeCause.PURCHASE,
        reason=stored_text(
            # Translators: why a member moved up a tier; %(purchase)s is the ticket or order
            # number.
            gettext_noop("purchase %(purchase)s reached %(tier)s"),
            purchase=purchase.external_id,
            tier=target.name,
        ),
        total=total,
        at=purchase.occurred_at,
        settings=settings,
        actor=actor,
        purchase=purchase,
    )
    return {"tier": target.name, "tier_changed": True}


def tier_earn_percent(member: Member, at: datetime) -> int:
    """`EARN_PERCENT` hook: the member's tier's percent (100 without an active tier)."""
    tier = tier_terms(member.merchant).active_tier(member_tier_id(member))
    return tier.earn_percent if tier else 100


def tier_reward_check(reward: Reward, member: Member) -> str | None:
    """`REWARD_CHECKS` hook: "Gold members only" for a reward linked to tiers."""
    from .selectors import reward_refusal_for_tier

    return reward_refusal_for_tier(reward, member)


def tiers_merge(survivor: Member, duplicate: Member, actor: User | None) -> None:
    """A members merge handler: the survivor keeps the higher of the two tiers (with that
    tier's review date); the duplicate's row is emptied, not re-pointed (one per member)."""
    points_accounts_lock(survivor, duplicate)
    theirs = MemberTier.objects.select_related("tier").filter(member=duplicate).first()
    if theirs is None or theirs.tier is None:
        return
    ours = member_tier_lock(survivor)
    current = ours.tier if ours.tier and ours.tier.is_active else None
    if theirs.tier.is_active and ranks_above(theirs.tier, current):
        settings = tier_settings(survivor.merchant)
        _move(
            member=survivor,
            status=ours,
            to_tier=theirs.tier,
            cause=ChangeCause.MERGE,
            reason=stored_text(
                # Translators: why a member changed tier; %(card)s is the card code of the record
                # merged into theirs.
                gettext_noop("merged with %(card)s, who was %(tier)s"),
                card=duplicate.card_code_display,
                tier=theirs.tier.name,
            ),
            total=qualifying_total(member=duplicate, settings=settings),
            at=timezone.now(),
            settings=settings,
            review_at=theirs.review_at,
            actor=actor,
        )
    MemberTier.objects.filter(pk=theirs.pk).update(
        tier=None, since=None, review_at=None, updated_at=timezone.now()
    )


# Reviews (the nightly task) ----------------------------------------------------------


def _review_after(settings: TierSettings, merchant: Merchant, review_at, now) -> datetime:
    upcoming = next_review(settings, merchant, review_at)
    while upcoming <= now:
        upcoming = next_review(settings, merchant, upcoming)
    return upcoming


@transaction.atomic
def member_tier_review(*, member: Member, now: datetime) -> TierChange | None:
    """Review one member whose review (plus grace days) is due. Re-checked under the
    member's lock, so running it twice, or from two workers, acts once."""
    status = member_tier_lock(member)
    merchant = member.merchant
    settings = tier_settings(merchant)
    if status.review_at is None or status.review_at + timedelta(days=settings.grace_days) > now:
        return None
    tiers = tiers_active(merchant=merchant)
    total = max(
        qualifying_total(member=member, end=status.review_at, settings=settings),
        qualifying_total(member=member, end=now, settings=settings),
    )
    target = tier_for_total(tiers, total)
    following = _review_after(settings, merchant, status.review_at, now)
    if target is not None and status.tier is not None and target.pk == status.tier.pk:
        status.review_at = following
        status.save(update_fields=["review_at", "updated_at"])
        event_record(
            member=member,
            kind="tier_confirmed",
            summary=stored_text(
                # Translators: a member's timeline; %(tier)s is a tier name, %(date)s a date such
                # as "05 Mar 2027".
                gettext_noop("%(tier)s confirmed until the next review, %(date)s"),
                tier=target.name,
                date=f"{following:%d %b %Y}",
            ),
            data={"tier": target.name, "total": total},
            occurred_at=now,
        )
        return None
    if settings.window == Window.ROLLING_12:
        # Translators: why a member changed tier at their yearly review.
        reason = stored_text(gettext_noop("review of the last 12 months"))
    else:
        reason = stored_text(gettext_noop("review of the calendar year"))
    return _move(
        member=member,
        status=status,
        to_tier=target,
        cause=ChangeCause.REVIEW,
        reason=reason,  # the total is on the change: formatted by pages
        total=total,
        at=now,
        settings=settings,
        review_at=following,
    )


def tiers_review(*, now: datetime | None = None, batch: int = 500) -> int:
    """Review every member whose review date plus their merchant's grace days has passed.
    Safe to run twice or concurrently: each member is re-checked under its lock and gets
    a later review date. Returns the number of tier changes."""
    now = now or timezone.now()
    changes = 0
    merchant_ids = (
        MemberTier.objects.filter(review_at__lte=now)
        .order_by()
        .values_list("merchant_id", flat=True)
        .distinct()
    )
    for merchant in Merchant.objects.filter(pk__in=list(merchant_ids)).order_by("pk"):
        cutoff = now - timedelta(days=tier_settings(merchant).grace_days)
        after = 0
        while True:
            due = list(
                MemberTier.objects.for_merchant(merchant)
                .filter(review_at__lte=cutoff, member_id__gt=after)
                .select_related("member__merchant")
                .order_by("member_id")[:batch]
            )
            if not due:
                break
            for status in due:
                if member_tier_review(member=status.member, now=now):
                    changes += 1
            after = due[-1].member_id
    return changes


# Placing members again when the rules change ------------------------------------------


def _place(
    member: Member,
    *,
    at: datetime,
    actor: User | None,
    settings,
    tiers,
    reason: str | StoredText,
) -> TierChange | None:
    """Up to the tier the total supports, or out of a deactivated tier (under the lock)."""
    status = member_tier_lock(member)
    total = qualifying_total(member=member, end=at, settings=settings)
    target = tier_for_total(tiers, total)
    current = status.tier
    stale = current is not None and not current.is_active
    if not stale and not ranks_above(target, current):
        return None
    return _move(
        member=member,
        status=status,
        to_tier=target,
        cause=ChangeCause.RULES,
        reason=reason,
        total=total,
        at=at,
        settings=settings,
        actor=actor,
    )


def _reevaluate_batch(job: TierReevaluation, member_ids: list[int], at: datetime) -> int:
    merchant = job.merchant
    settings = tier_settings(merchant)
    tiers = tiers_active(merchant=merchant)
    totals = qualifying_totals(merchant=merchant, member_ids=member_ids, end=at, settings=settings)
    statuses = {
        status.member_id: status
        for status in MemberTier.objects.filter(member_id__in=member_ids).select_related("tier")
    }
    changes = 0
    for member_id in member_ids:
        status = statuses.get(member_id)
        current = status.tier if status else None
        target = tier_for_total(tiers, totals.get(member_id, 0))
        stale = current is not None and not current.is_active
        if stale or ranks_above(target, current):
            member = Member.objects.select_related("merchant").get(pk=member_id)
            if _place(
                member,
                at=at,
                actor=job.started_by,
                settings=settings,
                tiers=tiers,
                reason=job.reason_text or job.reason,
            ):
                changes += 1
    return changes


def reevaluation_start(
    *, merchant: Merchant, actor: User | None, reason: str | StoredText
) -> TierReevaluation:
    """Start placing every member again (in the caller's transaction, which must hold the
    tier settings lock). A run still going is superseded: it stops at its next batch and
    the new one starts from the first member."""
    from .tasks import tier_reevaluation_run

    now = timezone.now()
    TierReevaluation.objects.for_merchant(merchant).filter(status__in=OPEN).update(
        status=JobStatus.SUPERSEDED, finished_at=now, updated_at=now
    )
    job = TierReevaluation.objects.create(
        merchant=merchant,
        reason=(english(reason) if is_stored_text(reason) else reason)[:255],
        reason_text=reason if is_stored_text(reason) else {},
        started_by=actor,
        members_total=Member.objects.for_merchant(merchant).active().count(),
    )
    transaction.on_commit(lambda: tier_reevaluation_run.delay(job.pk))
    return job


def reevaluation_run(*, job_id: int, now: datetime | None = None) -> bool:
    """Place the members of a re-evaluation, batch by batch from its resume point. Safe to
    run twice, even at once: each batch locks the job row and moves the resume point in
    the same transaction, and placing a member again changes nothing. After
    `TASK_SECONDS` a run hands over to a new task. False when there was nothing to do."""
    from .tasks import tier_reevaluation_run

    started = TierReevaluation.objects.filter(pk=job_id, status__in=OPEN).update(
        status=JobStatus.RUNNING, failure="", failure_text={}, updated_at=timezone.now()
    )
    if not started:
        return False
    deadline = monotonic() + TASK_SECONDS
    try:
        while True:
            with transaction.atomic():
                job = tier_reevaluation_lock(job_id=job_id)
                if job.status != JobStatus.RUNNING:
                    return False  # superseded by a newer run, or finished by another worker
                member_ids = list(
                    Member.objects.for_merchant(job.merchant)
                    .active()
                    .filter(pk__gt=job.last_member_id)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:REEVALUATION_BATCH]
                )
                if not member_ids:
                    job.status = JobStatus.DONE
                    job.finished_at = timezone.now()
                    job.members_total = max(job.members_total, job.members_done)
                    job.save()
                    return True
                job.changes_count += _reevaluate_batch(job, member_ids, now or timezone.now())
                job.last_member_id = member_ids[-1]
                job.members_done += len(member_ids)
                job.save()
            if monotonic() > deadline:
                transaction.on_commit(lambda: tier_reevaluation_run.delay(job_id))
                return True
    except Exception as error:
        logger.exception("tier re-evaluation %s failed", job_id)
        failure = stored_text(
            # Translators: %(error)s is the technical name of the error.
            gettext_noop("Stopped by an error (%(error)s); resume to carry on."),
            error=type(error).__name__,
        )
        TierReevaluation.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            failure=english(failure)[:255],
            failure_text=failure,
            updated_at=timezone.now(),
        )
        raise


@transaction.atomic
def reevaluation_resume(*, job: TierReevaluation, actor: User | None) -> TierReevaluation:
    """Carry on a stopped re-evaluation from its last finished batch."""
    from .tasks import tier_reevaluation_run

    _tier_settings_locked(job.merchant)
    if TierReevaluation.objects.for_merchant(job.merchant).filter(status__in=OPEN).exists():
        raise Conflict(gettext("A re-evaluation is running already."), code="reevaluation_running")
    flipped = TierReevaluation.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED, failure="", failure_text={}, updated_at=timezone.now()
    )
    if flipped:
        transaction.on_commit(lambda: tier_reevaluation_run.delay(job.pk))
    job.refresh_from_db()
    return job


# The rules ----------------------------------------------------------------------------


def tier_settings_ensure(*, merchant: Merchant) -> None:
    """Give the merchant its `TierSettings` row, with the defaults, if it has none yet
    (`INSERT … ON CONFLICT DO NOTHING`, so two first uses at once make one row). Reads
    never create it: without a row they read the defaults (`selectors.tier_settings`)."""
    if not TierSettings.objects.for_merchant(merchant).exists():
        TierSettings.objects.bulk_create([TierSettings(merchant=merchant)], ignore_conflicts=True)


def _tier_settings_locked(merchant: Merchant) -> TierSettings:
    """The merchant's tier settings row, made if missing, locked (the tier rules' lock)."""
    tier_settings_ensure(merchant=merchant)
    return tier_settings_lock(merchant)


def _clean_tier(merchant: Merchant, values: dict) -> dict:
    name = " ".join((values.get("name") or "").split())
    if not name:
        raise DomainError(gettext("Give the tier a name."), field="name")
    if len(name) > 60:
        raise DomainError(gettext("Keep the name within 60 characters."), field="name")
    threshold = values.get("threshold")
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold <= 0:
        raise DomainError(gettext("The threshold must be more than zero."), field="threshold")
    if threshold > MAX_THRESHOLD:
        raise DomainError(
            gettext("That threshold is larger than anyone could reach."), field="threshold"
        )
    earn_percent = values.get("earn_percent", 100)
    if not isinstance(earn_percent, int) or not 100 <= earn_percent <= 1000:
        raise DomainError(
            gettext("The earn rate must be 100 to 1000 percent (100: no change)."),
            field="earn_percent",
        )
    perks = (values.get("perks") or "").strip()
    if len(perks) > 1000:
        raise DomainError(gettext("Keep the perks within 1000 characters."), field="perks")
    rewards = list(values.get("rewards") or [])
    if any(reward.merchant_id != merchant.pk for reward in rewards):
        raise DomainError(gettext("That reward belongs to another business."), field="rewards")
    return {
        "name": name,
        "threshold": threshold,
        "earn_percent": earn_percent,
        "perks": perks,
        "rewards": rewards,
    }


def _refuse_clash(merchant: Merchant, cleaned: dict, exclude_pk: int | None = None) -> None:
    others = Tier.objects.for_merchant(merchant).filter(is_active=True)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.filter(name__iexact=cleaned["name"]).exists():
        raise Conflict(gettext("Another tier has this name."), field="name", code="tier_name_taken")
    if others.filter(threshold=cleaned["threshold"]).exists():
        raise Conflict(
            gettext("Another tier starts at this threshold."),
            field="threshold",
            code="tier_threshold_taken",
        )


@transaction.atomic
def tier_create(*, merchant: Merchant, actor: User | None, **values) -> Tier:
    """Add a tier and place every member again (members who reach it move up)."""
    _tier_settings_locked(merchant)
    cleaned = _clean_tier(merchant, values)
    _refuse_clash(merchant, cleaned)
    rewards = cleaned.pop("rewards")
    tier = Tier.objects.create(merchant=merchant, **cleaned)
    tier.rewards.set(rewards)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="tier.created",
        summary=stored_text(
            gettext_noop("Added tier %(tier)s (threshold %(threshold)s)"),
            tier=tier.name,
            threshold=tier.threshold,
        ),
        target=tier,
        data={"threshold": tier.threshold, "earn_percent": tier.earn_percent},
    )
    reevaluation_start(
        merchant=merchant,
        actor=actor,
        # Translators: why every member is placed again ("Because tier Gold added"); %(tier)s is a
        # tier name.
        reason=stored_text(gettext_noop("tier %(tier)s added"), tier=tier.name),
    )
    return tier


@transaction.atomic
def tier_update(*, tier: Tier, actor: User | None, **values) -> Tier:
    """Change a tier. A new threshold places every member again; a new name, rate, perks
    or reward list applies as it is (nobody moves)."""
    merchant = tier.merchant
    _tier_settings_locked(merchant)
    tier = Tier.objects.get(pk=tier.pk)
    cleaned = _clean_tier(merchant, values)
    if tier.is_active:
        _refuse_clash(merchant, cleaned, exclude_pk=tier.pk)
    rewards = cleaned.pop("rewards")
    changed = sorted(field for field, value in cleaned.items() if getattr(tier, field) != value)
    if {reward.pk for reward in rewards} != set(tier.rewards.values_list("pk", flat=True)):
        changed.append("rewards")
    if not changed:
        return tier
    threshold_moved = tier.threshold != cleaned["threshold"]
    for field, value in cleaned.items():
        setattr(tier, field, value)
    tier.save()
    tier.rewards.set(rewards)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="tier.updated",
        summary=stored_text(
            # Translators: activity log; %(fields)s lists what changed, e.g. "threshold, perks".
            gettext_noop("Changed tier %(tier)s: %(fields)s"),
            tier=tier.name,
            fields=_changed_list(changed),
        ),
        target=tier,
        data={"fields": changed},
    )
    if threshold_moved and tier.is_active:
        reevaluation_start(
            merchant=merchant,
            actor=actor,
            reason=stored_text(gettext_noop("threshold of %(tier)s changed"), tier=tier.name),
        )
    return tier


@transaction.atomic
def tier_set_active(*, tier: Tier, actor: User | None, active: bool) -> Tier:
    """Deactivate a tier (its members are placed again, where their total puts them) or
    offer it again (members who reach it move up)."""
    merchant = tier.merchant
    _tier_settings_locked(merchant)
    tier = Tier.objects.get(pk=tier.pk)
    if tier.is_active == active:
        return tier
    if active:
        _refuse_clash(merchant, {"name": tier.name, "threshold": tier.threshold})
    tier.is_active = active
    tier.save(update_fields=["is_active", "updated_at"])
    if active:
        summary = stored_text(gettext_noop("Offered again tier %(tier)s"), tier=tier.name)
        reason = stored_text(gettext_noop("tier %(tier)s offered again"), tier=tier.name)
    else:
        summary = stored_text(gettext_noop("Deactivated tier %(tier)s"), tier=tier.name)
        reason = stored_text(gettext_noop("tier %(tier)s deactivated"), tier=tier.name)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="tier.activated" if active else "tier.deactivated",
        summary=summary,
        target=tier,
    )
    reevaluation_start(merchant=merchant, actor=actor, reason=reason)
    return tier


@transaction.atomic
def tier_settings_update(
    *, merchant: Merchant, actor: User | None, measure: str, window: str, grace_days: int
) -> TierSettings:
    """Change how tiers qualify. The measure cannot change while tiers are offered: their
    thresholds are points or money and would silently mean the other. A new measure or
    window places every member again; review dates already set stay."""
    settings = _tier_settings_locked(merchant)
    if measure not in Measure.values:
        raise DomainError(gettext("Choose what qualifies."), field="measure")
    if window not in Window.values:
        raise DomainError(gettext("Choose the qualifying window."), field="window")
    if not isinstance(grace_days, int) or not 0 <= grace_days <= 366:
        raise DomainError(gettext("The grace period must be 0 to 366 days."), field="grace_days")
    if (
        measure != settings.measure
        and Tier.objects.for_merchant(merchant).filter(is_active=True).exists()
    ):
        if settings.measure == Measure.SPEND:
            message = gettext(
                "Deactivate the tiers before changing what qualifies: their thresholds are in "
                "amount spent."
            )
        else:
            message = gettext(
                "Deactivate the tiers before changing what qualifies: their thresholds are in "
                "points earned."
            )
        raise Conflict(
            message,
            field="measure",
            code="tiers_measure_in_use",
        )
    moved = measure != settings.measure or window != settings.window
    changed = [
        name
        for name, value in (("measure", measure), ("window", window), ("grace_days", grace_days))
        if getattr(settings, name) != value
    ]
    if not changed:
        return settings
    settings.measure, settings.window, settings.grace_days = measure, window, grace_days
    settings.save()
    audit_record(
        merchant=merchant,
        actor=actor,
        action="tiers.settings_updated",
        summary=stored_text(
            gettext_noop("Changed the tier settings: %(fields)s"), fields=_changed_list(changed)
        ),
        target=settings,
        data={"measure": measure, "window": window, "grace_days": grace_days},
    )
    if moved and Tier.objects.for_merchant(merchant).filter(is_active=True).exists():
        reevaluation_start(
            merchant=merchant,
            actor=actor,
            reason=stored_text(gettext_noop("tier settings changed")),
        )
    return settings
