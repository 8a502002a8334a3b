"""Bonus points for actions (joining, a birthday, a completed profile, a review, a share,
any custom event a storefront reports), each capped per member and period.

`bonus_award` is the one way in: the enrollment and profile events, the birthday
task and (later) the API's events endpoint all call it. It is idempotent by external id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext

from apps.accounts.models import User
from apps.core.errors import Conflict, DomainError
from apps.core.events import MemberEnrolled, MemberProfileChanged
from apps.core.models import Merchant
from apps.core.stored_text import stored_plural, stored_text
from apps.members.models import Member
from apps.members.selectors import members_with_birthday_on
from apps.members.services import event_record
from apps.programs.points.day_totals import day_totals_add
from apps.programs.points.ledger import ledger_credit
from apps.programs.points.lock_objects import points_account_lock
from apps.programs.points.models import BonusAction, BonusAward, BonusRule, CapPeriod, EntryKind
from apps.programs.points.services import program_settings

# The actions as a member's timeline names them, in a sentence ("Bonus for birthday: ...").
ACTION_WORDS = {
    BonusAction.JOIN: gettext_noop("joining"),
    BonusAction.BIRTHDAY: gettext_noop("birthday"),
    BonusAction.PROFILE: gettext_noop("completing the profile"),
    BonusAction.REVIEW: gettext_noop("writing a review"),
    BonusAction.SOCIAL_SHARE: gettext_noop("sharing on social media"),
    BonusAction.CUSTOM: gettext_noop("custom event (from the storefront)"),
}


@dataclass(frozen=True)
class BonusResult:
    points: int
    reason: str
    created: bool


def _period_start(period: str, at: datetime, zone: str) -> datetime | None:
    """The start of the cap's period containing `at`, in the merchant's time zone."""
    local = at.astimezone(ZoneInfo(zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    match period:
        case CapPeriod.DAY:
            return midnight
        case CapPeriod.WEEK:
            return midnight - timedelta(days=local.weekday())
        case CapPeriod.MONTH:
            return midnight.replace(day=1)
        case CapPeriod.YEAR:
            return midnight.replace(month=1, day=1)
    return None  # ever


@transaction.atomic(savepoint=False)
def bonus_award(
    *,
    merchant: Merchant,
    member: Member,
    action: str,
    external_id: str,
    event_type: str = "",
    actor: User | None = None,
    at: datetime | None = None,
) -> BonusResult:
    """Give the bonus of `action` (or of the custom `event_type`) if a rule exists and the
    member is under its cap. The same external id again answers the same, once."""
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 100:
        raise DomainError(
            gettext("Give the event an id (up to 100 characters)."), field="external_id"
        )
    if action not in BonusAction.values:
        raise DomainError(gettext("Unknown action."), field="action")
    if member.merchant_id != merchant.pk or not member.is_active:
        raise DomainError(gettext("This member cannot earn here."), field="member")
    event_type = event_type.strip() if action == BonusAction.CUSTOM else ""
    rule = (
        BonusRule.objects.for_merchant(merchant)
        .filter(action=action, event_type=event_type, is_active=True)
        .first()
    )
    if (
        rule is None
        and not BonusAward.objects.for_merchant(merchant).filter(external_id=external_id).exists()
    ):
        return BonusResult(0, gettext("no bonus is set up for this action"), created=False)
    account = points_account_lock(member)  # a retry waits here for the first to finish
    existing = BonusAward.objects.for_merchant(merchant).filter(external_id=external_id).first()
    if existing is not None:
        if existing.member_id != member.pk:
            raise Conflict(
                gettext("This event id was used for another member."), field="external_id"
            )
        return BonusResult(existing.points, pgettext("bonus", "already recorded"), created=False)
    if rule is None:
        return BonusResult(0, gettext("no bonus is set up for this action"), created=False)
    at = at or timezone.now()
    start = _period_start(rule.cap_period, at, merchant.timezone)
    given = BonusAward.objects.filter(member=member, rule=rule, points__gt=0)
    if start is not None:
        given = given.filter(occurred_at__gte=start)
    capped = given.count() >= rule.cap_count
    points = 0 if capped else rule.points
    BonusAward.objects.create(
        merchant=merchant,
        member=member,
        rule=rule,
        external_id=external_id,
        points=points,
        occurred_at=at,
    )
    day_totals_add(merchant_id=merchant.pk, member_id=member.pk, at=at, points=points)
    if capped:
        # Translators: why no bonus was given, e.g. "the cap of 1 per year is reached".
        reason = gettext("the cap of %(count)d %(period)s is reached") % {
            "count": rule.cap_count,
            "period": rule.get_cap_period_display(),
        }
        return BonusResult(0, reason, True)
    ledger_credit(
        account=account,
        kind=EntryKind.BONUS,
        points=points,
        at=at,
        expiry_months=program_settings(merchant=merchant).expiry_months,
        # Translators: a ledger line; %(rule)s is e.g. "Birthday: 100 points, 1× per year".
        reason=stored_text(gettext_noop("bonus: %(rule)s"), rule=rule.stored_name()),
        actor=actor,
    )
    event_record(
        member=member,
        kind="bonus",
        summary=stored_plural(
            # Translators: %(action)s is e.g. "birthday" or "writing a review".
            "Bonus for %(action)s: %(count)s point",
            "Bonus for %(action)s: %(count)s points",
            points,
            action=stored_text(ACTION_WORDS[BonusAction(rule.action)]),
        ),
        actor=actor,
        data={"rule": rule.pk, "points": points},
        occurred_at=at,
    )
    return BonusResult(points, pgettext("bonus", "awarded"), created=True)


# What a storefront reports by name (`POST events/`): these two are actions of their own;
# any other name is a custom event set up in the program.
_NAMED_ACTIONS = {BonusAction.REVIEW, BonusAction.SOCIAL_SHARE}


def event_bonus_award(
    *, merchant: Merchant, member: Member, event: str, external_id: str
) -> BonusResult:
    """A customer's action reported by name ("review", "social_share", or a custom
    event's name): its bonus, within its caps, once per external id."""
    event = (event or "").strip()
    if not event:
        raise DomainError(gettext("Name the event."), field="type")
    if event in _NAMED_ACTIONS:
        return bonus_award(merchant=merchant, member=member, action=event, external_id=external_id)
    return bonus_award(
        merchant=merchant,
        member=member,
        action=BonusAction.CUSTOM,
        event_type=event,
        external_id=external_id,
    )


