"""The member's own "download my data" and "delete my account", from their card: the
download is everything held (points, purchases, coupons, messages included); the erasure
needs the second link emailed to them (through a real SMTP server), whose GET asks and
whose POST erases."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from apps.members.models import EventKind, Member, MemberEvent
from apps.members.services import member_links_revoke
from apps.messaging.links import ERASE, member_token
from apps.messaging.models import Delivery, Purpose, State
from apps.portal.selectors import card_url
from apps.programs.points.services import points_adjust
from tests.members.factories import enroll
from tests.smtp import body

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return urlsplit(url).path


def erase_link(message) -> str:
    return path_of(re.search(r"https?://\S+/c/erase/[^/\s]+/", body(message)).group(0))


@pytest.fixture
def ana(team, inbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member = enroll(team, first_name="Ana", email="ana@example.com", language="es")
    return member


def test_the_card_offers_both_requests(ana, client):
    path = path_of(card_url(member=ana))  # once: a token carries the time it was made
    page = client.get(path)
    token = path.split("/")[2]
    assert reverse("portal:data_download", args=[token]) in page.text
    assert reverse("portal:erase_request", args=[token]) in page.text


def test_download_my_data_is_everything_held_and_goes_on_the_timeline(ana, team, client):
    points_adjust(member=ana, points=40, reason="Goodwill", actor=team.manager)
    token = path_of(card_url(member=ana)).split("/")[2]

    response = client.post(reverse("portal:data_download", args=[token]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Referrer-Policy"] == "no-referrer"
    data = json.loads(response.content)
    assert data["member"]["email"] == "ana@example.com"
    assert 40 in [entry["points"] for entry in data["points"]]
    assert [m["message"] for m in data["messages"]] == ["welcome"]
    assert data["purchases"] == []
    assert data["coupons"] == []
    assert MemberEvent.objects.filter(member=ana, kind=EventKind.PRIVACY, source="card").exists()


def test_a_get_of_the_download_changes_nothing(ana, client):
    token = path_of(card_url(member=ana)).split("/")[2]
    assert client.get(reverse("portal:data_download", args=[token])).status_code == 405
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
    link = erase_link(confirmation)

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
        "erase": {"per_ip": 100, "per_token": 2, "window": 60},
    }
    link = reverse("portal:erase_confirm", args=[member_token(member=ana, purpose=ERASE)])
    assert [client.get(link).status_code for _ in range(3)] == [200, 200, 429]
