"""The survey's answers read back: the Net Promoter Score card of the analytics dashboard
(figures against hand-computed values, by month and by location, in the merchant's days,
this business's alone, managers only), the `nps` segment field, and the answers as
personal data (export, merge, erasure)."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from apps.analytics.periods import Period
from apps.campaigns.models import SurveyAnswer
from apps.campaigns.selectors import segment_members
from apps.campaigns.surveys.selectors import NpsCounts, nps_counts, nps_summary
from apps.members.selectors import member_personal_data
from apps.members.services import member_erase, member_merge
from tests.campaigns.factories import survey_answered
from tests.core.factories import LocationFactory
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")  # the test merchants' zone
MAY_AND_JUNE = Period(date(2026, 5, 1), date(2026, 6, 30))
QUERY = {"preset": "custom", "start": "2026-05-01", "end": "2026-06-30", "compare": "on"}


def madrid(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MADRID)


@pytest.fixture
def answers(team, other_team):
    """Scores by hand. In May and June (Madrid days): at the first location 10 (1 May at
    00:30, still 30 April in UTC), 10, 9, 8; at Harbour 7, 6, 3; a purchase without a
    location 9 (May). Outside: 0 on 30 April at 23:30 (the period before) and 0 on 1 July
    at 00:30 (still 30 June in UTC); the other business's 0s in June."""
    first, harbour = team.merchant_location, LocationFactory(merchant=team.merchant, name="Harbour")
    given = [
        (10, first, madrid(5, 1, 0, 30)),
        (9, None, madrid(5, 20, 12)),
        (10, first, madrid(6, 2, 12)),
        (9, first, madrid(6, 3, 12)),
        (8, first, madrid(6, 4, 12)),
        (7, harbour, madrid(6, 5, 12)),
        (6, harbour, madrid(6, 6, 12)),
        (3, harbour, madrid(6, 7, 12)),
        (0, first, madrid(4, 30, 23, 30)),
        (0, first, madrid(7, 1, 0, 30)),
    ]
    for number, (score, location, at) in enumerate(given):
        member = enroll(team, first_name=f"M{number}", email=f"m{number}@example.com")
        purchase = buy(team, member, 1000, at=at, location=location).purchase
        survey_answered(team, member, score, at=at, purchase=purchase)
    for number in range(3):
        stranger = enroll(other_team, first_name=f"Other {number}")
        survey_answered(other_team, stranger, 0, at=madrid(6, 10 + number, 12))
    return first, harbour


def test_the_figures_against_hand_computed_values(team, answers):
    first, harbour = answers

    summary = nps_summary(merchant=team.merchant, period=MAY_AND_JUNE, location=None)

    # 8 answers: promoters 10, 10, 9, 9; passives 8, 7; detractors 6, 3
    counts = summary.counts
    assert counts == NpsCounts(answers=8, promoters=4, passives=2, detractors=2)
    assert counts.score == Decimal("25.0")  # 50 % − 25 %
    assert (counts.promoters_percent, counts.passives_percent, counts.detractors_percent) == (
        Decimal("50.0"),
        Decimal("25.0"),
        Decimal("25.0"),
    )
    assert [(month.isoformat(), c.score) for month, c in summary.by_month] == [
        ("2026-05-01", Decimal("100.0")),  # 10, 9
        ("2026-06-01", Decimal("0.0")),  # 10, 9, 8, 7, 6, 3
    ]
    assert [(place and place.name, c.answers, c.score) for place, c in summary.by_location] == [
        ("Harbour", 3, Decimal("-66.7")),  # 7, 6, 3: −200/3
        (first.name, 4, Decimal("75.0")),  # 10, 10, 9, 8 ("Main street": by name)
        (None, 1, Decimal("100.0")),  # last
    ]
    # the period before (61 days): the 0 of 30 April
    before = nps_counts(merchant=team.merchant, period=MAY_AND_JUNE.previous(), location=None)
    assert (before.answers, before.score) == (1, Decimal("-100.0"))
    # a location narrows it
    at_harbour = nps_counts(merchant=team.merchant, period=MAY_AND_JUNE, location=harbour)
    assert at_harbour == NpsCounts(answers=3, promoters=0, passives=1, detractors=2)


def test_without_answers_there_is_no_score():
    assert NpsCounts().score is None
    assert NpsCounts().promoters_percent is None


