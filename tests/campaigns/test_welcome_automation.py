"""The welcome on the automations page: its card's switch is the message settings' (one
truth, either page), its page keeps a subject and words of the merchant's own per language
(checked, refusals on their field, nothing saved), which reach a new member through a real
SMTP server in their language or the business's; managers only, each business its own."""

import pytest

from apps.core.models import AuditLog
from apps.messaging.models import Delivery
from apps.messaging.selectors import messaging_settings
from tests.members.factories import enroll
from tests.smtp import body

pytestmark = pytest.mark.django_db

LIST = "/campaigns/automations/"
PAGE = f"{LIST}welcome/"


@pytest.fixture
def manager(team, client_as):
    return client_as(team.manager)


def page_data(**fields) -> dict:
    data = {
        f"{prefix}_{code}": "" for prefix in ("subject", "intro") for code in ("en", "es", "ro")
    }
    return data | fields


def test_the_list_has_the_welcome_whose_switch_is_the_message_settings(manager, team):
    page = manager.get(LIST).content.decode()
    assert 'id="automation-welcome-switch"' in page
    assert 'aria-checked="true"' in page.split('id="automation-welcome-switch"')[1][:200]

    response = manager.post(f"{PAGE}toggle/", {"enabled": "off"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'id="automation-welcome"' in response.text
    assert 'aria-checked="false"' in response.text
    assert messaging_settings(merchant=team.merchant).welcome_email is False
    assert AuditLog.objects.filter(action="messaging.welcome_switched").count() == 1
    enroll(team, email="new@example.com")
    assert not Delivery.objects.filter(source="welcome").exists()  # off: nobody welcomed

    manager.post(f"{PAGE}toggle/", {"enabled": "on"})
    assert messaging_settings(merchant=team.merchant).welcome_email is True


def test_own_words_reach_a_new_member_in_their_language_or_the_business_s(
    manager, team, inbox, django_capture_on_commit_callbacks
):
    response = manager.post(
        PAGE,
        page_data(
            welcome_sms="on",
            subject_es="¡Hola {{ first_name }}! Bienvenida",
            intro_es="Gracias por unirte.\nTe esperamos con un café.",
            intro_en="Thanks for joining <b>us</b>.",
        ),
    )
    assert response.status_code == 302
    saved = messaging_settings(merchant=team.merchant)
    assert saved.welcome_subject == {"es": "¡Hola {{ first_name }}! Bienvenida"}
    assert saved.welcome_intro["en"] == "Thanks for joining <b>us</b>."
    assert saved.welcome_sms is True
    assert saved.welcome_email is True  # the page leaves the switch alone

    with django_capture_on_commit_callbacks(execute=True):
        enroll(team, first_name="Lola", email="lola@example.com", language="es")
        enroll(team, first_name="Ioana", email="ioana@example.com", language="ro")

    [lola] = inbox.to("lola@example.com")
    assert lola["Subject"] == "¡Hola {{ first_name }}! Bienvenida"  # plain text, as written
    assert "Gracias por unirte." in body(lola)
    assert "Gracias por unirte.<br>Te esperamos" in body(lola, "html")
    [ioana] = inbox.to("ioana@example.com")
    # No Romanian words: the business's (English) ones, in a Romanian email.
    assert ioana["Subject"].startswith("Bine ați venit")
    assert "Thanks for joining &lt;b&gt;us&lt;/b&gt;." in body(ioana, "html")
    assert 'lang="en"' in body(ioana, "html")


def test_bad_texts_are_errors_on_their_field_and_nothing_is_saved(manager, team):
    response = manager.post(PAGE, page_data(subject_ro="x" * 201))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["subject_ro"]

    response = manager.post(PAGE, page_data(subject_en="Two\nlines"))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["subject_en"]
    assert messaging_settings(merchant=team.merchant).pk is None  # never saved
    assert not AuditLog.objects.filter(action="messaging.welcome_changed").exists()


def test_the_preview_shows_the_welcome_as_the_member_gets_it(manager, team):
    manager.post(PAGE, page_data(intro_ro="Vă mulțumim!"))
    ioana = enroll(team, first_name="Ioana", email="ioana@example.com", language="ro")

    response = manager.get(PAGE, {"member": ioana.public_id})

    assert response.context["member"] == ioana
    assert response.context["subject"].startswith("Bine ați venit")
    email = manager.get(response.context["email_url"])
    assert "Vă mulțumim!" in email.text
    assert "'none'" in email["Content-Security-Policy"]
    part = manager.get(PAGE, {"member": ioana.public_id, "part": "preview"}, HTTP_HX_REQUEST="true")
    assert "<iframe" in part.text
    assert "<form" not in part.text  # the result and the choice, never the search box


def test_staff_are_refused_and_one_business_leaves_another_s_alone(
    team, other_team, client_as, manager
):
    staff = client_as(team.staff)
    assert staff.get(PAGE).status_code == 403
    assert staff.post(f"{PAGE}toggle/", {"enabled": "off"}).status_code == 403
    assert staff.get(f"{PAGE}preview/").status_code == 403

    manager = client_as(team.manager)
    manager.post(f"{PAGE}toggle/", {"enabled": "off"})
    manager.post(PAGE, page_data(intro_en="Hello"))
    other = messaging_settings(merchant=other_team.merchant)
    assert (other.pk, other.welcome_email, other.welcome_intro) == (None, True, {})
    stranger = enroll(other_team, first_name="Otto", email="otto@example.com")
    page = manager.get(PAGE, {"member": stranger.public_id})
    assert page.context["member"] != stranger
