"""The activity log's lines are stored as msgids with their parameters and read in the
reader's language (apps/core/stored_text.py); the English summary column stays as it was."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from apps.core.api.keys import api_key_create
from apps.core.models import AuditLog, Role
from apps.core.services import invitation_create, merchant_update

pytestmark = pytest.mark.django_db


def test_activity_lines_read_in_the_readers_language(team, client_as, marked_spanish):
    with translation.override("es"):  # whoever acts, the line is kept in English
        invitation_create(
            merchant=team.merchant, actor=team.owner, email="eva@example.com", role=Role.MANAGER
        )
    merchant = team.merchant
    merchant_update(
        merchant=merchant,
        actor=team.owner,
        name="Café Nuevo",
        currency="MXN",
        country=str(merchant.country),
        timezone_name=merchant.timezone,
        language=merchant.language,
    )
    invited = AuditLog.objects.get(action="invitation.created")
    changed = AuditLog.objects.get(action="merchant.updated")
    assert invited.summary == "Invited eva@example.com as Manager"
    assert changed.summary == "Changed name, currency"
    with translation.override("es"):
        _ = translation.gettext
        role = f"«{translation.pgettext('team role', 'Manager')}»"
        shown = "«%s»" % (
            _("Invited %(email)s as %(role)s") % {"email": "eva@example.com", "role": role}
        )
        assert invited.summary_shown == shown
        fields = "«%s»" % (
            _("%(list)s, %(item)s") % {"list": f"«{_('name')}»", "item": f"«{_('currency')}»"}
        )
        assert changed.summary_shown == f"«{_('Changed %(fields)s') % {'fields': fields}}»"

    page = client_as(team.owner).get(reverse("core:audit_log"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.headers["Content-Language"] == "es"
    assert escape(shown) in page.text


def test_an_api_key_line_names_its_access_in_lower_case(team):
    api_key_create(merchant=team.merchant, actor=team.owner, name="Shop", scope="read")
    line = AuditLog.objects.get(action="api_key.created")
    assert line.summary.endswith("…, read only)")
    assert line.data["summary_text"]["params"]["access"] == {"msgid": "read only"}
