"""A member's text back to our number: Twilio posts it, signed, to messages/sms/inbound/;
a stop keyword withdraws the SMS marketing consent of every active member with that phone,
once, and is confirmed in the TwiML answer in the member's language; any other text, or a
request Twilio did not sign, changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from twilio.request_validator import RequestValidator

from apps.core.models import Merchant
from apps.members.models import EventKind, MemberEvent
from apps.members.services import member_erase
from apps.messaging.links import absolute
from apps.messaging.services import inbound
from apps.messaging.services.inbound import sms_stop_keyword
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db

SID, TOKEN = "AC" + "2" * 32, "inbound-secret-token"
PHONE = "+34611555001"
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@pytest.fixture(autouse=True)
def twilio(settings):
    settings.SMS_URL = f"twilio://{SID}:{TOKEN}@?from=%2B34600000000"


def text(body: str, *, sender: str = PHONE, token: str = TOKEN, signature: str | None = None):
    """Post a text as Twilio does: form data, signed over our public URL and the params."""
    params = {
        "AccountSid": SID,
        "MessageSid": "SM" + "e" * 32,
        "SmsMessageSid": "SM" + "e" * 32,
        "From": sender,
        "To": "+34600000000",
        "Body": body,
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    url = reverse("messaging:sms_inbound")
    if signature is None:
        signature = RequestValidator(token).compute_signature(absolute(url), params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return Client(enforce_csrf_checks=True).post(url, params, headers=headers)


def consent_events(member) -> list[MemberEvent]:
    return list(MemberEvent.objects.filter(member=member, kind=EventKind.CONSENT))


def stop_events(member) -> list[MemberEvent]:
    return [event for event in consent_events(member) if event.source == "sms_reply"]


@pytest.fixture
def ana(team):
    return enroll(team, first_name="Ana", phone=PHONE, consent_sms=True, consent_email=True)


@pytest.fixture
def language_shown(monkeypatch):
    """The reply's strings carry the language they were rendered in (the es and ro
    catalogs are the translators' business, not these tests')."""
    monkeypatch.setattr(
        inbound, "gettext", lambda message: f"[{translation.get_language()}] {message}"
    )


@pytest.mark.parametrize("body", ["STOP", "baja", "Dezabonare ", "stop.", "¡Baja!", "StopAll"])
def test_a_stop_keyword_withdraws_sms_consent_and_is_confirmed(team, ana, body):
    # given another member of the shop, with another phone
    bea = enroll(team, first_name="Bea", phone="+34 611 555 002", consent_sms=True)

    response = text(body)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.text == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
        f"You will not get any more marketing texts from {team.merchant.name}."
        "</Message></Response>"
    )
    ana.refresh_from_db()
    bea.refresh_from_db()
    assert (ana.consent_sms, ana.consent_email) == (False, True)  # SMS only
    assert bea.consent_sms
    [event] = stop_events(ana)
    assert (event.data["channel"], event.data["granted"]) == ("sms", False)
    assert event.summary_shown == "Declined marketing by SMS (reply by text message)"
    assert not stop_events(bea)


def test_a_repeated_stop_changes_nothing_more(ana):
    text("STOP")
    events = consent_events(ana)

    again = text("stop")

    assert again.status_code == 200
    assert "<Message>" in again.text  # each STOP is confirmed
    ana.refresh_from_db()
    assert not ana.consent_sms
    assert consent_events(ana) == events


def test_a_member_of_several_shops_stops_them_all(team, other_team, ana):
    # given the same person in another shop of the installation, and a stranger there
    other_ana = enroll(other_team, first_name="Ana", phone=PHONE, consent_sms=True)
    stranger = enroll(other_team, phone="+34 611 555 003", consent_sms=True)

    response = text("BAJA")

    assert "from the shops you joined." in response.text
    for member in (ana, other_ana, stranger):
        member.refresh_from_db()
    assert (ana.consent_sms, other_ana.consent_sms, stranger.consent_sms) == (False, False, True)
    assert len(stop_events(ana)) == len(stop_events(other_ana)) == 1
    assert not stop_events(stranger)


def test_the_answer_is_in_the_members_language(team, language_shown):
    enroll(team, phone=PHONE, language="ro", consent_sms=True)

    assert "<Message>[ro] You will not get" in text("Dezabonare").text


def test_else_in_the_shops_language(team, other_team, language_shown):
    Merchant.objects.filter(pk=team.merchant.pk).update(language="es")
    enroll(team, phone=PHONE, consent_sms=True)  # the first of the two
    enroll(other_team, phone=PHONE, language="ro", consent_sms=True)

    assert "<Message>[es] You will not get" in text("baja").text


@pytest.mark.parametrize(
    "body", ["Hola", "stop please", "Cancel my order", "", "START", "stopp", "no stop"]
)
def test_any_other_text_changes_nothing_and_gets_no_answer(ana, body):
    events = consent_events(ana)

    response = text(body)

    assert (response.status_code, response.text) == (200, EMPTY)
    ana.refresh_from_db()
    assert ana.consent_sms
    assert consent_events(ana) == events


@pytest.mark.parametrize(
    "signature",
    [
        "",  # no header at all
        "not-a-signature",
        RequestValidator("not-ours").compute_signature("http://testserver/", {"Body": "STOP"}),
    ],
)
def test_a_text_not_signed_by_twilio_is_refused(ana, signature):
    assert text("STOP", signature=signature).status_code == 403
    ana.refresh_from_db()
    assert ana.consent_sms
    assert not stop_events(ana)


def test_a_text_signed_with_another_token_is_refused(ana):
    assert text("STOP", token="not-ours").status_code == 403
    ana.refresh_from_db()
    assert ana.consent_sms


def test_nothing_is_believed_when_sms_do_not_go_through_twilio(settings, ana):
    settings.SMS_URL = "locmem://"

    assert text("STOP").status_code == 403
    ana.refresh_from_db()
    assert ana.consent_sms


def test_only_a_post_is_read(ana):
    assert Client().get(reverse("messaging:sms_inbound")).status_code == 405


def test_an_erased_members_phone_is_ignored(team, other_team, ana):
    # given Ana erased in one shop, and the same phone still a member of another
    member_erase(member=ana, actor=team.owner)
    other_ana = enroll(other_team, phone=PHONE, consent_sms=True)

    response = text("STOP")

    assert f"from {other_team.merchant.name}." in response.text
    ana.refresh_from_db()
    other_ana.refresh_from_db()
    assert not other_ana.consent_sms
    assert not stop_events(ana)


def test_a_stop_from_a_number_that_is_no_members_gets_no_answer(ana):
    response = text("STOP", sender="+34611999999")

    assert (response.status_code, response.text) == (200, EMPTY)
    ana.refresh_from_db()
    assert ana.consent_sms


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "stop"),
        ("  quit\n", "quit"),
        ("Unsubscribe!", "unsubscribe"),
        ("END", "end"),
        ("cancel", "cancel"),
        ("DEZABONARE.", "dezabonare"),
        ("bája", "baja"),  # accents go
        ("stop please", None),  # one word only, as Twilio reads its own keywords
        ("please stop", None),
        ("stop-all", None),
        ("Hello", None),
        ("", None),
    ],
)
def test_what_counts_as_a_stop(body, keyword):
    assert sms_stop_keyword(body=body) == keyword
