from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The dashboard's home page: the top layer, free to show every app's figures."""

    name = "apps.home"
    label = "home"
    verbose_name = _("Home")

    def ready(self):
        from apps.core.extensions import HOME_CARDS, HomeCard
        from apps.core.models import Role
        from apps.home.cards import act_now_context, location_context, setup_context, week_context

        HOME_CARDS.register(HomeCard("setup", "home/cards/setup.html", setup_context), order=10)
        HOME_CARDS.register(
            HomeCard("location", "home/cards/location.html", location_context), order=20
        )
        HOME_CARDS.register(
            HomeCard("week", "home/cards/week.html", week_context, role=Role.MANAGER), order=30
        )
        HOME_CARDS.register(
            HomeCard("act_now", "home/cards/act_now.html", act_now_context, role=Role.MANAGER),
            order=40,
        )
