from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Deliveries, suppression, signed links and unsubscribe, for email and SMS."""

    name = "apps.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        from anymail.signals import tracking

        from apps.messaging.receivers import delivery_tracking_received

        tracking.connect(delivery_tracking_received, dispatch_uid="fideliza-delivery-tracking")
