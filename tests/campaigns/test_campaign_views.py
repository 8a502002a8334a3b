"""The campaign pages in the dashboard: the list and its 20/80 mix, writing a campaign
(service refusals on their fields), the SMS counter, the preview in the member's
language, the test sent to oneself, sending (tasks run eagerly), pause / resume / cancel,
the live progress, the report with and without a holdout, and the owner's limits."""

import re
from datetime import time

import pytest
from django.core import mail

from apps.campaigns.models import Campaign, CampaignSettings, CampaignStatus, Click
from apps.campaigns.services import segment_create
from apps.campaigns.services.editing import CampaignFields, campaign_create
from apps.campaigns.services.sending import campaign_freeze, campaign_send
from apps.campaigns.services.testing import TESTS_PER_HOUR
from apps.core.models import AuditLog
from apps.members.services import member_consent_set
from apps.messaging.models import Delivery, State
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

TEXTS = {
    "subject": {"en": "Hello {{ first_name }}", "ro": "Salut {{ first_name }}"},
    "body": {"en": "<p>Come back, {{ first_name }}.</p>", "ro": "<p>Revino, {{ first_name }}.</p>"},
}


@pytest.fixture
def manager(team, client_as):
    return client_as(team.manager)


@pytest.fixture
def members(team):
    return [
        enroll(team, first_name="Ana", email="ana@example.com", consent_email=True),
        enroll(
            team, first_name="Ioana", email="ioana@example.com", language="ro", consent_email=True
        ),
        enroll(
            team, first_name="Bea", email="bea@example.com", consent_email=True, consent_sms=True
        ),
        enroll(team, first_name="Ciro", consent_sms=True),
    ]


@pytest.fixture
def segment(team, members):
    return segment_create(
        merchant=team.merchant, actor=team.manager, name="Everyone", rules={"all": []}
    )


def make_campaign(team, segment, **fields) -> Campaign:
    values = {"name": "Spring", "segment": segment, "channel": "email", "kind": "promotional"}
    values |= TEXTS | fields
    return campaign_create(
        merchant=team.merchant, actor=team.manager, fields=CampaignFields(**values)
    )


def form_data(segment, **fields) -> dict:
    data = {
        "name": "Spring",
        "segment": str(segment.pk),
        "channel": "email",
        "kind": "promotional",
        "subject_en": "Hello {{ first_name }}",
        "body_en": "<p>Come back, {{ first_name }}.</p>",
        "subject_ro": "",
        "body_ro": "",
        "offer_type": "none",
        "holdout_percent": "10",
        "send_when": "now",
        "quiet_start": "21:00",
        "quiet_end": "09:00",
    }
    return data | fields


