"""Each member's purchases and points per day: what tier windows add up."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import TenantModel


class MemberDayTotal(TenantModel):
    """What a member bought and earned on one day (UTC), net of refunds: the purchases'
    amounts and points, and the bonus points. A tier window adds up at most a row a day
    instead of a row a purchase, so its cost does not grow with a member's history.

    Written by `day_totals.day_totals_add` with each purchase, refund and bonus, in its
    transaction and under the member's lock; `day_totals_rebuild` makes them again from the
    purchases and bonuses (the demo's bulk writes, `check_ledger --repair-day-totals`)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    day = models.DateField(_("day"))
    spend = models.BigIntegerField(_("spend"), default=0)
    points = models.BigIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("member's day total")
        verbose_name_plural = _("members' day totals")
        constraints = [
            models.UniqueConstraint("member", "day", name="programs_member_day_total"),
        ]
