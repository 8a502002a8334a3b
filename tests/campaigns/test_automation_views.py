"""The automation pages in the dashboard: the list (a card per kind, its switch, its
messages of the last 30 days, its lift), the switch (on from that day, off; a POST only),
an automation's page (texts checked as a campaign's are, refusals on their field, nothing
saved), its preview in the member's language, and the pooled lift report against groups
summed by hand."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import escape

from apps.analytics.selectors import merchant_today
from apps.campaigns.automations.editing import automation_enable
from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.automations.report import automation_report, pooled_groups
from apps.campaigns.lift import Group, lift_report, more_members_needed
from apps.campaigns.models import Automation, AutomationKind
from apps.core.models import AuditLog
from apps.messaging.models import Delivery, State
from apps.programs.models import Purchase
from tests.members.factories import enroll
from tests.programs.factories import buy

pytestmark = pytest.mark.django_db

WIN_BACK = AutomationKind.WIN_BACK
LIST = "/campaigns/automations/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the pooled report is kept an hour
    yield
    cache.clear()


@pytest.fixture
def manager(team, client_as):
    return client_as(team.manager)


def form_data(**fields) -> dict:
    data = {
        "channel": "email",
        "send_hour": "",
        "cooldown_days": "30",
        "holdout_percent": "10",
        "offer_type": "none",
        "subject_en": "",
        "body_en": "",
        "sms_en": "",
    }
    return data | fields


def sent_row(team, member, automation, *, state=State.SENT, days_ago: float, occurrence="1"):
    return Delivery.objects.create(
        merchant=team.merchant,
        member=member,
        source=automation.source,
        occurrence=occurrence,
        channel="email",
        purpose="marketing",
        state=state,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


# The list and the switch ------------------------------------------------------------------


def test_the_list_has_a_card_per_kind_with_its_messages_of_the_last_30_days(manager, team):
    automation = automation_enable(merchant=team.merchant, kind=WIN_BACK, actor=team.manager)
    ana = enroll(team, first_name="Ana", email="ana@example.com")
    sent_row(team, ana, automation, days_ago=5)
    sent_row(team, ana, automation, days_ago=40, occurrence="2")  # too old
    sent_row(team, ana, automation, state=State.HOLDOUT, days_ago=3, occurrence="3")

    response = manager.get(LIST)

    assert response.status_code == 200
    cards = {card["automation"].kind: card for card in response.context["cards"]}
    assert list(cards) == list(KINDS)
    assert cards[WIN_BACK]["sent"] == 1
    assert cards[AutomationKind.BIRTHDAY]["sent"] == 0
    html = response.content.decode()
    for spec in KINDS.values():
        assert escape(str(spec.description)) in html
    assert html.count('role="switch"') == len(KINDS) + 1  # and the welcome's
    assert 'aria-checked="true"' in html  # win-back is on
    # Only the old send's 7 days have passed, and it was not held out.
    assert cards[WIN_BACK]["lift_status"] == "No holdout: no lift can be claimed."
    assert cards[AutomationKind.BIRTHDAY]["lift_status"].startswith("No results yet")


def test_the_campaigns_page_and_the_navigation_link_to_it(manager):
    html = manager.get("/campaigns/").content.decode()
    assert html.count(f'href="{LIST}"') == 2  # the main navigation and the page's own link


def test_the_switch_turns_it_on_from_today_then_off(manager, team):
    now = timezone.now()

    response = manager.post(f"{LIST}win_back/toggle/", {"enabled": "on"})

    assert response.status_code == 302
    automation = Automation.objects.get(merchant=team.merchant, kind=WIN_BACK)
    assert automation.enabled
    assert automation.enabled_at >= now
    # Only moments from today count: the days before are taken as looked at.
    today = merchant_today(merchant=team.merchant, now=timezone.now())
    assert automation.scanned_through == today - timedelta(days=1)
    assert AuditLog.objects.filter(action="automation.enabled").count() == 1

    # The same press again (a stale page) changes nothing.
    manager.post(f"{LIST}win_back/toggle/", {"enabled": "on"})
    assert AuditLog.objects.filter(action="automation.enabled").count() == 1

    response = manager.post(f"{LIST}win_back/toggle/", {"enabled": "off"}, follow=True)

    automation.refresh_from_db()
    assert not automation.enabled
    assert "Switched off the automation Win-back." in response.content.decode()
    assert AuditLog.objects.filter(action="automation.disabled").count() == 1


def test_with_htmx_the_switch_answers_its_card(manager, team):
    response = manager.post(f"{LIST}birthday/toggle/", {"enabled": "on"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article class="automation-card" id="automation-birthday"')
    assert 'aria-checked="true"' in html
    assert 'name="enabled" value="off"' in html  # the next press switches it off


def test_the_switch_is_a_post_and_an_unknown_kind_is_not_found(manager, team):
    assert manager.get(f"{LIST}win_back/toggle/").status_code == 405
    assert manager.post(f"{LIST}nope/toggle/", {"enabled": "on"}).status_code == 404
    assert manager.get(f"{LIST}nope/").status_code == 404
    assert not Automation.objects.exists()


def test_staff_are_refused_like_on_the_other_campaign_pages(team, client_as):
    staff = client_as(team.staff)

    assert staff.get(LIST).status_code == 403
    assert staff.get(f"{LIST}win_back/").status_code == 403
    assert staff.get(f"{LIST}win_back/report/").status_code == 403
    assert staff.post(f"{LIST}win_back/toggle/", {"enabled": "on"}).status_code == 403
    assert not Automation.objects.exists()


def test_one_business_switching_leaves_another_s_alone(manager, team, other_team):
    automation_enable(merchant=other_team.merchant, kind=WIN_BACK, actor=other_team.manager)

    manager.post(f"{LIST}win_back/toggle/", {"enabled": "off"})
    manager.post(f"{LIST}win_back/", form_data(cooldown_days="5"))

    theirs = Automation.objects.get(merchant=other_team.merchant, kind=WIN_BACK)
    assert theirs.enabled
    assert theirs.cooldown_days == KINDS[WIN_BACK].cooldown_days
    assert Automation.objects.get(merchant=team.merchant, kind=WIN_BACK).cooldown_days == 5


# An automation's page ----------------------------------------------------------------------


def test_the_page_shows_the_default_texts_as_the_boxes_hints(manager):
    response = manager.get(f"{LIST}win_back/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'placeholder="We miss you, {{ first_name }}"' in html
    assert 'placeholder="Te echamos de menos, {{ first_name }}"' in html  # the Spanish box
    assert 'name="holdout_percent"' in html
    assert 'name="send_hour"' in html


def test_saving_stores_the_texts_sanitised_and_the_timing(manager, team):
    response = manager.post(
        f"{LIST}win_back/",
        form_data(
            channel="email_or_sms",
            send_hour="10",
            cooldown_days="45",
            holdout_percent="20",
            subject_en="Come back, {{ first_name }}",
            body_en='<p onclick="x()">Hello {{ first_name }}</p><script>x()</script>',
            sms_ro="Revino, {{ first_name }}",
        ),
    )

    assert response.status_code == 302
    automation = Automation.objects.get(merchant=team.merchant, kind=WIN_BACK)
    assert not automation.enabled  # saving does not switch it on
    assert (automation.channel, automation.send_hour) == ("email_or_sms", 10)
    assert (automation.cooldown_days, automation.holdout_percent) == (45, 20)
    assert automation.subject == {"en": "Come back, {{ first_name }}"}
    assert automation.body == {"en": "<p>Hello {{ first_name }}</p>"}
    assert automation.sms_body == {"ro": "Revino, {{ first_name }}"}
    assert AuditLog.objects.filter(action="automation.updated").count() == 1


def test_a_bad_merge_tag_is_an_error_on_its_field_and_nothing_is_saved(manager, team):
    response = manager.post(
        f"{LIST}win_back/",
        form_data(body_ro="<p>Salut {{ settings.SECRET_KEY }}</p>", body_en="<p>Hi</p>"),
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["body_ro"]
    assert "is not a merge tag" in errors["body_ro"][0]
    assert not Automation.objects.exists()
    assert not AuditLog.objects.filter(action="automation.updated").exists()


def test_a_holdout_over_half_and_an_hour_past_23_are_refused(manager):
    response = manager.post(f"{LIST}win_back/", form_data(holdout_percent="51"))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["holdout_percent"]
    assert "Hold out from 0 to 50 %." in response.context["form"].errors["holdout_percent"][0]

    response = manager.post(f"{LIST}win_back/", form_data(send_hour="24"))
    assert list(response.context["form"].errors) == ["send_hour"]
    assert not Automation.objects.exists()


def test_the_preview_speaks_the_members_language(manager, team):
    ioana = enroll(team, first_name="Ioana", email="ioana@example.com", language="ro")
    enroll(team, first_name="Ana", email="ana@example.com", language="en")

    response = manager.get(f"{LIST}win_back/", {"member": ioana.public_id})

    assert response.context["member"] == ioana
    assert response.context["subject"] == "Ne e dor de dumneavoastră, Ioana"
    assert response.context["language"] == "Română"
    email = manager.get(response.context["email_url"])
    html = email.content.decode()
    assert "A trecut ceva timp de la ultima vizită" in html
    assert "It has been a while" not in html
    assert "'none'" in email["Content-Security-Policy"]  # the campaign preview's policy

    # A text of one's own, in her language, is what she gets.
    manager.post(f"{LIST}win_back/", form_data(subject_ro="Revino, {{ first_name }}!"))
    response = manager.get(f"{LIST}win_back/", {"member": ioana.public_id})
    assert response.context["subject"] == "Revino, Ioana!"


def test_an_sms_automation_previews_the_text_with_its_stop_line(manager, team):
    bea = enroll(team, first_name="Bea", language="es", consent_sms=True)
    manager.post(f"{LIST}birthday/", form_data(channel="sms"))

    response = manager.get(f"{LIST}birthday/", {"member": bea.public_id, "part": "preview"})

    assert response.context["sms"].startswith("¡Feliz cumpleaños, Bea!")
    assert "email_url" not in response.context
    assert manager.get(f"{LIST}birthday/preview/").status_code == 404


# The pooled report --------------------------------------------------------------------------


def test_the_pooled_report_sums_the_closed_sends_as_worked_by_hand(manager, team):
    # given: win-back with sends of each kind (days ago), and purchases around them
    now = timezone.now()
    automation = automation_enable(merchant=team.merchant, kind=WIN_BACK, actor=team.manager)
    ana, bea, ciro, dora, eva = (
        enroll(team, first_name=name) for name in ("Ana", "Bea", "Ciro", "Dora", "Eva")
    )

    def at(days: float):
        return now - timedelta(days=days)

    sent_row(team, ana, automation, days_ago=10, occurrence="a1")
    buy(team, ana, 1000, at=at(9))  # within the 7 days of a1
    buy(team, ana, 500, at=at(5))  # within too
    buy(team, ana, 300, at=at(2))  # after them: not counted
    sent_row(team, ana, automation, days_ago=30, occurrence="a2")
    buy(team, ana, 200, at=at(25))  # within a2's
    sent_row(team, bea, automation, state=State.SKIPPED, days_ago=8)  # capped: treatment
    buy(team, bea, 900, at=at(8.1))  # before the message: not counted
    sent_row(team, ciro, automation, days_ago=3)  # its 7 days have not passed
    buy(team, ciro, 700, at=at(2))
    sent_row(team, dora, automation, state=State.HOLDOUT, days_ago=9)
    refunded = buy(team, dora, 400, at=at(8)).purchase
    Purchase.objects.filter(pk=refunded.pk).update(refunded_amount=100)
    sent_row(team, eva, automation, state=State.HOLDOUT, days_ago=20)  # bought nothing

    treatment, holdout = pooled_groups(automation=automation, now=now)

    # then: sends a1 (1,500), a2 (200) and Bea's (0); Dora's (300) and Eva's (0)
    assert treatment == Group(members=3, buyers=2, revenue=1700, revenue_squares=1500**2 + 200**2)
    assert holdout == Group(members=2, buyers=1, revenue=300, revenue_squares=300**2)
    data = automation_report(automation=automation, now=now)
    expected = lift_report(treatment=treatment, holdout=holdout, offer_cost=0)
    assert data["report"] == expected.to_dict()
    assert data["sends"] == 5
    assert data["more_members"] == more_members_needed(
        needed_per_group=expected.lift.needed_per_group, treatment=3, holdout=2
    )

    response = manager.get(f"{LIST}win_back/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Inconclusive" in html
    assert f"about {data['more_members']:,} more members" in html
    rows = {row.label: (row.treatment, row.holdout) for row in response.context["report"].groups}
    assert rows["Members"] == ("3", "2")
    assert rows["Members who bought"] == ("2", "1")
    listed = manager.get(LIST).context["cards"]
    status = next(card for card in listed if card["automation"].kind == WIN_BACK)["lift_status"]
    assert status.startswith("Inconclusive: about")


def test_a_report_without_any_sends_says_so(manager):
    response = manager.get(f"{LIST}birthday/report/")

    assert response.status_code == 200
    assert "No results yet" in response.content.decode()


def test_more_members_needed_by_hand():
    # 10 % held out (90 + 10): the holdout is 90 short of 100; one send in ten is held
    # out, so 90 × 100 ÷ 10 = 900 more sends.
    assert more_members_needed(needed_per_group=100, treatment=90, holdout=10) == 900
    # 40 % held out (3 + 2): 5 short, 5 × 5 ÷ 2 = 12.5, rounded up to 13.
    assert more_members_needed(needed_per_group=7, treatment=3, holdout=2) == 13
    # The holdout already has enough: none.
    assert more_members_needed(needed_per_group=10, treatment=40, holdout=10) == 0


def test_a_service_kind_holds_nobody_out_and_its_report_is_its_counts(manager, team):
    service = next(kind for kind, spec in KINDS.items() if not spec.promotional)

    page = manager.get(f"{LIST}{service}/")
    saved = manager.post(f"{LIST}{service}/", form_data(holdout_percent="40"))
    report = manager.get(f"{LIST}{service}/report/")

    assert 'name="holdout_percent"' not in page.content.decode()
    assert saved.status_code == 302
    automation = Automation.objects.get(merchant=team.merchant, kind=service)
    assert automation.holdout_percent == 10  # left as it was: never used for a service
    assert report.context["data"]["report"] is None
    assert "nobody is held out" in report.content.decode()


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_its_page_preview_and_report(manager, team, kind):
    enroll(team, first_name="Ana", email="ana@example.com", language="es")

    page = manager.get(f"{LIST}{kind}/")

    assert page.status_code == 200
    assert page.context["subject"]  # its default subject, for Ana
    assert manager.get(page.context["email_url"]).status_code == 200
    assert manager.get(f"{LIST}{kind}/report/").status_code == 200
