"""Campaigns made the way the dashboard and the API make them: through the services."""

from apps.campaigns.models import Campaign, Segment
from apps.campaigns.services import segment_create
from apps.campaigns.services.editing import CampaignFields, campaign_create

EVERYONE = {"all": []}


def segment(team, rules=None, *, name: str = "Everyone") -> Segment:
    found = Segment.objects.for_merchant(team.merchant).filter(name=name).first()
    if found is not None and rules is None:
        return found
    return segment_create(
        merchant=team.merchant, actor=team.manager, name=name, rules=rules or EVERYONE
    )


def campaign(team, *, audience: Segment | None = None, **fields) -> Campaign:
    values = {
        "name": "Spring",
        "segment": audience or segment(team),
        "channel": "email",
        "kind": "promotional",
        "subject": {"es": "Hola {{ first_name }}", "en": "Hello {{ first_name }}"},
        "body": {
            "es": "<p>Hola {{ first_name }}, tienes {{ points_balance }} puntos.</p>",
            "en": "<p>Hi {{ first_name }}, you have {{ points_balance }} points.</p>",
        },
        "holdout_percent": 0,
    } | fields
    return campaign_create(
        merchant=team.merchant, actor=team.manager, fields=CampaignFields(**values)
    )


def survey_answered(team, member, score: int, *, at=None, purchase=None):
    """`member`'s answer to a survey message of `team`'s survey automation (switched on):
    the message's row written as sent (a survey the member got), the answer through the
    service, as the survey page records it."""
    from django.utils import timezone

    from apps.campaigns.automations.editing import automation_enable
    from apps.campaigns.models import AutomationKind
    from apps.campaigns.surveys.services import survey_answer_record
    from apps.messaging.models import Delivery, Purpose, State

    at = at or timezone.now()
    automation = automation_enable(
        merchant=team.merchant, kind=AutomationKind.SURVEY, actor=team.manager
    )
    sent = Delivery.objects.filter(source=automation.source).count()
    delivery = Delivery.objects.create(
        merchant=team.merchant,
        member=member,
        source=automation.source,
        occurrence=f"p{purchase.pk}" if purchase else f"x{sent + 1}",
        channel="email",
        purpose=Purpose.SERVICE,
        state=State.SENT,
        address=member.email or "",
        created_at=at,
    )
    return survey_answer_record(delivery=delivery, score=score, now=at)
