"""Sending SMS: the console, memory and Twilio backends, and Twilio's signed callbacks.

Twilio is a real HTTP server on 127.0.0.1 (tests/fake_twilio.py) that the real `twilio`
library talks to: nothing of ours is mocked.
"""

import re
import socket
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import QueryDict
from twilio.request_validator import RequestValidator

from apps.messaging.sms import SmsError, outbox, sms_backend, sms_send
from apps.messaging.sms.twilio_callback import (
    DeliveryOutcome,
    TwilioStatus,
    twilio_status_outcome,
    twilio_status_parse,
)
from tests.fake_twilio import FakeTwilio

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fedcba9876543210" * 2
SERVICE_SID = "MG" + "00112233445566778899aabbccddeeff"
CALLBACK = "https://fideliza.example/sms/twilio/status/"
MESSAGE_SID = re.compile(r"SM[0-9a-f]{32}")


@pytest.fixture
def fake_twilio():
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as twilio:
        yield twilio


def twilio_url(*, api: str, token: str = AUTH_TOKEN, sender: str = "from=%2B34600000000") -> str:
    """SMS_URL for the Twilio backend, pointed at `api` with a short timeout."""
    return f"twilio://{ACCOUNT_SID}:{token}@?{sender}&api={api}&timeout=0.5"


# The backends that send nothing


def test_the_test_settings_keep_messages_in_the_outbox():
    # when a message is sent with the test settings (locmem://)
    sent = sms_send(to="+34600000001", body="Tienes 120 puntos", status_callback=CALLBACK)
    # then it is in the outbox, as handed over, under a generated id
    assert sent.provider_id.startswith("locmem-")
    assert sent.segments == 1
    [message] = outbox
    assert (message.to, message.body, message.status_callback) == (
        "+34600000001",
        "Tienes 120 puntos",
        CALLBACK,
    )
    assert message.provider_id == sent.provider_id


def test_the_console_prints_the_message(settings, capsys):
    settings.SMS_URL = "console://"
    sent = sms_send(to="+40700000002", body="Ai 80 de puncte, mulțumim!")
    printed = capsys.readouterr().out
    assert sent.provider_id.startswith("console-")
    assert "SMS to: +40700000002" in printed
    assert f"Id: {sent.provider_id}" in printed
    assert "Ai 80 de puncte, mulțumim!" in printed
    assert not outbox


@pytest.mark.parametrize(("to", "body"), [("600000001", "Hola"), ("+34 600 000 001", "Hola")])
def test_a_number_not_in_e164_is_refused_before_any_backend(to, body):
    with pytest.raises(SmsError) as refused:
        sms_send(to=to, body=body)
    assert (refused.value.code, refused.value.permanent) == ("invalid_number", True)
    assert not outbox


def test_an_empty_body_is_refused():
    with pytest.raises(SmsError) as refused:
        sms_send(to="+34600000001", body="")
    assert refused.value.code == "empty_body"
    assert not outbox


def test_the_backend_is_built_once_per_url(settings):
    locmem = sms_backend()
    assert sms_backend() is locmem
    settings.SMS_URL = "console://"
    assert sms_backend() is not locmem
    settings.SMS_URL = "locmem://"
    assert sms_backend() is locmem


