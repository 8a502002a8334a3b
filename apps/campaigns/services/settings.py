"""The merchant's limits on campaigns: promotional messages a member gets a week and a
day, and the pace of a send."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from apps.accounts.models import User
from apps.campaigns.models import CampaignSettings
from apps.core.audit import audit_record
from apps.core.errors import DomainError
from apps.core.models import Merchant
from apps.core.stored_text import stored_text

MAX_PER_WEEK = 50
MAX_PER_DAY = 10
MAX_RATE = 100_000


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def campaign_settings_ensure(*, merchant: Merchant) -> CampaignSettings:
    """The merchant's row, made with the defaults if it has none yet (`INSERT … ON
    CONFLICT DO NOTHING`: two first saves at once make one row). Reads never make it:
    `selectors.campaign_settings_for` answers the defaults."""
    found = CampaignSettings.objects.for_merchant(merchant).first()
    if found is None:
        CampaignSettings.objects.bulk_create(
            [CampaignSettings(merchant=merchant)], ignore_conflicts=True
        )
        found = CampaignSettings.objects.for_merchant(merchant).get()
    return found


def _checked(cap_per_week, cap_per_day, send_rate_per_minute) -> None:
    if not _whole(cap_per_week, 0, MAX_PER_WEEK):
        raise DomainError(
            gettext("Give 0 to %(most)d a week.") % {"most": MAX_PER_WEEK}, field="cap_per_week"
        )
    if not _whole(cap_per_day, 0, MAX_PER_DAY):
        raise DomainError(
            gettext("Give 0 to %(most)d a day.") % {"most": MAX_PER_DAY}, field="cap_per_day"
        )
    if cap_per_day > cap_per_week:
        raise DomainError(gettext("A day's limit cannot be above the week's."), field="cap_per_day")
    if not _whole(send_rate_per_minute, 1, MAX_RATE):
        raise DomainError(
            gettext("Give 1 to %(most)d messages a minute.") % {"most": MAX_RATE},
            field="send_rate_per_minute",
        )


@transaction.atomic(savepoint=False)
def campaign_settings_update(
    *,
    merchant: Merchant,
    actor: User | None,
    cap_per_week: int,
    cap_per_day: int,
    send_rate_per_minute: int,
) -> CampaignSettings:
    """Set the limits; the next campaign frozen follows them (one sending keeps its
    audience, and its next batch follows the new pace)."""
    _checked(cap_per_week, cap_per_day, send_rate_per_minute)
    found = campaign_settings_ensure(merchant=merchant)
    found.cap_per_week = cap_per_week
    found.cap_per_day = cap_per_day
    found.send_rate_per_minute = send_rate_per_minute
    found.save()
    audit_record(
        merchant=merchant,
        actor=actor,
        action="campaigns.settings_updated",
        summary=stored_text(
            gettext_noop(
                "Campaign limits: %(week)s promotional messages a week, %(day)s a day, "
                "%(rate)s messages a minute"
            ),
            week=cap_per_week,
            day=cap_per_day,
            rate=send_rate_per_minute,
        ),
        target=found,
        data={
            "cap_per_week": cap_per_week,
            "cap_per_day": cap_per_day,
            "send_rate_per_minute": send_rate_per_minute,
        },
    )
    return found
