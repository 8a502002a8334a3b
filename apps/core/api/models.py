"""The API's models: keys (stored hashed) and idempotency records."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.tenancy import TenantModel


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