def send_all(client, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/campaigns/{campaign.pk}/send/")


# The list ----------------------------------------------------------------------------


def test_the_list_shows_each_campaign_with_its_counts(manager, team, segment):
    make_campaign(team, segment, name="Spring")

    response = manager.get("/campaigns/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Spring" in html
    assert "Everyone" in html
    assert "Draft" in html
    assert "0 / 0" in html
    assert 'href="/campaigns/new/"' in html
    assert "80 %" in html
    assert "20 %" in html  # the rule of thumb, said
    assert "No campaign messages sent in this time." in html


def test_the_mix_counts_promotional_against_informational_deliveries(
    manager, team, segment, django_capture_on_commit_callbacks
):
    promotional = make_campaign(team, segment, name="Offer", holdout_percent=0)
    informational = make_campaign(
        team, segment, name="Hours", kind="informational", holdout_percent=0
    )
    send_all(manager, promotional, django_capture_on_commit_callbacks)
    send_all(manager, informational, django_capture_on_commit_callbacks)

    mix = manager.get("/campaigns/").context["mix"]

    # Three members have an email, all three consented: 3 promotional, 3 informational.
    assert (mix["promotional"], mix["informational"], mix["share"]) == (3, 3, 50)
    assert mix["over"]


# Writing a campaign -------------------------------------------------------------------


def test_a_new_campaign_is_saved_as_a_draft_with_its_texts_and_offer(manager, team, segment):
    data = form_data(
        segment,
        subject_ro="Salut",
        body_ro="<p>Revino</p>",
        offer_type="coupon_amount",
        offer_amount="5.50",
        offer_valid_days="30",
    )

    response = manager.post("/campaigns/new/", data)

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.subject == {"en": "Hello {{ first_name }}", "ro": "Salut"}
    assert campaign.offer == {"type": "coupon", "amount": 550, "valid_days": 30}
    assert campaign.send_at is None


def test_service_refusals_land_on_their_fields(manager, segment):
    response = manager.post(
        "/campaigns/new/",
        form_data(segment, body_ro="<p>{{ shoe_size }}</p>", subject_ro="Salut"),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["body_ro"]
    assert "is not a merge tag" in errors["body_ro"][0]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"offer_type": "coupon_amount", "offer_valid_days": "30"}, "offer_amount"),
        ({"offer_type": "coupon_percent", "offer_valid_days": "30"}, "offer_percent"),
        ({"offer_type": "bonus_points", "offer_points": "0"}, "offer_points"),
        ({"holdout_percent": "60"}, "holdout_percent"),
        ({"subject_en": ""}, "subject_en"),
        ({"channel": "sms"}, "sms_en"),
        ({"send_when": "later", "send_date": "2020-01-01", "send_time": "10:00"}, "send_date"),
    ],
)
def test_each_refusal_is_shown_on_the_field_it_names(manager, segment, fields, field):
    response = manager.post("/campaigns/new/", form_data(segment, **fields))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]


