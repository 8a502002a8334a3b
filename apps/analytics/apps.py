from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Rollups kept by a periodic task, and the KPIs computed from them."""

    name = "apps.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from apps.analytics.models import MemberLocationDays, MemberMonth, MemberStats
        from apps.members import services as member_services

        # One stats row per member, and months and days keyed by member: a merge must not re-point
        # them at the survivor (it would collide with the survivor's own). The periodic
        # refresh notices the merge and recomputes both members from their purchases.
        member_services.MERGE_KEEPS.update({MemberStats, MemberMonth, MemberLocationDays})