def join_bonus(enrolled: MemberEnrolled) -> None:
    """`MEMBER_ENROLLED`: the join bonus, except for imported members (they joined before)."""
    member, actor = enrolled.member, enrolled.actor
    if member.channel != "import":
        bonus_award(
            merchant=member.merchant,
            member=member,
            action=BonusAction.JOIN,
            external_id=f"join-{member.public_id}",
            actor=actor,
        )


def profile_bonus(changed: MemberProfileChanged) -> None:
    """`MEMBER_PROFILE_CHANGED`: once the name, both contacts and the birthday are all there."""
    member, actor = changed.member, changed.actor
    if all((member.first_name, member.last_name, member.email, member.phone, member.birthday)):
        bonus_award(
            merchant=member.merchant,
            member=member,
            action=BonusAction.PROFILE,
            external_id=f"profile-{member.public_id}",
            actor=actor,
        )


def birthday_bonus_id(*, member: Member, year: int) -> str:
    """The external id of a member's birthday bonus of a year: whoever gives it (this
    hourly task, or the birthday automation just before its message), once."""
    return f"birthday-{member.public_id}-{year}"


def birthday_bonus_give(*, member: Member, year: int, at: datetime | None = None) -> int:
    """The member's birthday bonus of `year`, given now if not yet (and if the program has
    one): its points, 0 without."""
    result = bonus_award(
        merchant=member.merchant,
        member=member,
        action=BonusAction.BIRTHDAY,
        external_id=birthday_bonus_id(member=member, year=year),
        at=at,
    )
    return result.points


def birthday_bonuses(*, today_utc: datetime | None = None) -> int:
    """Give today's birthday bonuses (today in each merchant's time zone; 29 February's
    on 28 February in other years). Safe to run twice a day: the external id names the
    member and the year."""
    now = today_utc or timezone.now()
    given = 0
    for rule in BonusRule.objects.filter(
        action=BonusAction.BIRTHDAY, is_active=True
    ).select_related("merchant"):
        local = now.astimezone(ZoneInfo(rule.merchant.timezone)).date()
        members = members_with_birthday_on(merchant=rule.merchant, day=local)
        for member in members.iterator(chunk_size=1000):
            result = bonus_award(
                merchant=rule.merchant,
                member=member,
                action=BonusAction.BIRTHDAY,
                external_id=birthday_bonus_id(member=member, year=local.year),
                at=now,
            )
            given += result.created and result.points > 0
    return given
