from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self):
        from apps.members import services

        services.ENROLL_HANDLERS.append(services.member_enrolled_webhook)