def test_an_sms_campaign_keeps_its_text_and_a_send_time_in_the_merchants_zone(manager, segment):
    response = manager.post(
        "/campaigns/new/",
        form_data(
            segment,
            channel="sms",
            sms_en="Hi {{ first_name }}",
            send_when="later",
            send_date="2099-06-01",
            send_time="10:30",
        ),
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.sms_body == {"en": "Hi {{ first_name }}"}
    assert campaign.send_at.isoformat() == "2099-06-01T08:30:00+00:00"  # Madrid, summer


def test_editing_a_draft_changes_it_and_a_started_one_cannot_change(manager, team, segment):
    campaign = make_campaign(team, segment)
    page = manager.get(f"/campaigns/{campaign.pk}/edit/")
    assert 'value="Hello {{ first_name }}"' in page.content.decode()

    manager.post(f"/campaigns/{campaign.pk}/edit/", form_data(segment, name="Summer"))
    campaign.refresh_from_db()
    assert campaign.name == "Summer"

    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    refused = manager.post(
        f"/campaigns/{campaign.pk}/edit/", form_data(segment, name="Autumn"), follow=True
    )
    assert "A campaign that has started sending cannot change." in refused.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Summer"


def test_the_sms_counter_counts_segments_and_estimates_the_cost(manager, segment, settings):
    settings.SMS_SEGMENT_PRICE = 10
    data = form_data(segment, channel="sms", kind="informational", sms_en="x" * 161)

    response = manager.post("/campaigns/estimate/", data, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    # Each of the 4 has a phone (the factory gives one): 2 segments each, at 10 cents.
    assert "About <strong>€0.80</strong>: 8 segments in all, at €0.10 each." in html
    assert "Members who would get a text: 4." in html
    assert 'id="sms-size-en" hx-swap-oob="innerHTML"' in html
    assert "161 characters, 2 segments (GSM-7)" in html
    assert 'id="segment-size" hx-swap-oob="innerHTML"' in html


def test_a_tag_hidden_in_character_references_is_refused_on_its_language(manager, segment):
    response = manager.post(
        "/campaigns/new/",
        form_data(
            segment, subject_ro="Salut", body_ro="<p>&#123;&#123; shoe_size &#125;&#125;</p>"
        ),
    )

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["body_ro"]


def test_the_sms_estimate_counts_only_who_would_get_a_text(manager, segment):
    # Email first: only members without an email; promotional: only with SMS consent.
    data = form_data(segment, channel="email_or_sms", kind="promotional", sms_en="Hi")

    html = manager.post("/campaigns/estimate/", data, HTTP_HX_REQUEST="true").content.decode()

    assert "Members who would get a text: 1." in html  # Ciro


# The campaign's page -----------------------------------------------------------------


def test_the_preview_shows_the_message_in_the_members_language(manager, team, segment, members):
    campaign = make_campaign(team, segment)
    ioana = members[1]

    page = manager.get(f"/campaigns/{campaign.pk}/", {"member": ioana.public_id})
    html = page.content.decode()
    assert "Salut Ioana" in html
    assert "in Română" in html
    frame = re.search(r'<iframe class="email-preview" src="([^"]+)" sandbox', html)
    assert frame

    email = manager.get(frame.group(1).replace("&amp;", "&"))
    assert "Revino, Ioana." in email.content.decode()
    assert "sandbox" in email["Content-Security-Policy"]
    assert "script-src" not in email["Content-Security-Policy"]
    assert email["X-Frame-Options"] == "SAMEORIGIN"

    english = manager.get(f"/campaigns/{campaign.pk}/", {"member": members[0].public_id})
    assert "Hello Ana" in english.content.decode()


def test_the_preview_finds_members_by_search_and_swaps_by_htmx(manager, team, segment, members):
    campaign = make_campaign(
        team, segment, channel="email_or_sms", sms_body={"en": "Hi {{ first_name }}"}
    )

    response = manager.get(
        f"/campaigns/{campaign.pk}/", {"q": "ciro", "part": "preview"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert '<div id="preview-choice" hx-swap-oob="innerHTML">' in html
    assert 'id="preview-q"' not in html  # the search box stays as it is
    assert "Hi Ciro" in html
    assert "Stop: http" in html  # a promotional text ends with the stop link


def test_a_test_is_emailed_to_the_signed_in_user_and_is_limited(manager, team, segment, members):
    campaign = make_campaign(team, segment)
    mail.outbox.clear()

    response = manager.post(
        f"/campaigns/{campaign.pk}/test/", {"member": members[1].public_id}, follow=True
    )

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [team.manager.email]
    assert sent.subject == "[Test] Salut Ioana"
    assert "Sent a test" in response.content.decode()
    assert not Delivery.objects.filter(source=campaign.source).exists()
    for _ in range(TESTS_PER_HOUR):
        last = manager.post(
            f"/campaigns/{campaign.pk}/test/", {"member": members[1].public_id}, follow=True
        )
    assert len(mail.outbox) == TESTS_PER_HOUR
    assert "try again later" in last.content.decode()


def test_sending_asks_first_then_freezes_the_audience_and_sends(
    manager, team, segment, django_capture_on_commit_callbacks
):
    campaign = make_campaign(team, segment, holdout_percent=0)
    confirm = manager.get(f"/campaigns/{campaign.pk}/send/")
    assert "Yes, send it now" in confirm.content.decode()
    assert "4 members today" in confirm.content.decode()
    mail.outbox.clear()

    response = send_all(manager, campaign, django_capture_on_commit_callbacks)

    campaign.refresh_from_db()
    assert response.status_code == 302
    assert campaign.status == CampaignStatus.SENT
    deliveries = Delivery.objects.filter(source=campaign.source)
    assert deliveries.filter(state=State.SENT).count() == 3
    assert len(mail.outbox) == 3
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "100 %" in page
    assert "Sent: 3" in page
    assert "every 2s" not in page
    again = manager.post(f"/campaigns/{campaign.pk}/send/", follow=True)
    assert "This campaign has already been sent." in again.content.decode()


def test_pause_resume_and_cancel(manager, team, segment):
    campaign = make_campaign(team, segment)
    refused = manager.post(f"/campaigns/{campaign.pk}/pause/", follow=True)
    assert "Only a campaign that is sending can be paused." in refused.content.decode()

    campaign_send(campaign=campaign, actor=team.manager)  # on_commit not run: it stays sending
    manager.post(f"/campaigns/{campaign.pk}/pause/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Resume" in page
    assert ">Pause<" not in page

    manager.post(f"/campaigns/{campaign.pk}/resume/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING

    assert "Yes, cancel it" in manager.get(f"/campaigns/{campaign.pk}/cancel/").content.decode()
    manager.post(f"/campaigns/{campaign.pk}/cancel/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert AuditLog.objects.filter(action="campaign.cancelled").exists()


def test_the_progress_partial_polls_while_sending_and_stops_after(manager, team, segment):
    campaign = make_campaign(team, segment, holdout_percent=0)
    campaign_send(campaign=campaign, actor=team.manager)
    url = f"/campaigns/{campaign.pk}/progress/?shown=sending"

    waiting = manager.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    assert "Choosing the members who get it" in waiting

    campaign_freeze(campaign_id=campaign.pk)  # rows written; the batches not run here
    frozen = manager.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in frozen
    assert "Left: 3" in frozen
    assert 'value="0"' in frozen
    assert "hx-swap-oob" not in frozen

    Delivery.objects.filter(source=campaign.source).update(state=State.SENT)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    done = manager.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "every 2s" not in done
    assert "100 %" in done
    assert "Sent: 3" in done
    assert 'id="campaign-actions" hx-swap-oob="innerHTML"' in done
    assert ">Pause<" not in done


# The report --------------------------------------------------------------------------


def test_the_report_without_a_holdout_claims_no_lift(
    manager, team, segment, django_capture_on_commit_callbacks
):
    campaign = make_campaign(team, segment, holdout_percent=0)
    send_all(manager, campaign, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.filter(source=campaign.source).first()
    Click.objects.create(
        merchant=team.merchant, delivery=delivery, campaign=campaign, url="https://x.example/"
    )
    Click.objects.create(
        merchant=team.merchant, delivery=delivery, campaign=campaign, url="https://x.example/"
    )

    html = manager.get(f"/campaigns/{campaign.pk}/report/").content.decode()

    assert "No holdout: no lift can be claimed." in html
    assert "chart-visit-rate-data" not in html
    assert re.search(r"Clicks on links</th><td>2<", html)
    assert re.search(r"Members who clicked</th><td>1<", html)
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "No holdout: no lift can be claimed." in page  # the summary on its page


def test_the_report_with_a_holdout_compares_the_groups(
    manager, team, segment, members, django_capture_on_commit_callbacks
):
    campaign = make_campaign(team, segment, holdout_percent=50)
    send_all(manager, campaign, django_capture_on_commit_callbacks)
    # Given an audience split into both groups (the hash may put 3 members on one side):
    rows = Delivery.objects.filter(source=campaign.source).order_by("pk")
    rows.filter(pk=rows[0].pk).update(state=State.HOLDOUT)
    rows.filter(pk=rows[1].pk).update(state=State.SENT)
    buyer = rows.exclude(state=State.HOLDOUT).first().member
    buy(team, buyer, 2000)

    response = manager.get(f"/campaigns/{campaign.pk}/report/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "No holdout" not in html
    # One buyer among a handful: far too few to tell.
    assert "<strong>Inconclusive</strong>" in html
    assert "members per group would be needed" in html
    assert 'id="chart-visit-rate-data" type="application/json"' in html
    assert "95 % confidence interval" in html
    assert "Incremental revenue" in html
    assert "Return after the offer" in html
    assert "js/charts.js" in html
    assert "Opens are not counted" in html


def test_a_draft_has_no_report_yet(manager, team, segment):
    campaign = make_campaign(team, segment)
    html = manager.get(f"/campaigns/{campaign.pk}/report/").content.decode()
    assert "Nothing has been sent yet" in html


# The owner's limits ------------------------------------------------------------------


def test_the_owner_sets_the_limits_and_they_are_audited(team, client_as):
    owner = client_as(team.owner)
    page = owner.get("/campaigns/settings/")
    assert 'value="2"' in page.content.decode()  # the default, a week

    refused = owner.post(
        "/campaigns/settings/",
        {"cap_per_week": "1", "cap_per_day": "2", "send_rate_per_minute": "60"},
    )
    assert refused.status_code == 400
    assert list(refused.context["form"].errors) == ["cap_per_day"]
    assert not CampaignSettings.objects.exists()

    saved = owner.post(
        "/campaigns/settings/",
        {"cap_per_week": "3", "cap_per_day": "1", "send_rate_per_minute": "60"},
    )
    assert saved.status_code == 302
    row = CampaignSettings.objects.get(merchant=team.merchant)
    assert (row.cap_per_week, row.cap_per_day, row.send_rate_per_minute) == (3, 1, 60)
    assert AuditLog.objects.filter(action="campaigns.settings_updated").count() == 1


def test_managers_do_not_change_the_limits(manager):
    assert manager.get("/campaigns/settings/").status_code == 403


def test_a_scheduled_campaign_goes_at_its_time_or_now_once_the_time_is_taken_away(
    manager, team, segment
):
    manager.post(
        "/campaigns/new/",
        form_data(segment, send_when="later", send_date="2099-06-01", send_time="10:30"),
    )
    campaign = Campaign.objects.get()
    confirm = manager.get(f"/campaigns/{campaign.pk}/send/").content.decode()
    assert "Yes, schedule it" in confirm

    manager.post(f"/campaigns/{campaign.pk}/send/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert ">Schedule<" not in page
    assert ">Send now<" not in page

    manager.post(f"/campaigns/{campaign.pk}/edit/", form_data(segment))  # send_when "now"
    page = manager.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert ">Send now<" in page


def test_a_percent_coupon_offer_is_saved_and_shown(manager, segment):
    data = form_data(
        segment, offer_type="coupon_percent", offer_percent="15", offer_valid_days="30"
    )

    response = manager.post("/campaigns/new/", data, follow=True)

    campaign = Campaign.objects.get()
    assert campaign.offer == {"type": "coupon", "percent": 15, "valid_days": 30}
    assert "A coupon worth 15 %, valid 30 days" in response.content.decode()
    again = manager.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert re.search(r'value="coupon_percent"[^>]*checked', again)


def test_the_report_counts_unsubscribes_by_link_and_by_stop_text(
    manager, team, segment, members, django_capture_on_commit_callbacks
):
    campaign = make_campaign(team, segment, holdout_percent=0)
    send_all(manager, campaign, django_capture_on_commit_callbacks)
    ana, ioana = members[0], members[1]
    member_consent_set(member=ana, channel="email", granted=False, source="unsubscribe")
    member_consent_set(member=ioana, channel="sms", granted=False, source="sms_reply")

    html = manager.get(f"/campaigns/{campaign.pk}/report/").content.decode()

    # Ioana got an email: her SMS STOP is not this campaign's doing.
    assert re.search(r"Unsubscribed within 7 days</th><td>1<", html)
    text = make_campaign(
        team,
        segment,
        name="Text",
        channel="sms",
        subject="",
        body={"en": "Hi"},
        holdout_percent=0,
        # No quiet hours: the text goes whatever the time of day the test runs at.
        quiet_start=time(0),
        quiet_end=time(0),
    )
    send_all(manager, text, django_capture_on_commit_callbacks)
    ciro = members[3]  # a phone and no email: the text reached him
    member_consent_set(member=ciro, channel="sms", granted=False, source="sms_reply")
    texted = manager.get(f"/campaigns/{text.pk}/report/").content.decode()
    assert re.search(r"Unsubscribed within 7 days</th><td>1<", texted)
