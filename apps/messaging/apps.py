from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Deliveries, suppression, signed links and unsubscribe, for email and SMS."""

    name = "apps.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        from anymail.signals import tracking

        from apps.core.events import MEMBER_ERASED, subscribe
        from apps.core.extensions import MERGE_KEPT_MODELS, PERSONAL_DATA_PARTS, PersonalDataPart
        from apps.messaging.models import Delivery
        from apps.messaging.receivers import delivery_tracking_received
        from apps.messaging.selectors import deliveries_personal_data
        from apps.messaging.services.erasure import deliveries_forget_addresses

        subscribe(MEMBER_ERASED, deliveries_forget_addresses, order=60)
        # A delivery is a record of what went to that record's address, unique per member
        # and occurrence: a merge leaves the duplicate's where they are (the survivor has
        # its own welcome, say) instead of colliding with the survivor's.
        MERGE_KEPT_MODELS.register(Delivery)
        PERSONAL_DATA_PARTS.register(
            PersonalDataPart("messages", deliveries_personal_data), order=60
        )

        tracking.connect(delivery_tracking_received, dispatch_uid="fideliza-delivery-tracking")
