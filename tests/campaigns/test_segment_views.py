"""The segment builder in the dashboard: the live count and sample, rows added and removed
by htmx (and by plain form posts), saving, JSON for nested rules, the ready-made segments
and the link from an analytics list."""

import json

import pytest

from apps.campaigns.models import Segment
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(team, client_as):
    return client_as(team.manager)


@pytest.fixture
def members(team):
    return [
        enroll(team, first_name="Ana", email="ana@example.com", consent_email=True),
        enroll(team, first_name="Bea", consent_email=True),
        enroll(team, first_name="Ciro"),
    ]


def rows(*conditions, match="all", **extra) -> dict:
    data = {"name": "Test", "match": match, "rows": str(len(conditions))} | extra
    for index, (field, op, value) in enumerate(conditions):
        data |= {f"f{index}": field, f"o{index}": op, f"v{index}": value}
    return data


def test_the_preview_counts_and_samples_the_members(manager, members):
    response = manager.post(
        "/campaigns/segments/new/",
        rows(("consent_email", "is", "true"), part="preview"),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="segment-preview"' in html
    assert "<strong>2</strong>" in html
    assert "Ana" in html
    assert "Bea" in html
    assert "Ciro" not in html
    assert 'id="segment-rows"' not in html  # the partial alone


def test_a_bad_value_is_marked_on_its_row_and_nothing_is_counted(manager, members):
    response = manager.post(
        "/campaigns/segments/new/",
        rows(("status", "is", "active"), ("points_balance", "gte", "lots"), action="save"),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="e1"' in html
    assert "Give a whole number." in html
    assert 'aria-describedby="e1"' in html
    assert "Fix the conditions marked above" in html
    assert not Segment.objects.exists()


def test_adding_and_removing_rows(manager, members):
    added = manager.post(
        "/campaigns/segments/new/",
        rows(("status", "is", "active"), action="add", part="rows"),
        HTTP_HX_REQUEST="true",
    )
    assert 'name="rows" value="2"' in added.content.decode()

    removed = manager.post(
        "/campaigns/segments/new/",
        rows(("status", "is", "active"), ("tag", "is", "vip"), action="remove-0"),
    )
    html = removed.content.decode()
    assert 'name="rows" value="1"' in html
    assert 'name="f0"' in html
    assert 'value="tag" selected' in html


def test_changing_the_field_resets_an_operator_that_does_not_fit(manager, members):
    response = manager.post(
        "/campaigns/segments/new/",
        rows(("consent_sms", "between", "3"), part="rows"),
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert '<option value="is" selected>' in html
    assert 'value="between"' not in html


def test_saving_and_editing_a_segment(manager, team, members):
    saved = manager.post(
        "/campaigns/segments/new/",
        rows(("consent_email", "is", "true"), ("purchase_count", "lte", "0"), action="save")
        | {"d1": "90", "name": "Fans without a visit"},
    )
    assert saved.status_code == 302
    segment = Segment.objects.get(merchant=team.merchant)
    assert segment.name == "Fans without a visit"
    assert segment.rules == {
        "all": [
            {"field": "consent_email", "op": "is", "value": True},
            {"field": "purchase_count", "op": "lte", "value": 0, "within_days": 90},
        ]
    }

    page = manager.get(f"/campaigns/segments/{segment.pk}/").content.decode()
    assert 'value="Fans without a visit"' in page
    assert 'name="d1" value="90"' in page
    assert "<strong>2</strong>" in page

    manager.post(
        f"/campaigns/segments/{segment.pk}/",
        rows(("consent_email", "is", "false"), action="save", name="Quiet ones"),
    )
    segment.refresh_from_db()
    assert segment.name == "Quiet ones"
    assert segment.rules == {"all": [{"field": "consent_email", "op": "is", "value": False}]}


def test_a_taken_name_is_a_form_error(manager, team, members):
    manager.post("/campaigns/segments/new/", rows(action="save", name="Everyone"))

    again = manager.post("/campaigns/segments/new/", rows(action="save", name="EVERYONE"))

    assert again.status_code == 400
    assert "A segment with this name already exists." in again.content.decode()
    assert Segment.objects.filter(merchant=team.merchant).count() == 1


def test_nested_rules_are_edited_as_json(manager, team, members):
    nested = {"any": [{"not": {"field": "has_email", "op": "is", "value": True}}]}
    saved = manager.post(
        "/campaigns/segments/new/",
        {"name": "No email", "mode": "json", "rules_json": json.dumps(nested), "action": "save"},
    )
    assert saved.status_code == 302
    segment = Segment.objects.get(merchant=team.merchant)

    page = manager.get(f"/campaigns/segments/{segment.pk}/").content.decode()
    assert 'name="rules_json"' in page
    assert 'name="f0"' not in page
    assert "<strong>2</strong>" in page

    back = manager.post(
        f"/campaigns/segments/{segment.pk}/",
        {"name": "No email", "mode": "json", "rules_json": json.dumps(nested), "action": "rows"},
    )
    assert "Keep editing them as JSON." in back.content.decode()


def test_flat_json_goes_back_to_rows(manager, members):
    flat = {"any": [{"field": "status", "op": "in", "value": ["new", "active"]}]}
    response = manager.post(
        "/campaigns/segments/new/",
        {"name": "X", "mode": "json", "rules_json": json.dumps(flat), "action": "rows"},
    )

    html = response.content.decode()
    assert 'name="f0"' in html
    assert 'value="any" checked' in html
    assert 'multiple size="4"' in html


def test_bad_json_is_a_message_not_an_error_page(manager, members):
    response = manager.post(
        "/campaigns/segments/new/",
        {"name": "X", "mode": "json", "rules_json": "{nope", "action": "save"},
    )

    assert response.status_code == 400
    assert "This is not valid JSON." in response.content.decode()


def test_ready_made_segments_are_listed_with_counts_and_open_in_the_builder(manager, members):
    listing = manager.get("/campaigns/segments/").content.decode()
    assert "?ready=at_risk" in listing
    assert "Top 10 % by spend" in listing

    count = manager.get("/campaigns/segments/ready/birthdays/count/")
    assert count.status_code == 200
    assert count.content.decode().strip() == "0 members"

    started = manager.get("/campaigns/segments/new/?ready=lapsed_90").content.decode()
    assert 'value="days_since_last_purchase" selected' in started
    assert 'name="v0" value="90"' in started


def test_an_analytics_list_becomes_a_segment(manager, team, members):
    location = team.merchant_location
    page = manager.get(f"/analytics/members/at_risk/?location={location.pk}").content.decode()
    assert f"/campaigns/segments/new/?status=at_risk&amp;location={location.pk}" in page

    started = manager.get(
        f"/campaigns/segments/new/?status=at_risk&location={location.pk}"
    ).content.decode()
    assert 'value="status" selected' in started
    assert 'value="at_risk" selected' in started
    assert 'value="location" selected' in started


def test_deleting_a_segment(manager, team, members):
    manager.post("/campaigns/segments/new/", rows(action="save", name="Gone soon"))
    segment = Segment.objects.get(merchant=team.merchant)

    response = manager.post(f"/campaigns/segments/{segment.pk}/delete/")

    assert response.status_code == 302
    assert not Segment.objects.filter(pk=segment.pk).exists()
