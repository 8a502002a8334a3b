"""VIP tiers: a merchant's tier rules, each member's current tier and its history.

The qualifying total is never stored: it is computed from the purchases and bonus awards
(`selectors.qualifying_total`), so it is always exact. See services/moves.py for the moves.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.stored_text import render
from apps.core.tenancy import TenantModel


class Measure(models.TextChoices):
    SPEND = "spend", _("Amount spent")
    POINTS = "points", _("Points earned")


class Window(models.TextChoices):
    ROLLING_12 = "rolling_12", _("Rolling 12 months")
    CALENDAR_YEAR = "calendar_year", _("Calendar year")


class TierSettings(TenantModel):
    """How a merchant's tiers qualify. One row per merchant, made by the first change to the
    rules (`services.tier_settings_ensure`); without one, reads see the defaults."""

    measure = models.CharField(
        _("what qualifies"), max_length=8, choices=Measure.choices, default=Measure.SPEND
    )
    window = models.CharField(
        _("qualifying window"), max_length=16, choices=Window.choices, default=Window.ROLLING_12
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=0,
        help_text=_("Days a member keeps a tier after a review it did not pass."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("tier settings")
        verbose_name_plural = _("tier settings")
        constraints = [
            models.UniqueConstraint("merchant", name="tiers_one_settings_row"),
            models.CheckConstraint(condition=Q(grace_days__lte=366), name="tiers_grace_days"),
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_display()}, {self.get_window_display()}"


class Tier(TenantModel):
    """A level members reach by their qualifying total. `threshold` is points, or minor
    units of the merchant's currency when the measure is spend. A reward linked to any
    tier is redeemable only by members of one of those tiers."""

    name = models.CharField(_("name"), max_length=60)
    threshold = models.BigIntegerField(_("threshold"))
    earn_percent = models.PositiveIntegerField(
        _("earn rate (%)"),
        default=100,
        help_text=_("100 earns the normal points; 150 half again; 200 double."),
    )
    perks = models.TextField(_("perks"), blank=True, max_length=1000)
    rewards = models.ManyToManyField(
        "programs.Reward",
        verbose_name=_("rewards only this tier can redeem"),
        blank=True,
        related_name="tiers",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("loyalty tier", "tier")
        verbose_name_plural = pgettext_lazy("loyalty tier", "tiers")
        ordering = ["-is_active", "threshold", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gt=0), name="tiers_threshold_positive"),
            models.CheckConstraint(
                condition=Q(earn_percent__gte=100, earn_percent__lte=1000),
                name="tiers_earn_percent_range",
            ),
            models.UniqueConstraint(
                "merchant",
                "threshold",
                condition=Q(is_active=True),
                name="tiers_one_active_per_threshold",
            ),
            models.UniqueConstraint(
                "merchant", "name", condition=Q(is_active=True), name="tiers_one_active_per_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberTier(TenantModel):
    """A member's current tier (None: no tier), since when, and when it is next reviewed
    (the moment after which, plus the grace days, it may go down)."""

    member = models.OneToOneField(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="tier_status",
    )
    tier = models.ForeignKey(
        Tier,
        verbose_name=pgettext_lazy("loyalty tier", "tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member_tiers",
    )
    since = models.DateTimeField(_("since"), null=True, blank=True)
    review_at = models.DateTimeField(_("next review"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("member's tier")
        verbose_name_plural = _("members' tiers")
        indexes = [
            models.Index(
                fields=["review_at"], condition=Q(review_at__isnull=False), name="tiers_review_due"
            ),
            models.Index(fields=["tier", "member"], name="tiers_member_by_tier"),
        ]

    def __str__(self) -> str:
        return str(self.tier) if self.tier else gettext("no tier")


class Direction(models.TextChoices):
    UP = "up", pgettext_lazy("tier change", "Up")
    DOWN = "down", pgettext_lazy("tier change", "Down")


class ChangeCause(models.TextChoices):
    PURCHASE = "purchase", _("A purchase crossed the threshold")
    REVIEW = "review", _("Review at the end of the qualifying window")
    RULES = "rules", _("The tier rules changed")
    MERGE = "merge", _("Merged with a duplicate record")


class TierChange(TenantModel):
    """One move of a member between tiers, with the names as they were then."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="tier_changes",
    )
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("from tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_tier = models.ForeignKey(
        Tier,
        verbose_name=_("to tier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_name = models.CharField(_("from"), max_length=60, blank=True)
    to_name = models.CharField(_("to"), max_length=60, blank=True)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    cause = models.CharField(_("cause"), max_length=16, choices=ChangeCause.choices)
    reason = models.CharField(_("reason"), max_length=255)
    reason_text = models.JSONField(_("reason, for translation"), default=dict, blank=True)
    qualifying_total = models.BigIntegerField(_("qualifying total"))
    purchase = models.ForeignKey(
        "programs.Purchase",
        verbose_name=_("purchase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["member", "-occurred_at"], name="tiers_change_member")]

    def __str__(self) -> str:
        no_tier = gettext("no tier")
        return f"{self.from_name or no_tier} → {self.to_name or no_tier}"

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (apps/core/stored_text.py)."""
        return render(self.reason_text, self.reason)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    SUPERSEDED = "superseded", _("Replaced by a newer run")
    FAILED = "failed", _("Stopped")


class TierReevaluation(TenantModel):
    """Placing every member again after the rules changed, in batches of members by id.
    `last_member_id` is the resume point: a batch moves it on in its own transaction."""

    status = models.CharField(
        _("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    reason = models.CharField(_("reason"), max_length=255)
    reason_text = models.JSONField(_("reason, for translation"), default=dict, blank=True)
    members_total = models.PositiveIntegerField(_("members to place"), default=0)
    members_done = models.PositiveIntegerField(_("members placed"), default=0)
    last_member_id = models.BigIntegerField(_("last member placed (id)"), default=0)
    changes_count = models.PositiveIntegerField(_("members moved"), default=0)
    failure = models.CharField(_("failure"), max_length=255, blank=True)
    failure_text = models.JSONField(_("failure, for translation"), default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier re-evaluation")
        verbose_name_plural = _("tier re-evaluations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "merchant",
                condition=Q(status__in=["queued", "running"]),
                name="tiers_one_open_reevaluation",
            )
        ]

    def __str__(self) -> str:
        # Translators: an admin label, e.g. "Re-evaluation 12 (Running)".
        return gettext("Re-evaluation %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (apps/core/stored_text.py)."""
        return render(self.reason_text, self.reason)

    @property
    def failure_shown(self) -> str:
        """The failure in the reader's language (apps/core/stored_text.py)."""
        return render(self.failure_text, self.failure)

    @property
    def is_open(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def percent(self) -> int:
        if not self.members_total:
            return 100 if not self.is_open else 0
        return min(100, self.members_done * 100 // self.members_total)
