from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.tenancy import TenantModel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Purpose(models.TextChoices):
    # Needs no marketing consent (a welcome, a receipt, points about to expire).
    SERVICE = "service", _("Service")
    # Needs the member's consent on its channel, and carries an unsubscribe link.
    MARKETING = "marketing", _("Marketing")
    # The member's own privacy request (erasure confirmation): goes even to a suppressed
    # address, the one way to confirm it.
    PRIVACY = "privacy", _("Privacy request")


class State(models.TextChoices):
    """One state machine for every message (docs/architecture/messaging.md).

    queued → claimed (a worker took it and is rendering) → sending (handed to the
    provider) → sent → bounced / complained; or skipped, suppressed, holdout, failed.
    A `claimed` row whose worker died is queued again: nothing reached the provider. A
    `sending` row whose worker died may have reached it: it becomes `unknown`, never sent
    twice, until the provider's own report says what happened to its Message-ID.
    """

    QUEUED = "queued", pgettext_lazy("delivery state", "Queued")
    CLAIMED = "claimed", pgettext_lazy("delivery state", "Preparing")
    SENDING = "sending", pgettext_lazy("delivery state", "Sending")
    SENT = "sent", pgettext_lazy("delivery state", "Sent")
    FAILED = "failed", pgettext_lazy("delivery state", "Failed")
    SKIPPED = "skipped", pgettext_lazy("delivery state", "Skipped")
    SUPPRESSED = "suppressed", pgettext_lazy("delivery state", "Suppressed")
    HOLDOUT = "holdout", pgettext_lazy("delivery state", "Held out")
    BOUNCED = "bounced", pgettext_lazy("delivery state", "Bounced")
    COMPLAINED = "complained", pgettext_lazy("delivery state", "Marked as spam")
    UNKNOWN = "unknown", pgettext_lazy("delivery state", "Unknown")


PENDING_STATES = (State.QUEUED, State.CLAIMED, State.SENDING)


class Delivery(TenantModel):
    """One message to one member: unique on (member, source, occurrence, channel), written
    before anything is sent, so that no retry, second worker or crash sends it twice.

    `source` names what sends it ("welcome", "campaign:12", "automation:3"); `occurrence`
    what makes it unique within its source ("" for once, "2026" for a yearly birthday, a
    lot's id for an expiry reminder, a counter for "resend welcome").
    """

    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("member"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=40)
    occurrence = models.CharField(_("occurrence"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    # Why it was skipped or failed, as a stable code (`no_consent`, `no_address`, …).
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    # Where it went: the address or number at the moment of sending.
    address = models.CharField(_("address"), max_length=254, blank=True)
    # Our Message-ID header (email), known before the send so a provider's report finds it.
    message_id = models.CharField(_("message id"), max_length=255, blank=True)
    # The provider's own id for it (anymail's message_id, Twilio's SID).
    provider_id = models.CharField(_("provider id"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "member", "source", "occurrence", "channel", name="messaging_delivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-created_at"], name="messaging_member_recent"),
            # The sweeper's scan: only the few rows still pending.
            models.Index(
                fields=["state", "claimed_at"],
                condition=Q(state__in=["queued", "claimed", "sending"]),
                name="messaging_pending",
            ),
            models.Index(
                fields=["provider_id"],
                condition=~Q(provider_id=""),
                name="messaging_provider_id",
            ),
            models.Index(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="messaging_message_id",
            ),
            # A campaign's progress and its next batch: its rows by state.
            models.Index(fields=["source", "state", "id"], name="messaging_by_source"),
            # The frequency cap: a merchant's recent marketing messages.
            models.Index(
                fields=["merchant", "created_at"],
                condition=Q(purpose="marketing"),
                name="messaging_marketing_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.occurrence or '-'} → {self.member_id} ({self.state})"


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Marked as spam")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed at the provider")
    MANUAL = "manual", _("Added by the business")


class Suppression(TenantModel):
    """An address never to be sent to again by this merchant, whoever it belongs to now:
    a hard bounce or a spam complaint is about the mailbox, not the member record."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    delivery = models.ForeignKey(
        Delivery,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivery"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "merchant", "channel", "address", name="messaging_suppressed_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"


class MessagingSettings(TenantModel):
    """How the merchant's messages go out. Absent: the defaults (selectors.py)."""

    merchant = models.OneToOneField(
        "core.Merchant", on_delete=models.CASCADE, related_name="+", verbose_name=_("business")
    )
    reply_to = models.EmailField(
        _("reply-to address"),
        blank=True,
        help_text=_("Where members' replies go. Empty: replies are not expected."),
    )
    message_id_domain = models.CharField(
        _("message id domain"),
        max_length=120,
        blank=True,
        help_text=_("Your own domain for the Message-ID header, if your mail is sent from it."),
    )
    welcome_email = models.BooleanField(_("email a welcome to new members"), default=True)
    welcome_sms = models.BooleanField(
        _("text the card link to new members without an email"), default=False
    )
    # The welcome email's words of the merchant's own, per language code (empty: the
    # default subject, and no words of their own above the card's details).
    welcome_subject = models.JSONField(_("welcome subject"), default=dict, blank=True)
    welcome_intro = models.JSONField(_("welcome words"), default=dict, blank=True)
    brand_colour = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1d6b5f",
        # It is written into the member's page's stylesheet: nothing but a colour.
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour such as #1d6b5f."))],
    )

    class Meta:
        verbose_name = _("message settings")
        verbose_name_plural = _("message settings")

    def __str__(self) -> str:
        return str(self.merchant_id)
