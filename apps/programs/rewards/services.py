"""Writes for the rewards catalog and redemption.

A manager keeps a catalog of rewards (a fixed discount, a percentage discount, a free
product), each with a point cost, an optional stock and optional validity days. Staff
redeem one for a member at the counter: under the member's points lock (the one lock of a
member's points) the balance is checked, the points leave the oldest lots first through
the ledger primitives of services.py, the stock drops by a conditional UPDATE, and a
redemption with a short code is issued. Voiding gives the points and the stock back once.

A coupon reward issues a coupon to use on a later visit (the coupons app does it on
`REWARD_REDEEMED`); a tier restriction is the tiers app's `extensions.REWARD_REFUSALS`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from apps.accounts.models import User
from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError, NotAllowed
from apps.core.events import (
    REDEMPTION_VOIDING,
    REWARD_REDEEMED,
    RedemptionVoiding,
    RewardRedeemed,
    publish,
)
from apps.core.extensions import reward_refusal
from apps.core.formatting import format_number
from apps.core.models import Location, Merchant, Role
from apps.core.stored_text import stored_list, stored_plural, stored_text
from apps.core.webhooks.models import WebhookEvent
from apps.core.webhooks.services import webhook_emit
from apps.members.identifiers import CARD_ALPHABET
from apps.members.models import Member
from apps.members.services import event_record
from apps.programs.points.ledger import ledger_credit, ledger_debit
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.points.models import EntryKind
from apps.programs.points.services import program_settings
from apps.programs.rewards.models import Redemption, RedemptionStatus, Reward, RewardKind
from apps.programs.rewards.selectors import merchant_today, reward_unavailable_reason

CODE_LENGTH = 8  # 32^8 ≈ 10^12 codes per merchant, none a cashier can misread
MAX_POINTS_COST = 1_000_000_000
MAX_STOCK = 1_000_000_000
MAX_DISCOUNT_AMOUNT = 10**12


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class RewardUnavailable(Conflict):
    """Inactive, out of stock, not valid yet or any more."""

    code = "reward_unavailable"


# The catalog -------------------------------------------------------------------------

_REWARD_FIELDS = (
    "name",
    "description",
    "kind",
    "points_cost",
    "discount_amount",
    "discount_percent",
    "product_name",
    "stock",
    "valid_from",
    "valid_until",
    "is_active",
)

# A reward's fields as the activity log names them ("Changed reward Coffee: stock"): in
# English, the field's name in the code.
_FIELD_WORDS = {
    "name": gettext_noop("name"),
    "description": gettext_noop("description"),
    # Translators: a reward's field, as the activity log lists what changed.
    "kind": gettext_noop("kind"),
    # Translators: a reward's field, as the activity log lists what changed.
    "points_cost": gettext_noop("points_cost"),
    # Translators: a reward's field, as the activity log lists what changed.
    "discount_amount": gettext_noop("discount_amount"),
    # Translators: a reward's field, as the activity log lists what changed.
    "discount_percent": gettext_noop("discount_percent"),
    # Translators: a reward's field, as the activity log lists what changed.
    "product_name": gettext_noop("product_name"),
    # Translators: a reward's field, as the activity log lists what changed.
    "stock": gettext_noop("stock"),
    # Translators: a reward's field, as the activity log lists what changed.
    "valid_from": gettext_noop("valid_from"),
    # Translators: a reward's field, as the activity log lists what changed.
    "valid_until": gettext_noop("valid_until"),
    # Translators: a reward's field, as the activity log lists what changed.
    "is_active": gettext_noop("is_active"),
}


def _int_in(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _clean_reward(values: dict, *, currency: str) -> dict:
    """The reward's fields checked together, with the value fields of other kinds
    cleared; a DomainError names the first bad field."""
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError(gettext("Give the reward a name."), field="name")
    if len(name) > 120:
        raise DomainError(gettext("Keep the name within 120 characters."), field="name")
    description = (values.get("description") or "").strip()
    if len(description) > 255:
        raise DomainError(
            gettext("Keep the description within 255 characters."), field="description"
        )
    kind = values.get("kind")
    if kind not in RewardKind.values:
        raise DomainError(gettext("Choose what the reward is."), field="kind")
    if not _int_in(values.get("points_cost"), 1, MAX_POINTS_COST):
        raise DomainError(
            gettext("The point cost must be a whole number above zero."), field="points_cost"
        )
    stock = values.get("stock")
    if stock is not None and not _int_in(stock, 0, MAX_STOCK):
        raise DomainError(
            gettext("The stock must be zero or more (empty: unlimited)."), field="stock"
        )
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    for field, day in (("valid_from", valid_from), ("valid_until", valid_until)):
        if day is not None and not isinstance(day, date):
            raise DomainError(gettext("Give a date."), field=field)
    if valid_from and valid_until and valid_until < valid_from:
        raise DomainError(gettext("The last day cannot be before the first."), field="valid_until")
    cleaned = {
        "name": name,
        "description": description,
        "kind": kind,
        "points_cost": values["points_cost"],
        "discount_amount": None,
        "currency": "",
        "discount_percent": None,
        "product_name": "",
        "stock": stock,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "is_active": bool(values.get("is_active", True)),
    }
    match kind:
        case RewardKind.FIXED_DISCOUNT | RewardKind.COUPON:
            if not _int_in(values.get("discount_amount"), 1, MAX_DISCOUNT_AMOUNT):
                raise DomainError(
                    gettext("Give the discount amount (more than zero)."), field="discount_amount"
                )
            cleaned |= {"discount_amount": values["discount_amount"], "currency": currency}
        case RewardKind.PERCENT_DISCOUNT:
            if not _int_in(values.get("discount_percent"), 1, 100):
                raise DomainError(
                    gettext("The percentage must be a whole number from 1 to 100."),
                    field="discount_percent",
                )
            cleaned["discount_percent"] = values["discount_percent"]
        case RewardKind.FREE_PRODUCT:
            product = (values.get("product_name") or "").strip()
            if not product:
                raise DomainError(gettext("Name the free product."), field="product_name")
            if len(product) > 120:
                raise DomainError(
                    gettext("Keep the product within 120 characters."), field="product_name"
                )
            cleaned["product_name"] = product
    return cleaned


@transaction.atomic(savepoint=False)
def reward_create(*, merchant: Merchant, actor: User | None, **fields) -> Reward:
    """Add a reward to the catalog. Fields as on the model; amounts in minor units."""
    unknown = set(fields) - set(_REWARD_FIELDS)
    if unknown:
        raise TypeError(f"unknown reward fields: {sorted(unknown)}")
    reward = Reward.objects.create(
        merchant=merchant, **_clean_reward(fields, currency=merchant.currency)
    )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="reward.created",
        summary=stored_plural(
            "Added reward %(name)s (%(count)s point)",
            "Added reward %(name)s (%(count)s points)",
            reward.points_cost,
            name=reward.name,
        ),
        target=reward,
        data={"points_cost": reward.points_cost, "kind": reward.kind},
    )
    return reward


@transaction.atomic(savepoint=False)
def reward_update(*, reward: Reward, actor: User | None, changes: dict) -> Reward:
    """Change some fields of a reward. Only the fields in `changes` are written (one
    UPDATE of those columns), so a stock the form did not touch is not overwritten with
    the number the manager saw while redemptions took some meanwhile."""
    unknown = set(changes) - set(_REWARD_FIELDS)
    if unknown:
        raise TypeError(f"unknown reward fields: {sorted(unknown)}")
    current = Reward.objects.get(pk=reward.pk)
    merged = {field: getattr(current, field) for field in _REWARD_FIELDS} | changes
    cleaned = _clean_reward(merged, currency=current.currency or reward.merchant.currency)
    written = {
        field: value
        for field, value in cleaned.items()
        if getattr(current, field) != value and (field != "stock" or "stock" in changes)
    }
    if written:
        Reward.objects.filter(pk=reward.pk).update(updated_at=timezone.now(), **written)
        audit_record(
            merchant=current.merchant,
            actor=actor,
            action="reward.updated",
            summary=stored_text(
                # Translators: %(fields)s lists what changed, e.g. "points_cost, stock".
                gettext_noop("Changed reward %(name)s: %(fields)s"),
                name=cleaned["name"],
                fields=stored_list([stored_text(_FIELD_WORDS[field]) for field in sorted(written)]),
            ),
            target=current,
            data={"fields": sorted(written)},
        )
    reward.refresh_from_db()
    return reward


def reward_set_active(*, reward: Reward, actor: User | None, active: bool) -> Reward:
    """Take a reward off the catalog (or put it back). Past redemptions keep it."""
    return reward_update(reward=reward, actor=actor, changes={"is_active": active})


# Redemption --------------------------------------------------------------------------


@dataclass(frozen=True)
class RedemptionResult:
    redemption: Redemption
    points_balance: int
    created: bool  # False when the external id was redeemed before: a retry


def _new_code() -> str:
    return "".join(secrets.choice(CARD_ALPHABET) for _ in range(CODE_LENGTH))


def _insert_with_code(redemption: Redemption) -> None:
    """Insert, drawing another code in the (one in a billion) case of a collision. An
    external id taken meanwhile by a redemption of another member is a Conflict."""
    for _attempt in range(5):
        redemption.code = _new_code()
        try:
            with transaction.atomic():
                redemption.save(force_insert=True)
            return
        except IntegrityError:
            others = Redemption.objects.for_merchant(redemption.merchant_id)
            if (
                redemption.external_id
                and others.filter(external_id=redemption.external_id).exists()
            ):
                raise _id_reused() from None
            if not others.filter(code=redemption.code).exists():
                raise
    raise RuntimeError("could not draw a free redemption code")


def _id_reused() -> Conflict:
    return Conflict(
        gettext("This redemption id was already used for another member or reward."),
        field="external_id",
        code="redemption_id_reused",
    )


@transaction.atomic(savepoint=False)
def reward_redeem(
    *,
    merchant: Merchant,
    member: Member,
    reward: Reward,
    actor: User | None = None,
    location: Location | None = None,
    external_id: str | None = None,
    now: datetime | None = None,
) -> RedemptionResult:
    """Spend the reward's points for the member and issue a redemption with a code.

    The member's points account is locked first, so however many tills and storefronts
    redeem at once the balance is checked and spent one request after the other and never
    goes below zero (the database's check constraint backs it). A limited stock drops by a
    conditional UPDATE (`stock > 0`), so it never goes below zero either. The same
    `external_id` again returns the first redemption and spends nothing more; with another
    member or reward it is a Conflict.
    """
    external_id = (external_id or "").strip()
    if len(external_id) > 100:
        raise DomainError(gettext("Keep the id within 100 characters."), field="external_id")
    if member.merchant_id != merchant.pk or not member.is_active:
        raise DomainError(gettext("This member cannot redeem here."), field="member")
    if reward.merchant_id != merchant.pk:
        raise DomainError(gettext("That reward belongs to another business."), field="reward")
    if location is not None and location.merchant_id != merchant.pk:
        raise DomainError(gettext("That location belongs to another business."), field="location")

    account = points_account_lock(member)
    if external_id:
        existing = Redemption.objects.for_merchant(merchant).filter(external_id=external_id).first()
        if existing is not None:
            if existing.member_id != member.pk or existing.reward_id != reward.pk:
                raise _id_reused()
            return RedemptionResult(existing, account.balance, created=False)

    at = now or timezone.now()
    reward = Reward.objects.get(pk=reward.pk)  # fresh: the catalog may have changed
    reason = reward_unavailable_reason(
        reward=reward, today=merchant_today(merchant=merchant, at=at)
    ) or reward_refusal(reward, member)
    if reason:
        raise RewardUnavailable(reason, field="reward")
    if account.balance < reward.points_cost:
        raise InsufficientPoints(
            ngettext(
                # Translators: %(name)s is the reward's name; %(cost)s its price in points.
                "%(name)s costs %(cost)s point; the balance is %(balance)s.",
                "%(name)s costs %(cost)s points; the balance is %(balance)s.",
                reward.points_cost,
            )
            % {
                "name": reward.name,
                "cost": format_number(reward.points_cost),
                "balance": format_number(account.balance),
            },
            field="reward",
        )
    if reward.stock is not None:
        taken = Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1)
        if not taken:
            raise RewardUnavailable(
                gettext("%(name)s is out of stock.") % {"name": reward.name}, field="reward"
            )

    redemption = Redemption(
        merchant=merchant,
        member=member,
        reward=reward,
        reward_name=reward.name,
        points=reward.points_cost,
        external_id=external_id,
        location=location,
        actor=actor,
        created_at=at,
    )
    _insert_with_code(redemption)
    spent = ledger_debit(
        account=account,
        kind=EntryKind.REDEEM,
        points=reward.points_cost,
        at=at,
        reason=stored_text(
            # Translators: a ledger line: the reward's name and the redemption's code.
            gettext_noop("%(reward)s · code %(code)s"),
            reward=reward.name,
            code=redemption.code,
        ),
        actor=actor,
    )
    if spent != reward.points_cost:  # the lots disagree with the balance: refuse, roll back
        raise RuntimeError(f"member {member.pk}: lots hold less than the balance")
    publish(REWARD_REDEEMED, RewardRedeemed(redemption, actor, account.balance))
    Member.objects.filter(pk=member.pk, last_activity_at__lt=at).update(last_activity_at=at)
    event_record(
        member=member,
        kind="redemption",
        summary=stored_plural(
            "Redeemed %(reward)s for %(count)s point (code %(code)s)",
            "Redeemed %(reward)s for %(count)s points (code %(code)s)",
            reward.points_cost,
            reward=reward.name,
            code=redemption.code,
        ),
        actor=actor,
        data={"redemption": redemption.pk, "reward": reward.pk, "points": reward.points_cost},
        occurred_at=at,
    )
    return RedemptionResult(redemption, account.balance, created=True)


def reward_redeemed_webhook(redeemed: RewardRedeemed) -> None:
    """`REWARD_REDEEMED`: the `reward.redeemed` webhook, queued with the redemption."""
    redemption = redeemed.redemption
    webhook_emit(
        merchant=redemption.merchant,
        event=WebhookEvent.REWARD_REDEEMED,
        data={
            "redemption": {"code": redemption.code, "external_id": redemption.external_id or None},
            "member": redemption.member.public_id,
            "reward": redemption.reward_name,
            "points": redemption.points,
            "points_balance": redeemed.points_balance,
        },
    )


def redemption_voidable(*, redemption: Redemption, role: str, now: datetime | None = None) -> bool:
    """Who may void: a manager or owner any time; counter staff only on the day of the
    redemption (the merchant's day), to undo a mistake at the till."""
    if redemption.status != RedemptionStatus.ISSUED:
        return False
    if Role.at_least(role, Role.MANAGER):
        return True
    merchant = redemption.merchant
    now = now or timezone.now()
    return merchant_today(merchant=merchant, at=redemption.created_at) == merchant_today(
        merchant=merchant, at=now
    )


@dataclass(frozen=True)
class VoidResult:
    redemption: Redemption
    points_returned: int
    voided: bool  # False when it was voided before: nothing more happened


@transaction.atomic(savepoint=False)
def redemption_void(
    *,
    redemption: Redemption,
    actor: User | None,
    role: str,
    reason: str = "",
    now: datetime | None = None,
) -> VoidResult:
    """Void an issued redemption: its points come back and a limited stock goes up by one.

    The flip issued → voided is a conditional UPDATE under the member's points lock, so
    voiding twice (or from two tills at once) returns the points once; the second call
    changes nothing and answers `voided=False`.

    Which expiry the returned points get: they come back as a new lot dated now, with the
    program's normal expiry from now (as if earned today), not the dates of the lots they
    were taken from (those may have expired meanwhile). As any credit, they first settle a
    shortfall the member owes from a refund.

    `role` is the acting person's role: staff may void only a redemption of the same day
    (`redemption_voidable`), managers any time.
    """
    reason = (reason or "").strip()[:255]
    at = now or timezone.now()
    account = points_account_lock(redemption.member)
    redemption = Redemption.objects.select_related("merchant", "member").get(pk=redemption.pk)
    if redemption.status != RedemptionStatus.ISSUED:
        return VoidResult(redemption, 0, voided=False)
    if not redemption_voidable(redemption=redemption, role=role, now=at):
        raise NotAllowed(
            gettext("Only a manager can void a redemption made on another day."),
            code="void_not_allowed",
        )
    publish(REDEMPTION_VOIDING, RedemptionVoiding(redemption, actor))
    flipped = Redemption.objects.filter(pk=redemption.pk, status=RedemptionStatus.ISSUED).update(
        status=RedemptionStatus.VOIDED, voided_at=at, voided_by=actor, void_reason=reason
    )
    if not flipped:
        return VoidResult(redemption, 0, voided=False)
    merchant = redemption.merchant
    returned = ledger_credit(
        account=account,
        kind=EntryKind.VOID,
        points=redemption.points,
        at=at,
        expiry_months=program_settings(merchant=merchant).expiry_months,
        reason=stored_text(
            # Translators: a ledger line: the reward's name and the redemption's code.
            gettext_noop("void of %(reward)s · code %(code)s"),
            reward=redemption.reward_name,
            code=redemption.code,
        ),
        actor=actor,
    )
    Reward.objects.filter(pk=redemption.reward_id, stock__isnull=False).update(stock=F("stock") + 1)
    event_record(
        member=redemption.member,
        kind="redemption_voided",
        summary=stored_plural(
            "Voided %(reward)s (code %(code)s): %(count)s point returned",
            "Voided %(reward)s (code %(code)s): %(count)s points returned",
            redemption.points,
            reward=redemption.reward_name,
            code=redemption.code,
        ),
        actor=actor,
        data={"redemption": redemption.pk, "points": redemption.points, "reason": reason},
        occurred_at=at,
    )
    audit_record(
        merchant=merchant,
        actor=actor,
        action="reward.redemption_voided",
        summary=stored_text(
            # Translators: %(reason)s is why, as the person who voided it typed it.
            gettext_noop("Voided redemption %(code)s (%(reward)s) of member %(member)s: %(reason)s")
            if reason
            else gettext_noop("Voided redemption %(code)s (%(reward)s) of member %(member)s"),
            code=redemption.code,
            reward=redemption.reward_name,
            member=redemption.member.public_id,
            reason=reason,
        ),
        target=redemption,
        data={"points": redemption.points, "credited": returned},
    )
    redemption.refresh_from_db()
    return VoidResult(redemption, redemption.points, voided=True)
