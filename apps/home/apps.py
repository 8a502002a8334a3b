from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The dashboard's home page: the top layer, free to show every app's figures."""

    name = "apps.home"
    label = "home"
    verbose_name = _("Home")
