from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = _("Members")

    def ready(self):
        from apps.core.events import MEMBER_ENROLLED, subscribe
        from apps.members import services

        # Last: the webhook describes the member as the other handlers leave them.
        subscribe(MEMBER_ENROLLED, services.member_enrolled_webhook, order=90)
