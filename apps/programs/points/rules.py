"""Writes for how points are earned: the base rate, expiry, multipliers, promotions."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError
from apps.core.merchant_config import merchant_config_changed
from apps.core.models import Location, Merchant
from apps.core.stored_text import stored_plural, stored_text
from apps.programs.points.lock_objects import program_settings_lock
from apps.programs.points.models import EarnMultiplier, MultiplierTarget, ProgramSettings, Promotion
from apps.programs.points.services import program_settings_ensure

# `program_settings_update`'s "leave the final reminder as it is" (None turns it off).
UNCHANGED = object()


def _check_percent(percent: int) -> None:
    if not isinstance(percent, int) or not 100 <= percent <= 1000:
        raise DomainError(
            # xgettext:no-python-format
            gettext("Give a multiplier from 100 % (normal) to 1000 % (ten times)."),
            field="percent",
        )


@transaction.atomic(savepoint=False)
def program_settings_update(
    *,
    merchant: Merchant,
    actor: User,
    points_per_unit: int,
    expiry_months: int | None,
    reminder_days: int | None = None,
    final_reminder_days: int | None | object = UNCHANGED,
) -> ProgramSettings:
    """`reminder_days` None, or `final_reminder_days` not given, keeps what is set;
    `final_reminder_days` None means no final reminder."""
    if not isinstance(points_per_unit, int) or not 0 <= points_per_unit <= 10_000:
        raise DomainError(gettext("Points per unit must be 0 to 10,000."), field="points_per_unit")
    if expiry_months is not None and not 1 <= expiry_months <= 120:
        raise DomainError(
            gettext("Expiry must be 1 to 120 months, or never."), field="expiry_months"
        )
    if reminder_days is not None and not 1 <= reminder_days <= 365:
        raise DomainError(gettext("Remind 1 to 365 days before."), field="reminder_days")
    if final_reminder_days not in (UNCHANGED, None) and (
        not isinstance(final_reminder_days, int) or not 1 <= final_reminder_days <= 364
    ):
        raise DomainError(
            gettext("The final reminder must be 1 to 364 days before, or none."),
            field="final_reminder_days",
        )
    program_settings_ensure(merchant=merchant)
    settings = program_settings_lock(merchant=merchant)
    settings.points_per_unit, settings.expiry_months = points_per_unit, expiry_months
    if reminder_days is not None:
        settings.reminder_days = reminder_days
    if final_reminder_days is not UNCHANGED:
        settings.final_reminder_days = final_reminder_days
    final = settings.final_reminder_days
    if final is not None and final >= settings.reminder_days:
        raise DomainError(
            gettext("The final reminder must come fewer days before expiry than the first."),
            field="final_reminder_days",
        )
    settings.save()
    expiry = (
        stored_plural(
            "expire after %(count)s month",
            "expire after %(count)s months",
            expiry_months,
        )
        if expiry_months
        else stored_text(gettext_noop("never expire"))
    )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="program.updated",
        summary=stored_text(
            # Translators: %(expiry)s is e.g. "expire after 12 months" or "never expire".
            gettext_noop("Points: %(points)s per unit, %(expiry)s (new points only)"),
            points=points_per_unit,
            expiry=expiry,
        ),
        target=settings,
    )
    return settings


@transaction.atomic(savepoint=False)
def multiplier_create(
    *, merchant: Merchant, actor: User, target: str, value: str, percent: int
) -> EarnMultiplier:
    if target not in MultiplierTarget.values:
        raise DomainError(gettext("Choose a category or a product."), field="target")
    value = " ".join((value or "").split())
    if not value or len(value) > 100:
        raise DomainError(
            gettext("Name the category or product (up to 100 characters)."), field="value"
        )
    _check_percent(percent)
    try:
        with transaction.atomic():
            rule = EarnMultiplier.objects.create(
                merchant=merchant, target=target, value=value, percent=percent
            )
    except IntegrityError as error:
        raise Conflict(gettext("There is a multiplier for this already."), field="value") from error
    audit_record(
        merchant=merchant,
        actor=actor,
        action="program.multiplier_created",
        summary=stored_text(gettext_noop("Multiplier: %(rule)s"), rule=rule.stored_name()),
        target=rule,
    )
    return rule


@transaction.atomic(savepoint=False)
def promotion_create(
    *,
    merchant: Merchant,
    actor: User,
    name: str,
    percent: int,
    starts_at: datetime,
    ends_at: datetime,
    locations: list[Location] = (),
) -> Promotion:
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise DomainError(gettext("Name the promotion (up to 120 characters)."), field="name")
    _check_percent(percent)
    if ends_at <= starts_at:
        raise DomainError(gettext("The promotion must end after it starts."), field="ends_at")
    if any(location.merchant_id != merchant.pk for location in locations):
        raise DomainError(gettext("Choose this business's locations."), field="locations")
    promotion = Promotion.objects.create(
        merchant=merchant, name=name, percent=percent, starts_at=starts_at, ends_at=ends_at
    )
    promotion.locations.set(locations)
    audit_record(
        merchant=merchant,
        actor=actor,
        action="program.promotion_created",
        summary=stored_text(
            # Translators: %(factor)s multiplies the points earned, e.g. ×2 or ×1.5.
            gettext_noop("Promotion %(name)s: ×%(factor)s"),
            name=name,
            factor=f"{percent / 100:g}",
        ),
        target=promotion,
    )
    return promotion


@transaction.atomic(savepoint=False)
def rule_set_active(*, rule: EarnMultiplier | Promotion, actor: User, active: bool) -> None:
    type(rule).objects.filter(pk=rule.pk).update(is_active=active)
    merchant_config_changed(rule.merchant_id)
    audit_record(
        merchant=rule.merchant,
        actor=actor,
        action="program.rule_toggled",
        summary=stored_text(
            # Translators: %(rule)s is a product multiplier or a promotion.
            gettext_noop("Resumed %(rule)s") if active else gettext_noop("Stopped %(rule)s"),
            rule=rule.stored_name(),
        ),
        target=rule,
    )


@transaction.atomic(savepoint=False)
def bonus_rule_create(
    *,
    merchant: Merchant,
    actor: User,
    action: str,
    points: int,
    cap_count: int,
    cap_period: str,
    event_type: str = "",
):
    from apps.programs.points.models import BonusAction, BonusRule, CapPeriod

    if action not in BonusAction.values:
        raise DomainError(gettext("Choose an action."), field="action")
    event_type = " ".join((event_type or "").split()) if action == BonusAction.CUSTOM else ""
    if action == BonusAction.CUSTOM and not event_type:
        raise DomainError(gettext("Name the event type the storefront sends."), field="event_type")
    if not isinstance(points, int) or not 1 <= points <= 1_000_000:
        raise DomainError(gettext("Give 1 to 1,000,000 points."), field="points")
    if not isinstance(cap_count, int) or not 1 <= cap_count <= 1000:
        raise DomainError(gettext("Allow it 1 to 1,000 times."), field="cap_count")
    if cap_period not in CapPeriod.values:
        raise DomainError(gettext("Choose a period."), field="cap_period")
    try:
        with transaction.atomic():
            rule = BonusRule.objects.create(
                merchant=merchant,
                action=action,
                event_type=event_type,
                points=points,
                cap_count=cap_count,
                cap_period=cap_period,
            )
    except IntegrityError as error:
        raise Conflict(
            gettext("There is a bonus for this action already."), field="action"
        ) from error
    audit_record(
        merchant=merchant,
        actor=actor,
        action="program.bonus_created",
        summary=stored_text(gettext_noop("Bonus: %(rule)s"), rule=rule.stored_name()),
        target=rule,
    )
    return rule
