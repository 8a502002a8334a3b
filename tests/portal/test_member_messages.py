"""The member page's "Messages" panel for the shop's team, and the owner's message
settings. (Roles and tenant isolation of these views: tests/core/test_tenant_isolation.py
walks every dashboard view.)"""

import time
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.models import AuditLog
from apps.members.models import EventKind, MemberEvent
from apps.messaging.models import Delivery, MessagingSettings, State
from apps.messaging.selectors import messaging_settings
from apps.messaging.services import delivery_queue, suppression_add
from apps.portal.selectors import card_url
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(team, inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return enroll(team, first_name="Ana", email="ana@example.com", language="es")


def test_the_panel_lists_each_message_with_its_state_and_reason(ana, team, client_as):
    pablo = enroll(team, first_name="Pablo")  # a phone only
    delivery_queue(  # a marketing text he never consented to: skipped, with the reason
        member=pablo, source="welcome", occurrence="x", channel="sms", purpose="marketing"
    )
    client = client_as(team.staff)

    sent = client.get(reverse("portal:member_messages", args=[ana.public_id]))
    skipped = client.get(
        reverse("portal:member_messages", args=[pablo.public_id]), headers={"HX-Request": "true"}
    )

    assert "Welcome" in sent.text
    assert "Sent" in sent.text
    assert "<html" not in skipped.text  # htmx gets the section alone
    assert "Skipped" in skipped.text
    assert "no marketing consent" in skipped.text


def test_the_member_page_loads_the_panel(ana, team, client_as):
    page = client_as(team.staff).get(reverse("members:detail", args=[ana.public_id]))
    assert reverse("portal:member_messages", args=[ana.public_id]) in page.text


def test_resend_welcome_mails_it_again_and_keeps_the_first_on_record(
    ana, team, inbox, client_as, django_capture_on_commit_callbacks
):
    client = client_as(team.staff)
    url = reverse("portal:member_welcome_resend", args=[ana.public_id])
    if (second := timezone.now().second) >= 50:  # both clicks within one minute
        time.sleep(61 - second)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)  # a double click within the minute

    assert response.status_code == 302
    assert len(inbox.to("ana@example.com")) == 2  # the first welcome and one resend
    welcomes = Delivery.objects.filter(member=ana, source="welcome")
    assert sorted(welcomes.values_list("state", flat=True)) == [State.SENT, State.SENT]
    assert welcomes.exclude(occurrence="").get().occurrence.startswith("resend:")
    assert MemberEvent.objects.filter(member=ana, kind=EventKind.MESSAGE, actor=team.staff)


def test_resend_to_a_suppressed_address_says_why_and_records_nothing(ana, team, client_as):
    suppression_add(
        merchant_id=team.merchant.pk, channel="email", address=ana.email, reason="bounced"
    )
    before = Delivery.objects.count()
    response = client_as(team.staff).post(
        reverse("portal:member_welcome_resend", args=[ana.public_id]), follow=True
    )
    assert "the address is on the suppression list" in response.text
    assert Delivery.objects.count() == before
    assert not MemberEvent.objects.filter(member=ana, kind=EventKind.MESSAGE).exists()


def test_resend_when_email_welcomes_are_off_says_so(ana, team, client_as):
    MessagingSettings.objects.create(merchant=team.merchant, welcome_email=False)
    response = client_as(team.staff).post(
        reverse("portal:member_welcome_resend", args=[ana.public_id]), follow=True
    )
    assert "Email welcomes are turned off" in response.text


def test_resend_with_no_channel_says_why_and_queues_nothing(team, client_as):
    pablo = enroll(team, first_name="Pablo")
    before = Delivery.objects.count()
    response = client_as(team.staff).post(
        reverse("portal:member_welcome_resend", args=[pablo.public_id]), follow=True
    )
    assert "no email" in response.text
    assert Delivery.objects.count() == before


def test_revoking_card_links_stops_the_old_one_and_emails_a_new_one(
    ana, team, inbox, client, client_as, django_capture_on_commit_callbacks
):
    old = urlsplit(card_url(member=ana)).path
    with django_capture_on_commit_callbacks(execute=True):
        client_as(team.staff).post(reverse("portal:member_card_links_revoke", args=[ana.public_id]))
    ana.refresh_from_db()

    assert client.get(old).status_code == 410
    assert client.get(urlsplit(card_url(member=ana)).path).status_code == 200
    assert Delivery.objects.filter(member=ana, source="card_link", state=State.SENT).exists()


def test_the_owner_changes_the_message_settings(team, client_as):
    response = client_as(team.owner).post(
        reverse("messaging:settings"),
        {
            "welcome_email": "on",
            "welcome_sms": "on",
            "reply_to": "Hola@Cafe.example ",
            "message_id_domain": "Mail.Cafe.example.",
            "brand_colour": "#AA3300",
        },
    )
    assert response.status_code == 302
    saved = messaging_settings(merchant=team.merchant)
    assert (saved.welcome_sms, saved.reply_to, saved.message_id_domain, saved.brand_colour) == (
        True,
        "hola@cafe.example",
        "mail.cafe.example",
        "#aa3300",
    )
    assert AuditLog.objects.for_merchant(team.merchant).filter(
        action="messaging.settings_changed", actor=team.owner
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("brand_colour", "#12345g"),  # passes the form's length, refused by the service
        ("brand_colour", "red; background:url(x)"),
        ("brand_colour", "#ffd700"),  # gold: white text on it cannot be read
        ("message_id_domain", "not a domain"),
    ],
)
def test_bad_message_settings_are_field_errors_and_change_nothing(team, client_as, field, value):
    data = {"brand_colour": "#112233", "message_id_domain": "", field: value}
    response = client_as(team.owner).post(reverse("messaging:settings"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not MessagingSettings.objects.filter(merchant=team.merchant).exists()
