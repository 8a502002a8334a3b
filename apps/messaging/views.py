"""The member's unsubscribe link (RFC 8058), the SMS provider's status callback and its
incoming texts (no login on any, the signature is the authority), and the owner's message
settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import DomainError
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.permissions import merchant_view
from apps.core.public_links import link_page
from apps.core.transactions import edge_transaction
from apps.members.selectors import member_language
from apps.messaging import links
from apps.messaging.forms import MessagingSettingsForm
from apps.messaging.models import Channel
from apps.messaging.selectors import messaging_settings
from apps.messaging.services import (
    member_unsubscribe,
    messaging_settings_update,
    sms_reply_received,
    sms_status_received,
    sms_stop_confirmation,
)
from apps.messaging.sms.twilio_callback import (
    twilio_inbound_parse,
    twilio_status_outcome,
    twilio_status_parse,
    twiml_reply,
)

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


@csrf_exempt  # Twilio posts without a session; its signature is checked instead
@require_POST
def sms_inbound(request):
    """A text to our number (Twilio's incoming-message webhook): a STOP withdraws SMS
    marketing consent and is confirmed in the answer's TwiML; anything else gets none."""
    message = twilio_inbound_parse(
        url=links.absolute(request.get_full_path()),  # the public URL Twilio signed
        params=request.POST.dict(),
        signature=request.headers.get("X-Twilio-Signature", ""),
    )
    if message is None:
        return HttpResponseForbidden()
    with edge_transaction():
        result = sms_reply_received(sender=message.sender, body=message.body)
    reply = sms_stop_confirmation(result=result)
    return HttpResponse(twiml_reply(text=reply), content_type="text/xml; charset=utf-8")


@merchant_view(Role.OWNER)
def settings_page(request):
    """The owner's message settings: the welcome, the sender's details, the colour."""
    current = messaging_settings(merchant=request.merchant)
    initial = {
        "welcome_email": current.welcome_email,
        "welcome_sms": current.welcome_sms,
        "reply_to": current.reply_to,
        "message_id_domain": current.message_id_domain,
        "brand_colour": current.brand_colour,
    }
    form = MessagingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                messaging_settings_update(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Message settings saved."))
            return redirect("messaging:settings")
    return render(request, "messaging/settings.html", {"form": form}, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