def test_the_card_shows_this_business_figures_with_the_period_before(team, answers, client_as):
    client = client_as(team.manager)

    card = client.get(reverse("campaigns:nps_card"), QUERY)
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("campaigns:nps_card_csv"), QUERY).content.decode())
        )
    )

    assert card.status_code == 200
    assert 'id="card-nps"' in card.text
    assert "/campaigns/nps/card/csv/?preset=custom" in card.text
    assert rows[:7] == [
        ["Figure", "Value", "Previous period"],
        ["NPS", "25.0", "-100.0"],
        ["Answers", "8", "1"],
        ["Promoters", "50.0", "0.0"],
        ["Passives", "25.0", "0.0"],
        ["Detractors", "25.0", "100.0"],
        [],
    ]
    by_month = rows[
        rows.index(["Month", "Answers", "Promoters", "Passives", "Detractors", "NPS"]) + 1 :
    ]
    assert by_month[:2] == [
        ["2026-05", "2", "2", "0", "0", "100.0"],
        ["2026-06", "6", "2", "2", "2", "0.0"],
    ]


def test_the_card_is_on_the_dashboard_for_managers_only(team, client_as):
    manager = client_as(team.manager)
    page = manager.get(reverse("analytics:dashboard"))
    assert 'hx-get="/campaigns/nps/card/?preset=custom' in page.text
    assert manager.get(reverse("campaigns:nps_card")).status_code == 200

    staff = client_as(team.staff)
    assert staff.get(reverse("campaigns:nps_card")).status_code == 403
    assert staff.get(reverse("campaigns:nps_card_csv")).status_code == 403


def test_another_business_answers_never_reach_the_card(team, other_team, answers, client_as):
    client = client_as(other_team.manager)

    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("campaigns:nps_card_csv"), QUERY).content.decode())
        )
    )
    refused = client.get(
        reverse("campaigns:nps_card"), QUERY | {"location": team.merchant_location.pk}
    )

    assert rows[1:3] == [["NPS", "-100.0", ""], ["Answers", "3", "0"]]  # its own three 0s
    assert refused.status_code == 400


# The segment field ----------------------------------------------------------------------


def selected(team, rules) -> set[str]:
    return set(
        segment_members(merchant=team.merchant, rules=rules).values_list("first_name", flat=True)
    )


def test_the_nps_field_reads_the_latest_answer_and_never_answered_fails_it(team, other_team):
    changed = enroll(team, first_name="Changed", email="changed@example.com")
    survey_answered(team, changed, 9, at=datetime(2026, 5, 1, tzinfo=UTC))
    survey_answered(team, changed, 3, at=datetime(2026, 6, 1, tzinfo=UTC))
    fan = enroll(team, first_name="Fan", email="fan@example.com")
    survey_answered(team, fan, 10, at=datetime(2026, 5, 1, tzinfo=UTC))
    enroll(team, first_name="Silent", email="silent@example.com")
    stranger = enroll(other_team, first_name="Stranger")
    survey_answered(other_team, stranger, 10, at=datetime(2026, 7, 1, tzinfo=UTC))

    promoters = {"field": "nps", "op": "gte", "value": 9}
    assert selected(team, promoters) == {"Fan"}
    assert selected(team, {"not": promoters}) == {"Changed", "Silent"}
    assert selected(team, {"field": "nps", "op": "lte", "value": 6}) == {"Changed"}
    assert selected(team, {"field": "nps", "op": "is_not", "value": 10}) == {"Changed"}
    assert selected(team, {"not": {"field": "nps", "op": "between", "value": [0, 10]}}) == {
        "Silent"
    }


# Personal data --------------------------------------------------------------------------


def test_the_answers_are_in_the_members_data_and_move_with_a_merge(team):
    survivor = enroll(team, first_name="Ana", email="ana@example.com")
    duplicate = enroll(team, first_name="Ana", phone="+34 600 999 000")
    survey_answered(team, duplicate, 4, at=datetime(2026, 6, 1, tzinfo=UTC))

    member_merge(survivor=survivor, duplicate=duplicate, actor=team.manager)

    assert SurveyAnswer.objects.get().member == survivor
    data = member_personal_data(member=survivor)
    assert [answer["score"] for answer in data["surveys"]] == [4]
    assert selected(team, {"field": "nps", "op": "is", "value": 4}) == {"Ana"}


def test_an_erased_members_answer_still_counts_without_anyone_behind_it(team):
    ana = enroll(team, first_name="Ana", email="ana@example.com")
    survey_answered(team, ana, 10, at=madrid(6, 1, 12))

    member_erase(member=ana, actor=team.manager)

    counts = nps_counts(merchant=team.merchant, period=MAY_AND_JUNE, location=None)
    assert counts.answers == 1
    assert selected(team, {"field": "nps", "op": "is", "value": 10}) == set()
