"""The import's batch enrollment: the same rules as one enrollment, in a few queries."""

import itertools

import pytest

from apps.members.identifiers import new_card_code
from apps.members.models import Channel, EventKind, Member
from apps.members.services import DuplicateMember, enrollment, members_enroll_many
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def _row(team, **fields):
    return {"actor": team.manager, "channel": Channel.IMPORT, "first_name": "Ana", **fields}


def test_rows_are_enrolled_with_events_tags_and_consent(team):
    outcomes = members_enroll_many(
        merchant=team.merchant,
        rows=[
            _row(team, phone="611 000 001", consent_email=True, tags=["VIP", " vip "]),
            _row(team, email="B@Example.com", tags=["vegan"]),
        ],
    )
    first, second = (outcome.member for outcome in outcomes)
    assert first.phone == "+34611000001"
    assert second.email == "b@example.com"
    assert list(first.tags.values_list("name", flat=True)) == ["VIP"]
    assert list(second.tags.values_list("name", flat=True)) == ["vegan"]
    assert sorted(first.events.values_list("kind", flat=True)) == [
        EventKind.CONSENT,
        EventKind.ENROLLED,
    ]
    assert first.card_code != second.card_code


def test_bad_rows_and_duplicates_get_their_reason_and_the_rest_go_in(team):
    existing = enroll(team, phone="611 000 009")
    outcomes = members_enroll_many(
        merchant=team.merchant,
        rows=[
            _row(team, phone="12"),
            _row(team, phone="+34 611 000 009"),  # in the database already
            _row(team, phone="611 000 010"),
            _row(team, phone="611-000-010"),  # earlier in this batch
            _row(team, first_name="", email="x@example.com"),
            _row(team, email="ok@example.com", external_id="pos-1"),
            _row(team, email="other@example.com", external_id="pos-1"),
        ],
    )
    errors = [outcome.error for outcome in outcomes]
    assert "not a valid phone number" in errors[0].message
    assert isinstance(errors[1], DuplicateMember)
    assert errors[1].member == existing
    assert errors[2] is None
    assert isinstance(errors[3], DuplicateMember)
    assert errors[4].field == "first_name"
    assert errors[5] is None
    assert errors[6].field == "external_id"
    assert Member.objects.for_merchant(team.merchant).count() == 3


def test_a_conflict_the_check_could_not_see_falls_back_to_one_by_one(team, monkeypatch):
    taken = enroll(team).card_code
    codes = itertools.chain([taken], iter(new_card_code, None))
    monkeypatch.setattr(enrollment, "new_card_code", lambda: next(codes))

    outcomes = members_enroll_many(
        merchant=team.merchant,
        rows=[_row(team, phone="611 000 021"), _row(team, phone="611 000 022")],
    )

    assert all(outcome.member is not None for outcome in outcomes)
    assert Member.objects.for_merchant(team.merchant).count() == 3
    assert taken not in {outcome.member.card_code for outcome in outcomes}


def test_a_batch_costs_a_few_queries_not_several_per_member(team, django_assert_max_num_queries):
    rows = [_row(team, phone=f"611 100 {n:03d}", tags=["vip"]) for n in range(200)]
    with django_assert_max_num_queries(12):
        members_enroll_many(merchant=team.merchant, rows=rows)
    assert Member.objects.for_merchant(team.merchant).count() == 200