# SMS_URL refused when it could not send


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"smtp://{ACCOUNT_SID}:{AUTH_TOKEN}@host", "unknown scheme 'smtp'"),
        (f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@", "needs a sender"),
        (f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@?api=http://127.0.0.1:1", "needs a sender"),
        (f"twilio://{ACCOUNT_SID}@?from=%2B34600000000", "the auth token"),
        (f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@?form=%2B34600000000", "unknown parameters form"),
        (f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@?from=%2B34600000000&timeout=0", "timeout="),
        (f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@?from=%2B34600000000&api=ftp://x", "api="),
    ],
)
def test_a_url_that_could_not_send_is_refused(settings, url, says):
    settings.SMS_URL = url
    with pytest.raises(ImproperlyConfigured) as refused:
        sms_backend()
    assert says in str(refused.value)
    assert AUTH_TOKEN not in str(refused.value)


# Twilio, against the fake


def test_twilio_sends_with_the_library_and_answers_the_message_sid(settings, fake_twilio):
    # given SMS_URL naming Twilio, a sender number with a literal plus, and the fake's API
    settings.SMS_URL = twilio_url(api=fake_twilio.url, sender="from=+34600000000")
    # when a message is sent
    sent = sms_send(to="+34611222333", body="Tienes 120 puntos", status_callback=CALLBACK)
    # then Twilio saw the account's credentials and the message's fields
    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (request.username, request.password) == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.form == {
        "To": "+34611222333",
        "Body": "Tienes 120 puntos",
        "From": "+34600000000",
        "StatusCallback": CALLBACK,
    }
    # and its Message SID and segment count come back
    assert MESSAGE_SID.fullmatch(sent.provider_id)
    assert sent.segments == 1


def test_twilio_through_a_messaging_service(settings, fake_twilio):
    settings.SMS_URL = twilio_url(api=fake_twilio.url, sender=f"messaging_service={SERVICE_SID}")
    sent = sms_send(to="+34611222333", body="a" * 200)
    [request] = fake_twilio.requests
    assert request.form == {
        "To": "+34611222333",
        "Body": "a" * 200,
        "MessagingServiceSid": SERVICE_SID,
    }
    # Twilio answers 0 segments until it picks a sender from the pool: ours stand in
    assert MESSAGE_SID.fullmatch(sent.provider_id)
    assert sent.segments == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "The 'To' number +34611222333 is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
    ],
)
def test_twilio_refusing_the_recipient_is_permanent(settings, fake_twilio, code, message):
    settings.SMS_URL = twilio_url(api=fake_twilio.url)
    fake_twilio.fail_next(status=400, code=code, message=message)
    with pytest.raises(SmsError) as refused:
        sms_send(to="+34611222333", body="Hola")
    assert refused.value.code == str(code)
    assert refused.value.permanent is True
    assert message in refused.value.message


@pytest.mark.parametrize(
    ("status", "code", "expected_code"),
    [(500, None, "500"), (503, 20500, "20500"), (429, 20429, "20429")],
)
def test_twilio_in_trouble_is_worth_a_retry(settings, fake_twilio, status, code, expected_code):
    settings.SMS_URL = twilio_url(api=fake_twilio.url)
    fake_twilio.fail_next(status=status, code=code, message="Try again later")
    with pytest.raises(SmsError) as refused:
        sms_send(to="+34611222333", body="Hola")
    assert (refused.value.code, refused.value.permanent) == (expected_code, False)
    assert refused.value.maybe_sent is False
    # and the next attempt goes through
    assert MESSAGE_SID.fullmatch(sms_send(to="+34611222333", body="Hola").provider_id)


def test_a_wrong_auth_token_is_refused_by_twilio(settings, fake_twilio):
    settings.SMS_URL = twilio_url(api=fake_twilio.url, token="0" * 32)
    with pytest.raises(SmsError) as refused:
        sms_send(to="+34611222333", body="Hola")
    # a credential to fix, not a bad recipient: the message may go once it is fixed
    assert (refused.value.code, refused.value.permanent) == ("20003", False)
    [request] = fake_twilio.requests
    assert request.password == "0" * 32


def test_twilio_unreachable_has_sent_nothing(settings):
    # given a port nobody listens on
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SMS_URL = twilio_url(api=f"http://127.0.0.1:{port}")
    with pytest.raises(SmsError) as refused:
        sms_send(to="+34611222333", body="Hola")
    assert (refused.value.code, refused.value.permanent) == ("unreachable", False)
    assert refused.value.maybe_sent is False


def test_twilio_answering_too_late_may_have_sent(settings, fake_twilio):
    # given a Twilio that takes the request but answers after our timeout (0.5 s)
    fake_twilio.answer_delay = 1.5
    settings.SMS_URL = twilio_url(api=fake_twilio.url)
    with pytest.raises(SmsError) as refused:
        sms_send(to="+34611222333", body="Hola")
    # then the caller may retry, but must know the message may be out already
    assert (refused.value.code, refused.value.permanent) == ("no_answer", False)
    assert refused.value.maybe_sent is True
    assert len(fake_twilio.requests) == 1


# Twilio's delivery-status callbacks


def signed(params: dict[str, str], *, url: str = CALLBACK, token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


CALLBACK_PARAMS = {
    "AccountSid": ACCOUNT_SID,
    "MessageSid": "SM" + "ab" * 16,
    "MessageStatus": "undelivered",
    "SmsStatus": "undelivered",
    "ErrorCode": "30003",
    "To": "+34611222333",
    "From": "+34600000000",
    "ApiVersion": "2010-04-01",
}


@pytest.fixture
def twilio_settings(settings):
    settings.SMS_URL = f"twilio://{ACCOUNT_SID}:{AUTH_TOKEN}@?from=%2B34600000000"
    return settings


def test_a_signed_callback_is_read(twilio_settings):
    status = twilio_status_parse(
        url=CALLBACK, params=CALLBACK_PARAMS, signature=signed(CALLBACK_PARAMS)
    )
    assert status == TwilioStatus(
        message_sid=CALLBACK_PARAMS["MessageSid"], status="undelivered", error_code="30003"
    )
    assert twilio_status_outcome(status=status) == DeliveryOutcome(
        state="failed", error_code="30003"
    )


def test_a_callback_is_read_from_the_request_as_django_parses_it(twilio_settings):
    # given the POST body as Twilio sends it, parsed by Django into a QueryDict
    params = {**CALLBACK_PARAMS, "MessageStatus": "delivered", "ErrorCode": ""}
    body = QueryDict(urlencode(params))
    status = twilio_status_parse(url=CALLBACK, params=body, signature=signed(params))
    assert status is not None
    assert (status.status, status.error_code) == ("delivered", None)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda params: {**params, "MessageStatus": "delivered"},
        lambda params: {**params, "MessageSid": "SM" + "cd" * 16},
        lambda params: {**params, "Extra": "1"},
    ],
)
def test_a_tampered_callback_is_not_believed(twilio_settings, tamper):
    signature = signed(CALLBACK_PARAMS)
    assert (
        twilio_status_parse(url=CALLBACK, params=tamper(CALLBACK_PARAMS), signature=signature)
        is None
    )


