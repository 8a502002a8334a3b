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


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiKey(TenantModel):
    """A storefront's key to the API (apps/core/api_keys.py).

    The key is shown once. Only its public `prefix` (which finds the row) and a SHA-256 of
    the whole key are stored: the secret part carries 160 random bits, so a fast hash is
    enough, and checking it costs microseconds on every request instead of a password
    hash's tens of milliseconds.
    """

    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("key starts"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(_("access"), max_length=8, choices=ApiKeyScope.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.WRITE


class IdempotencyRecord(TenantModel):
    """The answer given to a POST sent with an `Idempotency-Key` (apps/core/idempotency.py),
    written in the same transaction as the work it answers, kept two days."""

    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(
        _("fingerprint"), max_length=64, help_text=_("SHA-256 of method, path and body.")
    )
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "key"], name="core_idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"], name="core_idempotency_age")]


class WebhookEvent(models.TextChoices):
    MEMBER_ENROLLED = "member.enrolled", _("Member enrolled")
    PURCHASE_RECORDED = "purchase.recorded", _("Purchase recorded")
    TIER_CHANGED = "tier.changed", pgettext_lazy("loyalty tier", "Tier changed")
    COUPON_ISSUED = "coupon.issued", _("Coupon issued")
    REWARD_REDEEMED = "reward.redeemed", _("Reward redeemed")
    POINTS_EXPIRING = "points.expiring", _("Points expiring soon")


class WebhookEndpoint(TenantModel):
    """An owner's HTTPS address that receives the events it chose (apps/core/webhooks.py).
    The secret signs every delivery; it must be readable to sign, so it is stored as is."""

    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True)
    events = models.JSONField(_("events"), default=list, help_text="WebhookEvent values.")
    secret = models.CharField(_("signing secret"), max_length=64)
    is_active = models.BooleanField(_("on"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    # Translators: the state of a webhook delivery that is not delivered yet.
    PENDING = "pending", pgettext_lazy("webhook delivery", "Sending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")


class WebhookDelivery(TenantModel):
    """One event to one endpoint, written in the transaction of the change it reports (an
    outbox): it exists exactly when the change committed, and a task sends it after."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("replay of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="core_delivery_recent"),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="core_delivery_due",
            ),
        ]
