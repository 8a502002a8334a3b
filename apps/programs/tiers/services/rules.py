"""The rules, as the manager edits them: tiers, the tier settings, and resuming a stopped
re-evaluation. Each change takes the tier rules' lock and places every member again when
it could move them (reevaluation.py)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError
from apps.core.models import Merchant
from apps.core.stored_text import StoredText, stored_list, stored_text
from apps.programs.tiers.lock_objects import tier_settings_lock
from apps.programs.tiers.models import (
    JobStatus,
    Measure,
    Tier,
    TierReevaluation,
    TierSettings,
    Window,
)
from apps.programs.tiers.services.reevaluation import OPEN, reevaluation_start

MAX_THRESHOLD = 10**12

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


@transaction.atomic(savepoint=False)
def reevaluation_resume(*, job: TierReevaluation, actor: User | None) -> TierReevaluation:
    """Carry on a stopped re-evaluation from its last finished batch."""
    from apps.programs.tiers.tasks import tier_reevaluation_run

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


@transaction.atomic(savepoint=False)
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


@transaction.atomic(savepoint=False)
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


@transaction.atomic(savepoint=False)
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


@transaction.atomic(savepoint=False)
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
