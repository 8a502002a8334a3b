"""The member's unsubscribe link (RFC 8058) and the SMS provider's status callback: no
login on either, the signature is the authority."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.public_links import link_page
from apps.core.transactions import edge_transaction
from apps.members.selectors import member_language
from apps.messaging import links
from apps.messaging.models import Channel
from apps.messaging.selectors import messaging_settings
from apps.messaging.services import member_unsubscribe, sms_status_received
from apps.messaging.sms.twilio_callback import twilio_status_outcome, twilio_status_parse

_PURPOSES = {links.UNSUBSCRIBE_EMAIL: Channel.EMAIL, links.UNSUBSCRIBE_SMS: Channel.SMS}


def _unsubscribe_member(token: str):
    """The member and channel a genuine unsubscribe token names, or (None, None)."""
    for purpose, channel in _PURPOSES.items():
        member = links.member_for_token(token=token, purpose=purpose)
        if member is not None:
            return member, channel
    return None, None


# Mail clients and providers POST the one-click unsubscribe bare (RFC 8058 §3): no session,
# no CSRF token. The signed token is what authorises it; a GET never changes anything,
# because mail scanners follow links.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@link_page(scope="unsubscribe")
def unsubscribe(request, token: str):
    member, channel = _unsubscribe_member(token)
    if member is None:
        return render(request, "messaging/link_unusable.html", status=404)
    context = {
        "member": member,
        "channel": channel,
        "shop_name": member.merchant.name,
        "brand_colour": messaging_settings(merchant=member.merchant).brand_colour,
    }
    template = "messaging/unsubscribe.html"
    if request.method == "POST":
        with edge_transaction():
            member_unsubscribe(member=member, channel=channel)
        template = "messaging/unsubscribed.html"
    language = member_language(member=member)
    with translation.override(language):
        response = render(request, template, context)
    response["Content-Language"] = language
    return response


@csrf_exempt  # Twilio posts without a session; its signature is checked instead
@require_POST
def sms_status(request):
    status = twilio_status_parse(
        url=links.absolute(request.get_full_path()),  # the public URL Twilio signed
        params=request.POST.dict(),
        signature=request.headers.get("X-Twilio-Signature", ""),
    )
    if status is None:
        return HttpResponseForbidden()
    outcome = twilio_status_outcome(status=status)
    if outcome is not None:
        with edge_transaction():
            sms_status_received(
                provider_id=status.message_sid, state=outcome.state, error_code=outcome.error_code
            )
    return HttpResponse(status=204)
