"""The campaigns API: write a draft, send it (once), pause and cancel, read its counts and
its report; bad texts are a 400 naming the field."""

import pytest

from apps.campaigns.models import Campaign
from tests.campaigns.factories import segment
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def audience(team):
    for name in ("Ana", "Bea", "Ciro", "Dora"):
        enroll(team, first_name=name, email=f"{name.lower()}@example.com", consent_email=True)
    return segment(team)


def draft(audience, **fields) -> dict:
    return {
        "name": "Autumn",
        "segment": audience.pk,
        "channel": "email",
        "kind": "promotional",
        "subject": {"es": "Hola {{ first_name }}", "en": "Hi {{ first_name }}"},
        "body": "<p>{{ first_name }}, ven a {{ shop_name }}.</p>",
    } | fields


def test_a_draft_is_written_with_its_texts_per_language(storefront, team, audience):
    response = storefront.post("/api/v1/campaigns/", draft(audience), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["subject"] == {"es": "Hola {{ first_name }}", "en": "Hi {{ first_name }}"}
    assert body["body"] == {
        team.merchant.language: "<p>{{ first_name }}, ven a {{ shop_name }}.</p>"
    }
    assert body["holdout_percent"] == 10
    assert body["counts"]["targeted"] == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body": "<p>{{ settings.SECRET_KEY }}</p>"}, "body"),
        ({"subject": "Hi {% if x %}"}, "subject"),
        ({"subject": {"es": "{{ first_name.upper }}"}}, "subject"),
        ({"subject": {"de": "Hallo"}}, "subject.de"),
        ({"offer": {"type": "coupon", "amount": 500}}, "offer.valid_days"),
        (
            {"offer": {"type": "coupon", "amount": 500, "percent": 10, "valid_days": 3}},
            "offer.amount",
        ),
        ({"offer": {"type": "gift"}}, "offer.type"),
        ({"holdout_percent": 60}, "holdout_percent"),
        ({"segment": 99999999}, "segment"),
        ({"channel": "sms", "body": {"es": "x" * 1601}}, "body.es"),
    ],
)
def test_bad_campaigns_are_a_400_naming_the_field(storefront, team, audience, fields, field):
    response = storefront.post("/api/v1/campaigns/", draft(audience, **fields), format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Campaign.objects.filter(merchant=team.merchant).exists()


def test_sending_answers_202_then_409(
    storefront, team, audience, mailoutbox, django_capture_on_commit_callbacks
):
    campaign_id = storefront.post(
        "/api/v1/campaigns/", draft(audience, holdout_percent=0), format="json"
    ).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        sent = storefront.post(f"/api/v1/campaigns/{campaign_id}/send/", format="json")
    again = storefront.post(f"/api/v1/campaigns/{campaign_id}/send/", format="json")

    assert sent.status_code == 202
    assert again.status_code == 409
    assert again.json()["code"] == "campaign_sent"
    read = storefront.get(f"/api/v1/campaigns/{campaign_id}/").json()
    assert read["status"] == "sent"
    assert read["counts"] == {
        "targeted": 4,
        "holdout": 0,
        "queued": 0,
        "sent": 4,
        "failed": 0,
        "skipped": 0,
        "suppressed": 0,
    }
    assert len(mailoutbox) == 4


def test_the_report_without_holdout_claims_no_lift(
    storefront, team, audience, django_capture_on_commit_callbacks
):
    campaign_id = storefront.post(
        "/api/v1/campaigns/", draft(audience, holdout_percent=0), format="json"
    ).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        storefront.post(f"/api/v1/campaigns/{campaign_id}/send/", format="json")

    report = storefront.get(f"/api/v1/campaigns/{campaign_id}/report/").json()

    assert report["treatment"]["members"] == 4
    assert report["holdout"]["members"] == 0
    assert report["lift"] is None


def test_pause_and_cancel_answer_409_when_they_do_not_fit(storefront, audience):
    campaign_id = storefront.post("/api/v1/campaigns/", draft(audience), format="json").json()["id"]

    paused = storefront.post(f"/api/v1/campaigns/{campaign_id}/pause/", format="json")
    cancelled = storefront.post(f"/api/v1/campaigns/{campaign_id}/cancel/", format="json")
    again = storefront.post(f"/api/v1/campaigns/{campaign_id}/cancel/", format="json")

    assert paused.status_code == 409
    assert paused.json()["code"] == "not_sending"
    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409