def test_a_callback_signed_otherwise_is_not_believed(twilio_settings):
    for signature in ["", "not-a-signature", signed(CALLBACK_PARAMS, token="0" * 32)]:
        assert (
            twilio_status_parse(url=CALLBACK, params=CALLBACK_PARAMS, signature=signature) is None
        )
    other_url = signed(CALLBACK_PARAMS, url="https://elsewhere.example/status/")
    assert twilio_status_parse(url=CALLBACK, params=CALLBACK_PARAMS, signature=other_url) is None


def test_no_callback_is_ours_when_sms_do_not_go_through_twilio():
    # given the test settings (locmem://) and a request signed with some token
    assert (
        twilio_status_parse(url=CALLBACK, params=CALLBACK_PARAMS, signature=signed(CALLBACK_PARAMS))
        is None
    )


@pytest.mark.parametrize(
    ("twilio_status", "outcome"),
    [
        ("delivered", DeliveryOutcome(state="sent", error_code=None)),
        ("sent", DeliveryOutcome(state="sent", error_code=None)),
        ("undelivered", DeliveryOutcome(state="failed", error_code="30007")),
        ("failed", DeliveryOutcome(state="failed", error_code="30007")),
        ("queued", None),
        ("accepted", None),
        ("sending", None),
    ],
)
def test_twilio_statuses_map_to_our_outcomes(twilio_status, outcome):
    status = TwilioStatus(message_sid="SM" + "ab" * 16, status=twilio_status, error_code="30007")
    assert twilio_status_outcome(status=status) == outcome
