"""The member's own "download my data" and "delete my account", from their card. Each
goes through a second link emailed to them (through a real SMTP server) whose GET asks
and whose POST acts, so a leaked card link reads and erases nothing; the download is
everything held (points, purchases, coupons, messages included)."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from apps.members.models import EventKind, Member, MemberEvent
from apps.members.services import member_links_revoke
from apps.messaging.links import DATA, ERASE, member_token
from apps.messaging.models import Delivery, Purpose, State
from apps.portal.selectors import card_url
from apps.programs.points.services import points_adjust
from tests.members.factories import enroll
from tests.smtp import body

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return urlsplit(url).path


def emailed_link(message, kind: str) -> str:
    return path_of(re.search(rf"https?://\S+/c/{kind}/[^/\s]+/", body(message)).group(0))


@pytest.fixture
def ana(team, inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member = enroll(team, first_name="Ana", email="ana@example.com", language="es")
    return member


def test_the_card_offers_both_requests(ana, client):
    path = path_of(card_url(member=ana))  # once: a token carries the time it was made
    page = client.get(path)
    token = path.split("/")[2]
    assert reverse("portal:data_request", args=[token]) in page.text
    assert reverse("portal:erase_request", args=[token]) in page.text


def test_download_my_data_goes_through_an_emailed_link_and_is_everything_held(
    ana, team, inbox, client, django_capture_on_commit_callbacks
):
    points_adjust(member=ana, points=40, reason="Goodwill", actor=team.manager)
    token = path_of(card_url(member=ana)).split("/")[2]
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(reverse("portal:data_request", args=[token]))
    assert asked.status_code == 200
    assert "json" not in asked["Content-Type"]  # the card link alone gets no data

    [message] = [m for m in inbox.to("ana@example.com") if "/c/data/" in body(m)]
    link = emailed_link(message, "data")
    shown = client.get(link)  # a mail scanner opening the link: a page, no data
    assert shown.status_code == 200
    assert "ana@example.com" not in shown.text
    response = client.post(link)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Referrer-Policy"] == "no-referrer"
    data = json.loads(response.content)
    assert data["member"]["email"] == "ana@example.com"
    assert 40 in [entry["points"] for entry in data["points"]]
    assert [m["message"] for m in data["messages"]] == ["welcome", "data_link"]
    assert data["purchases"] == []
    assert data["coupons"] == []
    requests = MemberEvent.objects.filter(member=ana, kind=EventKind.PRIVACY, source="card")
    assert sorted(e.data["request"] for e in requests) == ["data", "downloaded"]


def test_asking_again_notes_the_request_and_mails_the_link_once_a_day(
    ana, inbox, client, django_capture_on_commit_callbacks
):
    token = path_of(card_url(member=ana)).split("/")[2]
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("portal:data_request", args=[token]))
    assert len([m for m in inbox.to("ana@example.com") if "/c/data/" in body(m)]) == 1
    assert MemberEvent.objects.filter(member=ana, kind=EventKind.PRIVACY).count() == 1


def test_a_get_of_a_request_changes_nothing(ana, client):
    token = path_of(card_url(member=ana)).split("/")[2]
    for name in ("portal:data_request", "portal:erase_request"):
        assert client.get(reverse(name, args=[token])).status_code == 405
    assert not MemberEvent.objects.filter(member=ana, kind=EventKind.PRIVACY).exists()


def test_erasure_is_confirmed_by_the_emailed_link_and_only_by_its_post(
    ana, inbox, client, django_capture_on_commit_callbacks
):
    token = path_of(card_url(member=ana)).split("/")[2]
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(reverse("portal:erase_request", args=[token]))
    assert asked.status_code == 200
    assert "Ana" in Member.objects.get(pk=ana.pk).first_name  # nothing erased yet

    [confirmation] = [m for m in inbox.to("ana@example.com") if "/c/erase/" in body(m)]
    assert confirmation["Subject"].startswith("Confirma")  # Spanish, the member's language
    delivery = Delivery.objects.get(member=ana, source="erase_confirm")
    assert (delivery.purpose, delivery.state) == (Purpose.PRIVACY, State.SENT)
    link = emailed_link(confirmation, "erase")

    shown = client.get(link)  # a mail scanner opening the link
    assert shown.status_code == 200
    assert shown["Referrer-Policy"] == "no-referrer"
    assert Member.objects.get(pk=ana.pk).erased_at is None

    done = client.post(link)

    assert done.status_code == 200
    ana.refresh_from_db()
    assert ana.erased_at is not None
    assert (ana.first_name, ana.email) == ("", None)
    assert set(Delivery.objects.filter(member=ana).values_list("address", flat=True)) == {""}
    erased = MemberEvent.objects.get(member=ana, kind=EventKind.ERASED)
    assert (erased.actor, erased.source) == (None, "card")
    assert client.get(path_of(card_url(member=ana))).status_code == 404  # the card is gone


def test_an_erase_link_from_before_a_revocation_answers_410(ana, team, client):
    link = reverse("portal:erase_confirm", args=[member_token(member=ana, purpose=ERASE)])
    member_links_revoke(member=ana, source="dashboard", actor=team.manager)

    assert client.post(link).status_code == 410
    assert Member.objects.get(pk=ana.pk).erased_at is None


@pytest.mark.parametrize("bad", ["card token", "garbage"])
def test_anything_but_an_erase_token_erases_nothing(ana, client, bad):
    token = {
        "card token": path_of(card_url(member=ana)).split("/")[2],
        "garbage": "mbr_x.1:abc:def",
    }[bad]
    response = client.post(reverse("portal:erase_confirm", args=[token]))
    assert response.status_code == 404
    assert "Ana" not in response.text
    assert Member.objects.get(pk=ana.pk).erased_at is None


def test_an_expired_erase_link_erases_nothing(ana, client, settings):
    link = reverse("portal:erase_confirm", args=[member_token(member=ana, purpose=ERASE)])
    settings.MEMBER_LINK_MAX_AGE_DAYS = {**settings.MEMBER_LINK_MAX_AGE_DAYS, ERASE: -1}
    assert client.post(link).status_code == 404
    assert Member.objects.get(pk=ana.pk).erased_at is None


def test_a_member_without_email_is_sent_to_the_shop_and_the_shop_sees_the_request(team, client):
    pablo = enroll(team, first_name="Pablo", phone="+34600111222")
    token = path_of(card_url(member=pablo)).split("/")[2]

    response = client.post(reverse("portal:erase_request", args=[token]))

    assert response.status_code == 200
    assert team.merchant.name in response.text
    assert not Delivery.objects.filter(member=pablo, source="erase_confirm").exists()
    assert MemberEvent.objects.filter(member=pablo, kind=EventKind.PRIVACY).exists()


def test_the_erase_page_is_rate_limited_per_token(ana, client, settings):
    settings.LINK_PAGE_RATE_LIMITS = {
        **settings.LINK_PAGE_RATE_LIMITS,
        "privacy": {"per_ip": 100, "per_token": 2, "window": 60},
    }
    link = reverse("portal:erase_confirm", args=[member_token(member=ana, purpose=ERASE)])
    assert [client.get(link).status_code for _ in range(3)] == [200, 200, 429]


def test_a_data_link_works_only_as_itself_and_until_a_revocation(ana, team, client):
    data_link = reverse("portal:data_download", args=[member_token(member=ana, purpose=DATA)])
    card_token = path_of(card_url(member=ana)).split("/")[2]
    erase_token = member_token(member=ana, purpose=ERASE)
    for token in (card_token, erase_token):
        refused = client.post(reverse("portal:data_download", args=[token]))
        assert refused.status_code == 404
        assert "ana@example.com" not in refused.text

    member_links_revoke(member=ana, source="dashboard", actor=team.manager)

    assert client.post(data_link).status_code == 410
