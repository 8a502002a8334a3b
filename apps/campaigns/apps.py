from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Segments of members, campaigns to them, and whether they brought anyone back."""

    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")
