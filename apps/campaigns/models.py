from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.tenancy import TenantModel


class Segment(TenantModel):
    """A saved audience: rules (apps/campaigns/rules.py) evaluated whenever it is used,
    so its members are always today's."""

    name = models.CharField(_("name"), max_length=120)
    rules = models.JSONField(_("rules"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint("merchant", Lower("name"), name="campaigns_segment_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CampaignChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    # Email, and SMS for the members without an email address.
    EMAIL_OR_SMS = "email_or_sms", _("Email, or SMS without an email")


class CampaignKind(models.TextChoices):
    # Needs marketing consent on the channel; counts against the frequency cap.
    PROMOTIONAL = "promotional", _("Promotional")
    # News the member needs (opening hours, a change to the program): no marketing consent.
    INFORMATIONAL = "informational", _("Informational")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
    SCHEDULED = "scheduled", pgettext_lazy("campaign status", "Scheduled")
    SENDING = "sending", pgettext_lazy("campaign status", "Sending")
    SENT = "sent", pgettext_lazy("campaign status", "Sent")
    PAUSED = "paused", pgettext_lazy("campaign status", "Paused")
    CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")


class CampaignSettings(TenantModel):
    """The merchant's limits on promotional messages. Absent: the defaults."""

    merchant = models.OneToOneField(
        "core.Merchant", on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    cap_per_week = models.PositiveSmallIntegerField(
        _("promotional messages a week, at most"), default=2
    )
    cap_per_day = models.PositiveSmallIntegerField(
        _("promotional messages a day, at most"), default=1
    )
    send_rate_per_minute = models.PositiveIntegerField(
        _("messages sent a minute, at most"), default=600
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("campaign settings")
        verbose_name_plural = _("campaign settings")

    def __str__(self) -> str:
        return str(self.merchant_id)


class Campaign(TenantModel):
    """A one-off message to a segment. Its audience is frozen into delivery rows
    (`apps.messaging.Delivery`, source `campaign:<id>`) when it starts sending."""

    name = models.CharField(_("name"), max_length=120)
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=CampaignChannel.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    # Per language ("es", "ro", "en"): the member's, else the merchant's, else any.
    subject = models.JSONField(_("subject"), default=dict, blank=True)
    body = models.JSONField(_("body"), default=dict, blank=True)
    sms_body = models.JSONField(_("SMS text"), default=dict, blank=True)
    offer = models.JSONField(_("offer"), null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"), default=10)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    quiet_start = models.TimeField(_("no SMS from"), default=time(21, 0))
    quiet_end = models.TimeField(_("no SMS until"), default=time(9, 0))
    status = models.CharField(
        _("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    # The rules as they were when the audience was frozen (the segment may change later).
    frozen_rules = models.JSONField(_("rules when sent"), null=True, blank=True)
    targeted = models.PositiveIntegerField(_("members reached"), default=0)
    left_out_suppressed = models.PositiveIntegerField(_("suppressed addresses left out"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    started_at = models.DateTimeField(_("started sending"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # When the next batch is due: a sending campaign long past it lost its task.
    next_batch_at = models.DateTimeField(_("next batch"), null=True, blank=True)
    # The current run of its batches: the chains of batches sending it at once, and the
    # token they carry. Starting them again (resumed, or stalled and restarted) draws a
    # new token, and a batch task carrying another one stops: never two runs at once.
    send_chains = models.PositiveSmallIntegerField(_("batches at once"), default=1)
    send_token = models.CharField(_("sending run"), max_length=32, blank=True, default="")

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(holdout_percent__lte=50), name="campaigns_holdout_at_most_half"
            ),
        ]
        indexes = [models.Index(fields=["status", "send_at"], name="campaigns_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        """The deliveries' `source`."""
        return f"campaign:{self.pk}"


class OfferKind(models.TextChoices):
    COUPON = "coupon", _("Coupon")
    BONUS_POINTS = "bonus_points", _("Bonus points")
    MULTIPLIER = "multiplier", _("Points multiplier")


class OfferGrant(TenantModel):
    """A campaign's offer given to one member, once (or an automation's, once per
    occurrence): the coupon issued, the points credited, or the multiplier's days."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grants",
        verbose_name=_("campaign"),
    )
    automation = models.ForeignKey(
        "Automation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grants",
        verbose_name=_("automation"),
    )
    occurrence = models.CharField(_("occurrence"), max_length=64, blank=True)
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OfferKind.choices)
    coupon = models.ForeignKey(
        "coupons.Coupon",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("coupon"),
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    percent = models.PositiveIntegerField(_("earns (%)"), default=100)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    class Meta:
        verbose_name = _("offer given")
        verbose_name_plural = _("offers given")
        constraints = [
            models.UniqueConstraint("campaign", "member", name="campaigns_offer_once"),
            models.UniqueConstraint(
                "automation",
                "member",
                "occurrence",
                condition=models.Q(automation__isnull=False),
                name="campaigns_automation_offer_once",
            ),
            models.CheckConstraint(
                condition=models.Q(campaign__isnull=True) ^ models.Q(automation__isnull=True),
                name="campaigns_offer_of_one_sender",
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "until"],
                condition=models.Q(kind="multiplier"),
                name="campaigns_multipliers",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.member_id} ({self.campaign_id or self.automation_id})"


class Click(TenantModel):
    """A click on a link of a campaign's email, through our redirect."""

    delivery = models.ForeignKey(
        "messaging.Delivery", on_delete=models.CASCADE, related_name="+", verbose_name=_("delivery")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="clicks", verbose_name=_("campaign")
    )
    url = models.URLField(_("link"), max_length=2000)
    clicked_at = models.DateTimeField(_("clicked"), default=timezone.now)

    class Meta:
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
        indexes = [models.Index(fields=["campaign", "delivery"], name="campaigns_clicks")]

    def __str__(self) -> str:
        return self.url


# Automations (apps/campaigns/automations/) ------------------------------------------------


class AutomationKind(models.TextChoices):
    FIRST_PURCHASE = "first_purchase", _("First purchase thanks")
    BIRTHDAY = "birthday", _("Birthday")
    POINTS_EXPIRING = "points_expiring", _("Points expiring")
    WIN_BACK = "win_back", _("Win-back")
    REWARD_REACH = "reward_reach", _("Reward within reach")
    TIER_UP = "tier_up", _("New tier")
    TIER_AT_RISK = "tier_at_risk", _("Tier at risk")
    REFERRAL_NUDGE = "referral_nudge", _("Invite a friend")
    SURVEY = "survey", _("Post-purchase survey")


class Automation(TenantModel):
    """A message that runs itself, one per merchant and kind: sent to each member when its
    moment comes (an occurrence: the birthday of a year, turning at risk after a last
    visit), at most once per occurrence. Without a row, the kind's defaults (off)."""

    kind = models.CharField(_("kind"), max_length=24, choices=AutomationKind.choices)
    enabled = models.BooleanField(_("on"), default=False)
    # Only occurrences from the day it was switched on count; a date scan has looked at
    # every day up to `scanned_through` (the merchant's days).
    enabled_at = models.DateTimeField(_("switched on"), null=True, blank=True)
    scanned_through = models.DateField(_("looked at up to"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=CampaignChannel.choices, default=CampaignChannel.EMAIL
    )
    # Per language, as a campaign's; empty: the kind's default text, translated.
    subject = models.JSONField(_("subject"), default=dict, blank=True)
    body = models.JSONField(_("body"), default=dict, blank=True)
    sms_body = models.JSONField(_("SMS text"), default=dict, blank=True)
    # As a campaign's (services/offers.py), given just before each treatment message.
    offer = models.JSONField(_("offer"), null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"), default=10)
    cooldown_days = models.PositiveSmallIntegerField(_("at most once per member every (days)"))
    # The hour of the merchant's day from which a day's occurrences are sent; none: midnight.
    send_hour = models.PositiveSmallIntegerField(_("send from (hour)"), null=True, blank=True)
    # The number of its kind's moment (kinds.py `KindSpec.number`: how close to a reward,
    # how many days before a tier review, at which purchase); none: the kind's default.
    moment_number = models.PositiveSmallIntegerField(_("moment's number"), null=True, blank=True)
    quiet_start = models.TimeField(_("no SMS from"), default=time(21, 0))
    quiet_end = models.TimeField(_("no SMS until"), default=time(9, 0))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        constraints = [
            models.UniqueConstraint("merchant", "kind", name="campaigns_automation_per_kind"),
            models.CheckConstraint(
                condition=models.Q(holdout_percent__lte=50), name="automations_holdout_at_most_half"
            ),
            models.CheckConstraint(
                condition=models.Q(send_hour__lte=23), name="automations_send_hour_of_a_day"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def source(self) -> str:
        """The deliveries' `source`."""
        return f"automation:{self.pk}"


class Outcome(models.TextChoices):
    QUEUED = "queued", _("Sent")
    HOLDOUT = "holdout", _("Held out")
    CAPPED = "capped", _("Over the frequency cap")
    COOLDOWN = "cooldown", _("Sent recently")
    UNREACHABLE = "unreachable", _("Cannot be reached")
    STALE = "stale", _("No longer applies")
    OFF = "off", _("Automation off")


class AutomationOccurrence(TenantModel):
    """A moment an automation noticed for a member (`occurrence`: "2026" for a birthday,
    "at_risk:2026-08-03" for turning at risk after that last visit): written once, then
    processed once into a delivery row, or an outcome saying why none."""

    automation = models.ForeignKey(
        Automation,
        on_delete=models.CASCADE,
        related_name="occurrences",
        verbose_name=_("automation"),
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    occurrence = models.CharField(_("occurrence"), max_length=64)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("noticed"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("automation occurrence")
        verbose_name_plural = _("automation occurrences")
        constraints = [
            models.UniqueConstraint(
                "automation", "member", "occurrence", name="campaigns_occurrence_once"
            ),
        ]
        # "Anything due?" is one probe of this index when nothing is.
        indexes = [
            models.Index(
                fields=["merchant", "due_at"],
                condition=models.Q(processed_at__isnull=True),
                name="campaigns_occurrences_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.automation_id}: {self.member_id} {self.occurrence}"


class SurveyAnswer(TenantModel):
    """A member's answer to the post-purchase survey (apps/campaigns/surveys/): how likely,
    from 0 to 10, they are to recommend the business. One per survey message: answering
    again corrects it."""

    delivery = models.OneToOneField(
        "messaging.Delivery",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("message"),
    )
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="survey_answers",
        verbose_name=_("member"),
    )
    purchase = models.ForeignKey(
        "programs.Purchase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purchase"),
    )
    # The purchase's, kept here so the card counts by location without the purchases.
    location = models.ForeignKey(
        "core.Location",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    score = models.PositiveSmallIntegerField(_("score"))
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=10), name="campaigns_score_0_to_10"
            ),
        ]
        indexes = [
            # The analytics card: a merchant's answers in a period.
            models.Index(fields=["merchant", "answered_at"], name="campaigns_answers_by_time"),
            # The segment field: a member's latest answer.
            models.Index(F("member"), F("answered_at").desc(), name="campaigns_answers_by_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.score}"
