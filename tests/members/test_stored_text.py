"""A member's timeline lines are stored as msgids with their parameters and read in the
reader's language (apps/core/stored_text.py); the English summary column stays as it was."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from apps.members.models import Channel, EventKind
from apps.members.services import member_erase, member_update
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db


def test_timeline_lines_read_in_the_readers_language(team, client_as, marked_spanish):
    member = enroll(team, location=team.merchant_location, channel=Channel.COUNTER)
    member_update(
        member=member,
        actor=team.manager,
        source="dashboard",
        first_name=member.first_name,
        last_name="Gómez",
        email="lucia@example.com",
        phone=member.phone,
        birthday=None,
        language="",
        consent_email=True,
        consent_sms=False,
    )
    enrolled = member.events.get(kind=EventKind.ENROLLED)
    changed = member.events.get(kind=EventKind.UPDATED)
    consent = member.events.get(kind=EventKind.CONSENT)
    assert enrolled.summary == "Enrolled (counter) at Main street"
    assert changed.summary == "Changed last name, email"
    assert consent.summary == "Agreed to marketing by email (dashboard)"
    with translation.override("es"):
        _ = translation.gettext
        assert enrolled.summary_shown == "«%s»" % (
            _("Enrolled (%(channel)s) at %(location)s")
            % {"channel": f"«{_('counter')}»", "location": "Main street"}
        )
        fields = "«%s»" % (
            _("%(list)s, %(item)s") % {"list": f"«{_('last name')}»", "item": f"«{_('email')}»"}
        )
        assert changed.summary_shown == f"«{_('Changed %(fields)s') % {'fields': fields}}»"
        shown = consent.summary_shown
        assert shown == "«%s»" % (
            _("Agreed to marketing by %(channel)s (%(source)s)")
            % {"channel": f"«{_('email')}»", "source": f"«{_('dashboard')}»"}
        )

    page = client_as(team.manager).get(
        reverse("members:detail", args=[member.public_id]), HTTP_ACCEPT_LANGUAGE="es"
    )
    assert page.headers["Content-Language"] == "es"
    assert escape(shown) in page.text


def test_erasure_lines_are_stored_texts(team, marked_spanish):
    member = enroll(team)
    member_erase(member=member, actor=team.manager)
    erased = member.events.get(kind=EventKind.ERASED)
    assert erased.summary == "Personal data erased"
    with translation.override("es"):
        assert erased.summary_shown == f"«{translation.gettext('Personal data erased')}»"
