"""An SMS delivery end to end: sent through (a local fake of) Twilio's API, settled by
Twilio's signed status callback; an unsigned or tampered callback changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from apps.messaging.links import absolute
from apps.messaging.models import Delivery, MessagingSettings, State
from tests.fake_twilio import FakeTwilio
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

SID, TOKEN = "AC" + "1" * 32, "secret-token"


@pytest.fixture
def twilio(settings):
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as fake:
        settings.SMS_URL = f"twilio://{SID}:{TOKEN}@?from=%2B34600000000&api={fake.url}"
        yield fake


def post_callback(params: dict, *, token: str = TOKEN):
    url = absolute(reverse("messaging:sms_status"))
    signature = RequestValidator(token).compute_signature(url, params)
    return Client().post(
        reverse("messaging:sms_status"), params, headers={"X-Twilio-Signature": signature}
    )


def test_a_phone_only_member_gets_the_welcome_by_sms_and_twilio_settles_it(
    team, twilio, django_capture_on_commit_callbacks
):
    MessagingSettings.objects.create(merchant=team.merchant, welcome_sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        member = enroll(team, first_name="Ion", phone="+34 611 444 555")

    [request] = twilio.requests
    assert request.form["To"] == "+34611444555"
    assert "/c/" in request.form["Body"]
    assert request.form["StatusCallback"] == absolute(reverse("messaging:sms_status"))
    delivery = Delivery.objects.get(member=member)
    assert delivery.state == State.SENT
    assert delivery.provider_id.startswith("SM")

    failed = {
        "MessageSid": delivery.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    late_sent = {"MessageSid": delivery.provider_id, "MessageStatus": "sent"}
    assert post_callback(failed).status_code == 204
    assert post_callback(late_sent).status_code == 204  # out of order: must not undo it

    delivery.refresh_from_db()
    assert (delivery.state, delivery.error) == (State.FAILED, "30003")


def test_a_callback_not_signed_by_twilio_is_refused(team, twilio):
    member = enroll(team, phone="+34 611 444 556")
    delivery = Delivery.objects.create(
        merchant=team.merchant,
        member=member,
        channel="sms",
        source="welcome",
        purpose="service",
        state=State.SENT,
        provider_id="SM" + "c" * 32,
    )

    response = post_callback(
        {"MessageSid": delivery.provider_id, "MessageStatus": "failed"}, token="not-ours"
    )

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.state == State.SENT
