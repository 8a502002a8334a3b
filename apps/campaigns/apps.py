from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Segments of members, campaigns to them, and whether they brought anyone back."""

    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from apps.campaigns.views import segment_from_list_url
        from apps.core.extensions import MEMBER_LIST_ACTIONS, MemberListAction

        MEMBER_LIST_ACTIONS.register(
            MemberListAction("segment", _("Make this a segment"), segment_from_list_url), order=50
        )
