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
