"""Recording a member's answer to the survey."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.campaigns.models import SurveyAnswer
from apps.campaigns.surveys.links import SCORES
from apps.core.errors import DomainError
from apps.messaging.models import Delivery
from apps.programs.models import Purchase


@transaction.atomic(savepoint=False)
def survey_answer_record(
    *, delivery: Delivery, score: int, now: datetime | None = None
) -> SurveyAnswer:
    """The member's answer to the survey `delivery` asked: written once, then corrected by
    a later answer (a misclick), however many arrive at once (one row per delivery)."""
    if score not in SCORES:
        raise DomainError(gettext("Choose a number from 0 to 10."), field="score")
    now = now or timezone.now()
    purchase_id = delivery.occurrence.removeprefix("p")
    purchase = (
        Purchase.objects.filter(
            pk=int(purchase_id) if purchase_id.isdigit() else 0, member_id=delivery.member_id
        )
        .only("pk", "location_id")
        .first()
    )
    answer = SurveyAnswer(
        merchant_id=delivery.merchant_id,
        delivery_id=delivery.pk,
        member_id=delivery.member_id,
        purchase_id=purchase.pk if purchase else None,
        location_id=purchase.location_id if purchase else None,
        score=score,
        answered_at=now,
    )
    SurveyAnswer.objects.bulk_create(
        [answer],
        update_conflicts=True,
        unique_fields=["delivery"],
        update_fields=["score", "answered_at"],
    )
    return SurveyAnswer.objects.get(delivery_id=delivery.pk)
