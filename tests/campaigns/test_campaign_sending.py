"""Sending a campaign (tasks run inline here; tests/campaigns/test_campaign_worker.py runs
them through a real broker, worker and SMTP server): who is reached, held out, capped and
skipped; each member once; offers; pause, cancel, quiet hours; the counts add up."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.campaigns.models import CampaignStatus, OfferGrant
from apps.campaigns.selectors import campaign_counts
from apps.campaigns.services.sending import (
    campaign_cancel,
    campaign_freeze,
    campaign_pause,
    campaign_resume,
    campaign_send,
    campaign_send_batch,
    campaigns_tick,
    in_holdout,
    in_quiet_hours,
)
from apps.core.errors import Conflict
from apps.messaging.models import Delivery, Purpose, State
from apps.messaging.services import deliveries_sweep, email_event_received, suppression_add
from apps.programs.coupons.models import Coupon
from apps.programs.points.selectors import points_balance
from tests.campaigns.factories import campaign
from tests.conftest import refusal
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks, team):
    def run(target):
        with django_capture_on_commit_callbacks(execute=True):
            campaign_send(campaign=target, actor=team.manager)
        target.refresh_from_db()
        return target

    return run


@pytest.fixture
def people(team):
    team.merchant.language = "es"
    team.merchant.save(update_fields=["language"])
    return {
        "ana": enroll(
            team, first_name="Ana", email="ana@example.com", consent_email=True, language="es"
        ),
        "ben": enroll(
            team, first_name="Ben", email="ben@example.com", consent_email=True, language="en"
        ),
        "cris": enroll(team, first_name="Cris", email="cris@example.com", consent_email=False),
        "dan": enroll(team, first_name="Dan", consent_email=True, consent_sms=True),  # phone only
        "eva": enroll(team, first_name="Eva", email="eva@example.com", consent_email=True),
    }


def states(target) -> dict[str, tuple[str, str]]:
    rows = Delivery.objects.filter(source=target.source).select_related("member")
    return {row.member.first_name: (row.state, row.reason) for row in rows}


def test_a_promotional_email_reaches_consenting_members_once_in_their_language(
    team, people, send, mailoutbox
):
    sent = send(campaign(team))

    assert sent.status == CampaignStatus.SENT
    assert states(sent) == {
        "Ana": (State.SENT, ""),
        "Ben": (State.SENT, ""),
        "Eva": (State.SENT, ""),
    }
    subjects = sorted(message.subject for message in mailoutbox)
    assert subjects == ["Hello Ben", "Hola Ana", "Hola Eva"]  # Eva: the merchant's language
    assert all(message.extra_headers.get("List-Unsubscribe") for message in mailoutbox)
    counts = campaign_counts(campaign=sent)
    assert counts["targeted"] == 3 == counts["sent"]
    assert Delivery.objects.filter(source=sent.source, purpose=Purpose.MARKETING).count() == 3


def test_an_informational_message_needs_no_consent_but_respects_suppression(
    team, people, send, mailoutbox
):
    suppression_add(
        merchant_id=team.merchant.pk, channel="email", address="eva@example.com", reason="bounced"
    )

    sent = send(campaign(team, kind="informational"))

    assert set(states(sent)) == {"Ana", "Ben", "Cris"}
    assert {message.to[0] for message in mailoutbox} == {
        "ana@example.com",
        "ben@example.com",
        "cris@example.com",
    }
    assert campaign_counts(campaign=sent)["suppressed"] == 1
    assert not any(message.extra_headers.get("List-Unsubscribe") for message in mailoutbox)


def test_email_or_sms_texts_members_without_email(team, people, send, settings):
    sent = send(
        campaign(
            team,
            channel="email_or_sms",
            sms_body={"es": "Hola {{ first_name }}: {{ shop_name }} te espera"},
        )
    )

    rows = Delivery.objects.filter(source=sent.source)
    assert rows.get(member=people["dan"]).channel == "sms"
    assert rows.filter(channel="email").count() == 3


def test_sending_again_is_a_conflict(team, people, send):
    sent = send(campaign(team))

    with refusal(Conflict) as refused:
        campaign_send(campaign=sent, actor=team.manager)
    assert refused.value.code == "campaign_sent"


def test_the_holdout_is_a_stable_hash_and_gets_nothing(team, send, mailoutbox):
    members = [
        enroll(team, first_name=f"M{n}", email=f"m{n}@example.com", consent_email=True)
        for n in range(40)
    ]
    target = campaign(team, holdout_percent=50, offer={"type": "bonus_points", "points": 25})

    sent = send(target)

    held = {
        member.pk
        for member in members
        if in_holdout(campaign_id=sent.pk, member_id=member.pk, percent=50)
    }
    assert 8 < len(held) < 32  # a fair coin on 40 members
    rows = Delivery.objects.filter(source=sent.source)
    assert set(rows.filter(state=State.HOLDOUT).values_list("member_id", flat=True)) == held
    assert len(mailoutbox) == 40 - len(held)
    granted = set(OfferGrant.objects.filter(campaign=sent).values_list("member_id", flat=True))
    assert granted == {member.pk for member in members} - held
    counts = campaign_counts(campaign=sent)
    assert counts["sent"] + counts["holdout"] + counts["skipped"] + counts["failed"] == 40


def test_the_frequency_cap_skips_and_records_but_keeps_the_holdout(team, people, send, mailoutbox):
    first = send(campaign(team, name="One"))
    second = send(campaign(team, name="Two"))

    assert {state for state, _reason in states(second).values()} == {State.SKIPPED}
    assert {reason for _state, reason in states(second).values()} == {"frequency_cap"}
    assert len(mailoutbox) == 3  # the first campaign's
    counts = campaign_counts(campaign=second)
    assert counts["skipped"] == counts["targeted"] == 3
    assert first.status == second.status == CampaignStatus.SENT


def test_each_recipient_gets_their_own_coupon_and_the_holdout_none(team, people, send, mailoutbox):
    send(
        campaign(
            team,
            body={"es": "<p>Tu código: {{ coupon_code }} ({{ coupon_value }})</p>"},
            offer={"type": "coupon", "amount": 500, "valid_days": 30},
        )
    )

    coupons = Coupon.objects.filter(merchant=team.merchant, source="campaign")
    assert coupons.count() == 3
    assert len({coupon.code for coupon in coupons}) == 3
    for message in mailoutbox:
        member_coupon = coupons.get(member__email=message.to[0])
        assert member_coupon.code in message.body


def test_bonus_points_are_credited_once(team, people, send):
    sent = send(campaign(team, offer={"type": "bonus_points", "points": 40}))

    assert points_balance(member=people["ana"]) == 40
    assert points_balance(member=people["cris"]) == 0  # no consent, not reached
    assert OfferGrant.objects.filter(campaign=sent).count() == 3


def test_cancelling_skips_what_was_not_sent(team, people):
    target = campaign(team)
    campaign_send(campaign=target, actor=team.manager)  # the send waits for the commit

    cancelled = campaign_cancel(campaign=target, actor=team.manager)

    assert cancelled.status == CampaignStatus.CANCELLED
    with refusal(Conflict) as refused:
        campaign_send(campaign=target, actor=team.manager)
    assert refused.value.code == "campaign_sent"


def test_pause_and_resume(team, people, django_capture_on_commit_callbacks, mailoutbox):
    target = campaign(team)
    campaign_send(campaign=target, actor=team.manager)  # not run: no commit yet
    paused = campaign_pause(campaign=target, actor=team.manager)
    assert paused.status == CampaignStatus.PAUSED

    with django_capture_on_commit_callbacks(execute=True):
        campaign_resume(campaign=target, actor=team.manager)

    target.refresh_from_db()
    assert target.status == CampaignStatus.SENT
    assert len(mailoutbox) == 3


def test_the_deliveries_sweeper_leaves_a_campaigns_rows_to_its_batches(
    team, people, settings, django_capture_on_commit_callbacks, mailoutbox
):
    # given: a paused campaign whose rows are queued, and welcomes whose sends were lost
    target = campaign(team)
    campaign_send(campaign=target, actor=team.manager)  # not run: no commit
    campaign_freeze(campaign_id=target.pk)
    campaign_pause(campaign=target, actor=team.manager)
    welcomes = Delivery.objects.filter(source="welcome", state=State.QUEUED).count()
    settings.MESSAGING_STALE_MINUTES = 0

    # when: the sweeper finds them all stale
    with django_capture_on_commit_callbacks(execute=True):
        swept = deliveries_sweep()

    # then: it sends the welcomes; the campaign's rows wait for its batches (and the resume)
    assert swept.resent == welcomes > 0
    assert set(states(target).values()) == {(State.QUEUED, "")}
    assert len(mailoutbox) == welcomes
    assert not any(message.subject.startswith(("Hola", "Hello")) for message in mailoutbox)


def test_a_scheduled_campaign_starts_when_due(
    team, people, django_capture_on_commit_callbacks, mailoutbox
):
    later = timezone.now() + timedelta(hours=2)
    target = campaign(team, send_at=later)
    campaign_send(campaign=target, actor=team.manager)
    target.refresh_from_db()
    assert target.status == CampaignStatus.SCHEDULED

    assert campaigns_tick(now=timezone.now()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_tick(now=later + timedelta(seconds=1)) == 1

    target.refresh_from_db()
    assert target.status == CampaignStatus.SENT
    assert len(mailoutbox) == 3


def test_quiet_hours_hold_the_sms_only(team, people, send, monkeypatch):
    madrid = ZoneInfo("Europe/Madrid")
    target = campaign(team, channel="email_or_sms", sms_body="Hola {{ first_name }}")
    night = datetime(2026, 12, 3, 22, 30, tzinfo=madrid)
    day = datetime(2026, 12, 3, 12, 0, tzinfo=madrid)
    team.merchant.timezone = "Europe/Madrid"
    target.merchant.timezone = "Europe/Madrid"
    assert in_quiet_hours(campaign=target, now=night)
    assert not in_quiet_hours(campaign=target, now=day)
    target.quiet_start, target.quiet_end = time(13, 0), time(15, 0)
    assert in_quiet_hours(campaign=target, now=datetime(2026, 12, 3, 14, 0, tzinfo=madrid))
    assert not in_quiet_hours(campaign=target, now=datetime(2026, 12, 3, 15, 0, tzinfo=madrid))

    monkeypatch.setattr(timezone, "now", lambda: night.astimezone(ZoneInfo("UTC")))
    team.merchant.save()
    sent = send(target)

    assert sent.status == CampaignStatus.SENDING
    rows = Delivery.objects.filter(source=sent.source)
    assert rows.get(member=people["dan"]).state == State.QUEUED
    assert set(rows.filter(channel="email").values_list("state", flat=True)) == {State.SENT}


def test_a_bounce_from_one_campaign_keeps_the_address_out_of_the_next(team, people, send):
    first = send(campaign(team, name="One", kind="informational"))
    bounced = Delivery.objects.get(source=first.source, member=people["ana"])

    email_event_received(
        provider_id=bounced.provider_id, event_type="bounced", recipient="ana@example.com"
    )
    second = send(campaign(team, name="Two", kind="informational"))

    assert Delivery.objects.get(pk=bounced.pk).state == State.BOUNCED
    assert not Delivery.objects.filter(source=second.source, member=people["ana"]).exists()
    assert campaign_counts(campaign=second)["suppressed"] == 1
    assert campaign_counts(campaign=first)["sent"] == 4  # a bounce was handed over: sent


def test_a_member_who_withdrew_consent_since_the_freeze_gets_no_offer(
    team, people, django_capture_on_commit_callbacks, mailoutbox
):
    target = campaign(team, offer={"type": "bonus_points", "points": 30})
    campaign_send(campaign=target, actor=team.manager)  # waits for the commit
    campaign_freeze(campaign_id=target.pk)  # frozen; the batches wait for the commit
    people["ana"].consent_email = False
    people["ana"].save(update_fields=["consent_email"])

    with django_capture_on_commit_callbacks(execute=True):
        campaign_send_batch(campaign_id=target.pk)

    assert points_balance(member=people["ana"]) == 0
    assert states(target)["Ana"] == (State.SKIPPED, "no_consent")
    assert points_balance(member=people["ben"]) == 30


def test_a_restarted_run_of_batches_stops_the_late_batches_of_the_old_one(
    team, people, settings, django_capture_on_commit_callbacks, mailoutbox
):
    # given: three members to reach, batches of two: two chains of batches at once
    settings.CAMPAIGN_BATCH_SIZE = 2
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the batches are tasks, left unrun here
    target = campaign(team)
    campaign_send(campaign=target, actor=team.manager)
    with django_capture_on_commit_callbacks() as first_run:
        campaign_freeze(campaign_id=target.pk)
    target.refresh_from_db()
    old_token = target.send_token
    assert (target.send_chains, len(first_run)) == (2, 2)

    # when: the tick finds the campaign stalled (its batches' tasks lost, or only late)
    with django_capture_on_commit_callbacks() as second_run:
        campaigns_tick(now=timezone.now() + timedelta(minutes=5))
    target.refresh_from_db()

    # then: a new run of two chains; a batch of the old run sends nothing, the new one sends
    assert len(second_run) == 2
    assert target.send_token not in ("", old_token)
    assert campaign_send_batch(campaign_id=target.pk, token=old_token).sent == 0
    assert len(mailoutbox) == 0
    assert campaign_send_batch(campaign_id=target.pk, token=target.send_token).sent == 2
    assert len(mailoutbox) == 2
