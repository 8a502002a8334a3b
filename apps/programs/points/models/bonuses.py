"""Bonus points for actions (joining, a birthday, a custom event), capped per period."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from apps.core.stored_text import StoredText, choice_msgid, stored_plural
from apps.core.tenancy import TenantModel


class BonusAction(models.TextChoices):
    JOIN = "join", _("Joining")
    BIRTHDAY = "birthday", _("Birthday")
    PROFILE = "profile", _("Completing the profile")
    REVIEW = "review", _("Writing a review")
    SOCIAL_SHARE = "social_share", _("Sharing on social media")
    CUSTOM = "custom", _("Custom event (from the storefront)")


class CapPeriod(models.TextChoices):
    # Translators: how often a bonus may be given, shown after "1×" ("1× per day").
    DAY = "day", _("per day")
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")
    YEAR = "year", _("per year")
    # Translators: a bonus given at most N times in total ("1× ever").
    EVER = "ever", pgettext_lazy("bonus cap", "ever")


class BonusRule(TenantModel):
    """Points for an action, at most `cap_count` times per member and period, so bonuses
    cannot be farmed."""

    action = models.CharField(_("for"), max_length=16, choices=BonusAction.choices)
    event_type = models.CharField(
        _("event type"),
        max_length=64,
        blank=True,
        help_text=_("For custom events: the type the storefront sends."),
    )
    points = models.PositiveIntegerField(_("points"))
    cap_count = models.PositiveSmallIntegerField(_("at most (times)"), default=1)
    cap_period = models.CharField(
        _("per"), max_length=8, choices=CapPeriod.choices, default=CapPeriod.EVER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("bonus rule")
        verbose_name_plural = _("bonus rules")
        ordering = ["action", "event_type"]
        constraints = [
            models.UniqueConstraint(
                "merchant", "action", "event_type", name="programs_one_bonus_rule_per_action"
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="programs_bonus_points"),
            models.CheckConstraint(condition=Q(cap_count__gt=0), name="programs_bonus_cap"),
        ]

    def __str__(self) -> str:
        what = self.event_type if self.action == BonusAction.CUSTOM else self.get_action_display()
        return ngettext(
            # Translators: a bonus rule, e.g. "Birthday: 100 points, 1× per year".
            "%(what)s: %(points)d point, %(count)d× %(period)s",
            "%(what)s: %(points)d points, %(count)d× %(period)s",
            self.points,
        ) % {
            "what": what,
            "points": self.points,
            "count": self.cap_count,
            "period": self.get_cap_period_display(),
        }

    def stored_name(self) -> StoredText:
        """`str(self)` as stored text, for a line written now and read later (msgids marked
        in __str__)."""
        what = (
            self.event_type
            if self.action == BonusAction.CUSTOM
            else choice_msgid(BonusAction, self.action)
        )
        return stored_plural(
            "%(what)s: %(points)d point, %(count)d× %(period)s",
            "%(what)s: %(points)d points, %(count)d× %(period)s",
            self.points,
            what=what,
            points=self.points,
            count=self.cap_count,
            period=choice_msgid(CapPeriod, self.cap_period),
        )


class BonusAward(TenantModel):
    """One bonus given (or refused by its cap, with 0 points), by its external id, so a
    retried event has the same answer and no second effect."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    rule = models.ForeignKey(
        BonusRule, on_delete=models.PROTECT, related_name="awards", verbose_name=_("bonus rule")
    )
    external_id = models.CharField(_("event id"), max_length=100)
    points = models.PositiveIntegerField(_("points"))
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("bonus given")
        verbose_name_plural = _("bonuses given")
        constraints = [
            models.UniqueConstraint("merchant", "external_id", name="programs_bonus_external_id")
        ]
        indexes = [
            models.Index(fields=["member", "rule", "occurred_at"], name="programs_bonus_cap_idx")
        ]

    def __str__(self) -> str:
        return ngettext(
            # Translators: %(id)s is the id of the event that earned the bonus.
            "%(points)d bonus point (%(id)s)",
            "%(points)d bonus points (%(id)s)",
            self.points,
        ) % {"points": self.points, "id": self.external_id}
