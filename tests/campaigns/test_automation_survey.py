"""The post-purchase survey: one question (0 to 10) the day after a purchase, at most once
per member in 90 days, a service message; answered by a click on a signed link (a GET
shows the question with the score chosen, the POST records it, a second POST corrects
it), in the member's language, the token kept private and rate-limited."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.automations.run import automations_run
from apps.campaigns.models import AutomationKind, AutomationOccurrence, SurveyAnswer
from apps.campaigns.rendering import click_url
from apps.campaigns.surveys.links import survey_token, survey_url
from apps.members.services.preferences import member_links_revoke
from apps.messaging.links import CARD, member_token
from apps.messaging.models import Delivery, Purpose
from apps.messaging.sms import outbox as sms_outbox
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

START = datetime(2026, 6, 10, 10, tzinfo=UTC)  # noon in Madrid: no quiet hours
SURVEY_LINK = re.compile(r'href="(https?://[^"]*/s/[^"/]+/(\d+)/)"')


@pytest.fixture
def clock(monkeypatch):
    """What `timezone.now()` answers (the purchase handler reads it), moved by hand."""
    moments = [START]
    monkeypatch.setattr(timezone, "now", lambda: moments[-1])
    return moments


@pytest.fixture
def survey_on(team, clock):
    return automation_enable(
        merchant=team.merchant, kind=AutomationKind.SURVEY, actor=team.manager, now=START
    )


@pytest.fixture
def bought(team, django_capture_on_commit_callbacks):
    def buy_now(member, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return buy(team, member, at=timezone.now(), **fields).purchase

    return buy_now


@pytest.fixture
def run(team, django_capture_on_commit_callbacks):
    def run_at(now: datetime):
        with django_capture_on_commit_callbacks(execute=True):
            return automations_run(merchant=team.merchant, now=now)

    return run_at


def surveys(mailoutbox) -> list:
    return [message for message in mailoutbox if "/s/" in message.alternatives[0][0]]


def links_of(message) -> list[tuple[str, int]]:
    return [(url, int(score)) for url, score in SURVEY_LINK.findall(message.alternatives[0][0])]


def path_of(url: str) -> str:
    return url[url.index("/s/") :]


@pytest.fixture
def asked(team, survey_on, bought, run, mailoutbox):
    """Ana (English, no marketing consent) bought at a location and got the survey."""
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="en")
    purchase = bought(ana, location=team.merchant_location)
    run(START + timedelta(days=1, minutes=1))
    delivery = Delivery.objects.get(member=ana, source=survey_on.source)
    return ana, purchase, delivery


# The message ----------------------------------------------------------------------------


def test_the_survey_goes_the_day_after_the_purchase_with_eleven_signed_links(
    team, survey_on, bought, run, mailoutbox
):
    # given: a member without marketing consent (a service message needs none)
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="en")
    purchase = bought(ana)
    mailoutbox.clear()

    # when: the runs before and after a day
    run(START + timedelta(hours=23))
    assert surveys(mailoutbox) == []
    run(START + timedelta(days=1, minutes=1))

    # then: one survey, for that purchase, with the answers 0 to 10 as direct links
    [message] = surveys(mailoutbox)
    assert message.subject == f"How was your visit to {team.merchant.name}?"
    links = links_of(message)
    assert [score for _url, score in links] == list(range(11))
    assert len({url.split("/s/")[1].split("/")[0] for url, _score in links}) == 1  # one token
    assert "/r/" not in message.alternatives[0][0]  # not through the click redirect
    delivery = Delivery.objects.get(member=ana, source=survey_on.source)
    assert delivery.occurrence == f"p{purchase.pk}"
    assert delivery.purpose == Purpose.SERVICE


def test_at_most_one_survey_per_member_in_90_days(team, survey_on, bought, run, mailoutbox, clock):
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="en")
    bought(ana)
    bought(ana)  # the same day: one survey for the visit
    run(START + timedelta(days=1, minutes=1))
    assert len(surveys(mailoutbox)) == 1

    clock.append(START + timedelta(days=60))
    bought(ana)
    run(START + timedelta(days=61, minutes=1))
    assert len(surveys(mailoutbox)) == 1

    clock.append(START + timedelta(days=95))
    bought(ana)
    run(START + timedelta(days=96, minutes=1))
    assert len(surveys(mailoutbox)) == 2
    # the purchases within the cooldown noticed nothing: one occurrence per survey sent
    assert AutomationOccurrence.objects.filter(automation=survey_on).count() == 2


def test_a_second_occurrence_noticed_anyway_is_held_by_the_cooldown(
    team, survey_on, bought, run, mailoutbox
):
    # given: two purchases noticed before either was asked about (the handler's check
    # raced): processing still asks once
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="en")
    first = bought(ana)
    AutomationOccurrence.objects.create(
        merchant=team.merchant,
        automation=survey_on,
        member=ana,
        occurrence=f"p{first.pk + 1000}",
        due_at=START + timedelta(days=1),
        created_at=START,
    )

    run(START + timedelta(days=1, minutes=1))

    assert len(surveys(mailoutbox)) == 1
    outcomes = AutomationOccurrence.objects.filter(automation=survey_on)
    assert sorted(outcomes.values_list("outcome", flat=True)) == ["cooldown", "queued"]


def test_a_purchase_recorded_days_late_asks_nothing(team, survey_on, run, mailoutbox):
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="en")
    buy(team, ana, at=START - timedelta(days=3), run_on_commit=True)

    run(START + timedelta(days=2))

    assert surveys(mailoutbox) == []
    assert not AutomationOccurrence.objects.filter(automation=survey_on).exists()


def test_by_sms_the_survey_carries_the_link_to_the_question(team, survey_on, bought, run):
    survey_on.channel = "sms"
    survey_on.save(update_fields=["channel"])
    ben = enroll(team, first_name="Ben", phone="+34 600 111 222", language="en")
    sms_outbox.clear()
    bought(ben)

    run(START + timedelta(days=1, minutes=1))

    [text] = [message for message in sms_outbox if "/s/" in message.body]
    delivery = Delivery.objects.get(member=ben, source=survey_on.source)
    assert text.body.endswith(survey_url(delivery_id=delivery.pk, member=ben))
    assert "from 0 to 10" in text.body


def test_the_merchants_text_places_the_links_or_gets_them_at_its_end(
    team, survey_on, bought, run, mailoutbox
):
    survey_on.body = {"en": "<p>Rate us!</p><p>{{ survey_links }}</p><p>Thanks.</p>"}
    survey_on.save(update_fields=["body"])
    ana = enroll(team, first_name="Ana", email="ana@example.com", language="en")
    bought(ana)
    run(START + timedelta(days=1, minutes=1))
    [placed] = surveys(mailoutbox)
    html = placed.alternatives[0][0]
    assert html.index("Rate us!") < html.index("/s/") < html.index("Thanks.")

    survey_on.body = {"en": "<p>Tell us how we did.</p>"}
    survey_on.save(update_fields=["body"])
    cris = enroll(team, first_name="Cris", email="cris@example.com", language="en")
    bought(cris)
    run(START + timedelta(days=1, minutes=2))
    [appended] = [m for m in surveys(mailoutbox) if m.to == ["cris@example.com"]]
    html = appended.alternatives[0][0]
    assert html.index("Tell us how we did.") < html.index("/s/")
    assert len(links_of(appended)) == 11


# The page -------------------------------------------------------------------------------


def test_a_get_shows_the_question_with_the_score_chosen_and_records_nothing(
    asked, client, mailoutbox
):
    ana, _purchase, delivery = asked
    [message] = surveys(mailoutbox)
    url, score = links_of(message)[8]

    response = client.get(path_of(url))

    assert response.status_code == 200
    assert score == 8
    assert re.search(r'value="8" required checked', response.content.decode())
    assert response.content.decode().count("checked") == 1
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Content-Language"] == "en"
    assert not SurveyAnswer.objects.exists()


def test_a_post_records_the_answer_and_a_second_post_corrects_it(asked, client, team):
    ana, purchase, delivery = asked
    path = path_of(survey_url(delivery_id=delivery.pk, member=ana, score=3))

    first = client.post(path, {"score": "3"})
    second = client.post(path, {"score": "9"})

    assert first.status_code == second.status_code == 200
    assert "Thank you!" in second.content.decode()
    answer = SurveyAnswer.objects.get()
    assert (answer.delivery, answer.member, answer.score) == (delivery, ana, 9)
    assert answer.purchase == purchase
    assert answer.location == team.merchant_location
    assert answer.merchant == team.merchant


def test_a_post_without_a_score_from_0_to_10_records_nothing(asked, client):
    ana, _purchase, delivery = asked
    path = path_of(survey_url(delivery_id=delivery.pk, member=ana))

    responses = [client.post(path, {"score": value}) for value in ("11", "-1", "", "x")]

    assert {response.status_code for response in responses} == {400}
    assert not SurveyAnswer.objects.exists()
    assert client.get(path + "11/").status_code == 404


def test_the_page_is_in_the_members_language(team, survey_on, bought, run, client):
    eva = enroll(team, first_name="Eva", email="eva@example.com", language="ro")
    bought(eva)
    run(START + timedelta(days=1, minutes=1))
    delivery = Delivery.objects.get(member=eva, source=survey_on.source)

    response = client.get(path_of(survey_url(delivery_id=delivery.pk, member=eva, score=10)))

    assert response["Content-Language"] == "ro"
    assert '<html lang="ro">' in response.content.decode()


# The token ------------------------------------------------------------------------------


def test_a_forged_or_damaged_token_shows_nothing(asked, client):
    ana, _purchase, delivery = asked
    token = survey_token(delivery_id=delivery.pk, member=ana)

    for bad in (token[:-2] + "xx", "nothing", token.replace(f"{delivery.pk}.", "1.", 1)):
        response = client.get(reverse("survey_score", args=[bad, 5]))
        assert response.status_code == 404
        assert response["Referrer-Policy"] == "no-referrer"
        assert client.post(reverse("survey", args=[bad]), {"score": "5"}).status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_an_expired_token_shows_nothing(asked, client, settings, monkeypatch):
    ana, _purchase, delivery = asked
    path = path_of(survey_url(delivery_id=delivery.pk, member=ana, score=5))
    later = signing.time.time() + 31 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)

    assert client.get(path).status_code == 404
    assert client.post(path, {"score": "5"}).status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_another_purposes_token_or_another_message_is_no_survey_token(
    asked, client, team, mailoutbox
):
    ana, _purchase, delivery = asked
    card = member_token(member=ana, purpose=CARD)
    click = click_url(delivery_id=delivery.pk, url="https://shop.example/")
    # a message that is not a survey, signed as one
    thanks = Delivery.objects.create(
        merchant=team.merchant,
        member=ana,
        source="campaign:1",
        channel="email",
        purpose=Purpose.MARKETING,
        address=ana.email,
    )
    not_a_survey = survey_token(delivery_id=thanks.pk, member=ana)

    for token in (card, click.rsplit("/", 2)[1], not_a_survey):
        assert client.get(reverse("survey_score", args=[token, 5])).status_code == 404


def test_a_survey_of_another_merchants_automation_shows_nothing(asked, client, other_team):
    # given: the row names another business's survey automation (never made so; refused
    # all the same)
    ana, _purchase, delivery = asked
    theirs = automation_enable(
        merchant=other_team.merchant, kind=AutomationKind.SURVEY, actor=other_team.manager
    )
    Delivery.objects.filter(pk=delivery.pk).update(source=theirs.source)
    path = path_of(survey_url(delivery_id=delivery.pk, member=ana, score=5))

    assert client.get(path).status_code == 404
    assert client.post(path, {"score": "5"}).status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_a_revoked_token_says_so(asked, client):
    ana, _purchase, delivery = asked
    path = path_of(survey_url(delivery_id=delivery.pk, member=ana, score=5))
    member_links_revoke(member=ana, source="dashboard")

    shown = client.get(path)
    posted = client.post(path, {"score": "5"})

    assert shown.status_code == posted.status_code == 410
    assert shown["Referrer-Policy"] == "no-referrer"
    assert "This link no longer works" in shown.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_past_the_rate_limit_the_page_answers_429(asked, client, settings):
    settings.LINK_PAGE_RATE_LIMITS = settings.LINK_PAGE_RATE_LIMITS | {
        "survey": {"per_ip": 100, "per_token": 2, "window": 3600}
    }
    ana, _purchase, delivery = asked
    path = path_of(survey_url(delivery_id=delivery.pk, member=ana, score=5))

    codes = [client.get(path).status_code, client.post(path, {"score": "5"}).status_code]
    codes.append(client.post(path, {"score": "6"}).status_code)

    assert codes == [200, 200, 429]
    assert SurveyAnswer.objects.get().score == 5


def test_the_token_is_kept_out_of_the_logs():
    from apps.core.public_links import TOKEN_PATHS

    assert TOKEN_PATHS.sub(r"/\1/…", "GET /s/abc:def:ghi/7/ 200") == "GET /s/…/7/ 200"
