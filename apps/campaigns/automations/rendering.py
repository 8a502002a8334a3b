"""An automation's message for one member (`MESSAGE_SOURCES` "automation"): the
merchant's text in the member's language if it wrote one, else the kind's default text,
translated; the merge tags and the layout of a campaign's message."""

from __future__ import annotations

from django.utils.translation import get_language

from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.models import Automation
from apps.campaigns.rendering import MessageSpec, message_build
from apps.messaging.batch import current_batch
from apps.messaging.content import EmailContent, SmsContent
from apps.messaging.models import Delivery


def _with_default(texts: dict[str, str], default) -> dict[str, str]:
    """The merchant's texts; without any, the default in the active language."""
    if any(texts.values()):
        return texts
    return {get_language(): str(default)}


def automation_spec(automation: Automation) -> MessageSpec:
    kind = KINDS[automation.kind]
    return MessageSpec(
        merchant=automation.merchant,
        subject=_with_default(automation.subject, kind.subject),
        body=_with_default(automation.body, kind.body),
        sms_body=_with_default(automation.sms_body, kind.sms_body),
        promotional=kind.promotional,
        key=("automation", automation.pk, get_language()),
    )


def _automation(automation_id: int) -> Automation:
    """Read once per batch of its deliveries."""
    batch = current_batch()
    key = ("automation", automation_id)
    if batch is not None and key in batch.cache:
        return batch.cache[key]
    automation = Automation.objects.select_related("merchant").get(pk=automation_id)
    if batch is not None:
        batch.cache[key] = automation
    return automation


def automation_render(delivery: Delivery) -> EmailContent | SmsContent:
    automation = _automation(int(delivery.source.partition(":")[2]))
    return message_build(
        spec=automation_spec(automation),
        member=delivery.member,
        channel=delivery.channel,
        delivery_id=delivery.pk,
    )
