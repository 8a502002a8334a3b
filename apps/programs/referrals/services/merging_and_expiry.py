"""Merges of two members' records, and the hourly sweep (expiry, lost tasks)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_noop

from apps.core.events import MembersMerging
from apps.core.stored_text import english, stored_text
from apps.programs.points.lock_objects import points_accounts_lock
from apps.programs.referrals.lock_objects import referrals_between_lock
from apps.programs.referrals.models import Referral, ReferralStatus, ReferrerState
from apps.programs.referrals.services.rewards import (
    referral_reverse,
    referrer_settle,
    referrer_settle_locked,
)


def referral_merge(merging: MembersMerging) -> None:
    """`MEMBERS_MERGING`: two records of one person become one.

    A referral between the two was a self-referral: it is rejected if pending, reversed
    if rewarded (both sides taken back from the survivor, who now holds both records'
    points). Referrals the duplicate made move to the survivor. The duplicate's own
    referral moves too, unless the survivor was referred already (then a pending one is
    rejected, and a rewarded one stays on the merged record, as history). Codes stay
    with their records: the duplicate's code keeps leading to the survivor.
    """
    survivor, duplicate, actor = merging.survivor, merging.duplicate, merging.actor
    pair = {survivor.pk, duplicate.pk}
    between = referrals_between_lock(member_ids=pair)
    at = timezone.now()
    for referral in between:
        if referral.status == ReferralStatus.PENDING:
            end = stored_text(gettext_noop("self-referral: the two records were merged"))
            Referral.objects.filter(pk=referral.pk).update(
                status=ReferralStatus.REJECTED,
                ended_at=at,
                end_reason=english(end),
                end_reason_text=end,
            )
        elif referral.status == ReferralStatus.REWARDED:
            target, _source = points_accounts_lock(survivor, duplicate)
            referral_reverse(
                referral=referral,
                account=target,
                actor=actor,
                at=at,
                reason=stored_text(gettext_noop("self-referral (merge)")),
            )
            referral.refresh_from_db()
            if referral.referrer_state == ReferrerState.TAKE_BACK:
                referrer_settle_locked(
                    referral=referral, referrer=survivor, merchant=survivor.merchant, account=target
                )
    Referral.objects.filter(referrer=duplicate).exclude(referred_id__in=pair).update(
        referrer=survivor
    )
    moved = Referral.objects.filter(referred=duplicate).exclude(referrer_id__in=pair)
    if Referral.objects.filter(referred=survivor).exists():
        end = stored_text(gettext_noop("merged into a record that was referred already"))
        moved.filter(status=ReferralStatus.PENDING).update(
            status=ReferralStatus.REJECTED,
            ended_at=at,
            end_reason=english(end),
            end_reason_text=end,
        )
    else:
        moved.update(referred=survivor)


def referrals_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Hourly: expire pending referrals past their window, and settle referrer sides a
    lost task left due for more than ten minutes. Safe to run twice."""
    now = now or timezone.now()
    end = stored_text(gettext_noop("no qualifying purchase"))
    expired = Referral.objects.filter(status=ReferralStatus.PENDING, window_ends_at__lt=now).update(
        status=ReferralStatus.EXPIRED, ended_at=now, end_reason=english(end), end_reason_text=end
    )
    stale = Referral.objects.filter(
        referrer_state__in=[ReferrerState.DUE, ReferrerState.TAKE_BACK],
        converted_at__lt=now - timedelta(minutes=10),
    ).values_list("pk", flat=True)
    settled = 0
    for pk in list(stale[:1000]):
        referrer_settle(referral_id=pk)
        settled += 1
    return {"expired": expired, "settled": settled}
