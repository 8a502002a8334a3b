"""VIP tiers: a merchant's tier rules, each member's current tier and its history.

The qualifying total is never stored: it is computed from the purchases and bonus awards
(`selectors.qualifying_total`), so it is always exact. See services.py for the moves.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.tenancy import TenantModel


class Measure(models.TextChoices):
    SPEND = "spend", "Amount spent"
    POINTS = "points", "Points earned"


class Window(models.TextChoices):
    ROLLING_12 = "rolling_12", "Rolling 12 months"
    CALENDAR_YEAR = "calendar_year", "Calendar year"


class TierSettings(TenantModel):
    """How a merchant's tiers qualify. One row per merchant, created on first use."""

    measure = models.CharField(max_length=8, choices=Measure.choices, default=Measure.SPEND)
    window = models.CharField(max_length=16, choices=Window.choices, default=Window.ROLLING_12)
    grace_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days a member keeps a tier after a review it did not pass."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "tier settings"
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

    name = models.CharField(max_length=60)
    threshold = models.BigIntegerField()
    earn_percent = models.PositiveIntegerField(
        default=100, help_text="100 earns the normal points; 150 half again; 200 double."
    )
    perks = models.TextField(blank=True, max_length=1000)
    rewards = models.ManyToManyField("programs.Reward", blank=True, related_name="tiers")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        "members.Member", on_delete=models.PROTECT, related_name="tier_status"
    )
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="member_tiers"
    )
    since = models.DateTimeField(null=True, blank=True)
    review_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["review_at"], condition=Q(review_at__isnull=False), name="tiers_review_due"
            ),
            models.Index(fields=["tier", "member"], name="tiers_member_by_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.tier or 'no tier'}"


class Direction(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


class ChangeCause(models.TextChoices):
    PURCHASE = "purchase", "A purchase crossed the threshold"
    REVIEW = "review", "Review at the end of the qualifying window"
    RULES = "rules", "The tier rules changed"
    MERGE = "merge", "Merged with a duplicate record"


class TierChange(TenantModel):
    """One move of a member between tiers, with the names as they were then."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="tier_changes"
    )
    from_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_name = models.CharField(max_length=60, blank=True)
    to_name = models.CharField(max_length=60, blank=True)
    direction = models.CharField(max_length=4, choices=Direction.choices)
    cause = models.CharField(max_length=16, choices=ChangeCause.choices)
    reason = models.CharField(max_length=255)
    qualifying_total = models.BigIntegerField()
    purchase = models.ForeignKey(
        "programs.Purchase", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["member", "-occurred_at"], name="tiers_change_member")]

    def __str__(self) -> str:
        return f"{self.from_name or 'no tier'} → {self.to_name or 'no tier'}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    SUPERSEDED = "superseded", "Replaced by a newer run"
    FAILED = "failed", "Stopped"


class TierReevaluation(TenantModel):
    """Placing every member again after the rules changed, in batches of members by id.
    `last_member_id` is the resume point: a batch moves it on in its own transaction."""

    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    reason = models.CharField(max_length=255)
    members_total = models.PositiveIntegerField(default=0)
    members_done = models.PositiveIntegerField(default=0)
    last_member_id = models.BigIntegerField(default=0)
    changes_count = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=255, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "merchant",
                condition=Q(status__in=["queued", "running"]),
                name="tiers_one_open_reevaluation",
            )
        ]

    def __str__(self) -> str:
        return f"Re-evaluation {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def percent(self) -> int:
        if not self.members_total:
            return 100 if not self.is_open else 0
        return min(100, self.members_done * 100 // self.members_total)
