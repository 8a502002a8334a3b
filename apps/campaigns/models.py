from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

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
