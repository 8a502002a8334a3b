from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "apps.members"
    label = "members"
    verbose_name = "Members"

    def ready(self):
        from . import services

        services.ENROLL_HANDLERS.append(services.member_enrolled_webhook)
