from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Rollups kept by a periodic task, and the KPIs computed from them."""

    name = "apps.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from apps.analytics.cards import KPI_CARDS
        from apps.analytics.models import MemberLocationDays, MemberMonth, MemberStats
        from apps.core import extensions

        # One stats row per member, and months and days keyed by member: a merge must not re-point
        # them at the survivor (it would collide with the survivor's own). The periodic
        # refresh notices the merge and recomputes both members from their purchases.
        for model in (MemberStats, MemberMonth, MemberLocationDays):
            extensions.MERGE_KEPT_MODELS.register(model)

        # The dashboard's own cards, 100 apart so that other apps' cards can go between.
        for position, (name, (title, _build)) in enumerate(KPI_CARDS.items(), start=1):
            extensions.ANALYTICS_CARDS.register(
                extensions.AnalyticsCard(name, title, "analytics:card", (name,)),
                order=100 * position,
            )
