import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from apps.core.money import currency_choices
from apps.core.stored_text import summary_for_reader
from apps.core.tenancy import TenantModel, TenantQuerySet


class Merchant(models.Model):
    """A business running a loyalty program: the tenant every other row belongs to."""

    name = models.CharField(_("business name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    currency = models.CharField(_("currency"), max_length=3, choices=currency_choices)
    country = CountryField(
        _("country"), help_text=_("Used to read phone numbers written without a prefix.")
    )
    timezone = models.CharField(_("time zone"), max_length=64)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Replaced whenever the merchant's program terms change: the key of each process's
    # cached copy of them (apps/core/merchant_config.py).
    config_version = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a member of a merchant's team may do. Each role includes those below it."""

    # Translators: a team role: the people who serve customers at the shop counter.
    STAFF = "staff", _("Staff (counter)")
    MANAGER = "manager", pgettext_lazy("team role", "Manager")
    OWNER = "owner", pgettext_lazy("team role", "Owner")

    @classmethod
    def rank(cls, role: str) -> int:
        return [cls.STAFF, cls.MANAGER, cls.OWNER].index(role)

    @classmethod
    def at_least(cls, role: str, minimum: str) -> bool:
        return cls.rank(role) >= cls.rank(minimum)


class Location(TenantModel):
    """A shop (or a till's place) where the counter records what it does."""

    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # Free text in the shop's words ("Mon-Fri 8:00-20:00, Sat 9:00-14:00"): shops write
    # their hours on the door that way, holidays and split days included.
    opening_hours = models.TextField(_("opening hours"), max_length=300, blank=True)
    # Translators: a location's state: open (in use at the counter) or closed.
    is_active = models.BooleanField(pgettext_lazy("location", "open"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "merchant", Lower("name"), name="core_location_name_unique_per_merchant"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user's seat on a merchant's team, with a role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint("merchant", "user", name="core_membership_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at merchant {self.merchant_id}"

    def has_role(self, minimum: str) -> bool:
        return Role.at_least(self.role, minimum)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(TenantQuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(TenantModel):
    """An emailed offer of a seat on a merchant's team.

    Only a SHA-256 of the link's token is stored, so a leaked database cannot be used to
    join a team. At most one invitation per address is pending at a time.
    """

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "merchant",
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="core_invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.role}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        """A fresh link token (256 bits) and the hash to store."""
        token = secrets.token_urlsafe(32)
        return token, hash_token(token)


class AuditLog(TenantModel):
    """Who did what, when, in a merchant's back-office. Written only by `audit_record`."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    summary = models.CharField(_("what"), max_length=255)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="core_audit_merchant_recent"),
            models.Index(fields=["merchant", "action"], name="core_audit_merchant_action"),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def summary_shown(self) -> str:
        """The summary in the reader's language (apps/core/stored_text.py)."""
        return summary_for_reader(summary=self.summary, data=self.data)


class HeldTask(models.Model):
    """A task a request could not hand to the broker (it was down) and that no sweeper
    of its own would run: kept here, and queued again by `held-tasks-requeue` once the
    broker is back (apps/core/broker.py). Every task is idempotent, so a task queued
    twice (by two sweeps) does its work once."""

    name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    held_at = models.DateTimeField(_("held since"), auto_now_add=True)

    class Meta:
        verbose_name = _("held task")
        verbose_name_plural = _("held tasks")

    def __str__(self) -> str:
        return self.name


# Django discovers an app's models through this module; these live with their concern.
from apps.core.api.models import ApiKey, ApiKeyScope, IdempotencyRecord  # noqa: E402
from apps.core.webhooks.models import (  # noqa: E402
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "ApiKey",
    "ApiKeyScope",
    "IdempotencyRecord",
    "DeliveryStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
