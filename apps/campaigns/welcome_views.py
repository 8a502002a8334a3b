"""The welcome on the automations page (managers). Portal sends it (apps/portal/welcome.py)
and the message settings hold it: its switch is `MessagingSettings.welcome_email`, its texts
`welcome_subject` / `welcome_intro`, so the settings page and this one show one truth. A
service message: nobody is held out, and it has no report but its count."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from apps.campaigns.automation_forms import WelcomeForm
from apps.campaigns.automations.selectors import automation_preview_choices, welcome_sent_count
from apps.campaigns.campaign_forms import PreviewForm
from apps.campaigns.campaign_selectors import preview_member
from apps.campaigns.campaign_views import PREVIEW_CSP
from apps.core.errors import DomainError
from apps.core.models import Role
from apps.core.permissions import merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.members.selectors import member_language
from apps.messaging.models import Channel, Delivery
from apps.messaging.selectors import messaging_settings
from apps.messaging.services import welcome_switch, welcome_texts_update
from apps.portal.welcome import welcome_render

SENT_DAYS = 30


def welcome_card(request, *, done: str = "") -> dict:
    """The list's card of the welcome."""
    return {
        "enabled": messaging_settings(merchant=request.merchant).welcome_email,
        "sent": welcome_sent_count(merchant=request.merchant, days=SENT_DAYS, now=timezone.now()),
        "days": SENT_DAYS,
        "done": done,
    }


@require_POST
@merchant_view(Role.MANAGER)
def welcome_toggle(request):
    """The welcome email on (`enabled=on`) or off: the state asked for, so a second press
    of a stale page changes nothing."""
    switch_on = request.POST.get("enabled") == "on"
    with edge_transaction():
        welcome_switch(merchant=request.merchant, actor=request.user, email=switch_on)
    done = (
        gettext("Switched on the welcome email.")
        if switch_on
        else gettext("Switched off the welcome email.")
    )
    if request.htmx:
        context = {"welcome": welcome_card(request, done=done)}
        return render(request, "campaigns/automation_list.html#welcome_card", context)
    messages.success(request, done)
    return redirect("campaigns:automation_list")


def _email(member: Member) -> str:
    with translation.override(member_language(member=member)):
        return welcome_render(Delivery(member=member, channel=Channel.EMAIL))


def _preview(request) -> dict:
    form = PreviewForm(request.GET)
    form.is_valid()
    term, public_id = form.cleaned_data.get("q", ""), form.cleaned_data.get("member", "")
    choices = automation_preview_choices(merchant=request.merchant, term=term)
    member = preview_member(
        merchant=request.merchant, public_id=public_id, choices=choices, term=term
    )
    preview = {"choices": choices, "member": member, "term": term}
    if member is None:
        return preview
    language = member_language(member=member)
    preview |= {
        "subject": _email(member).subject,
        "email_url": reverse("campaigns:welcome_preview")
        + "?"
        + urlencode({"member": member.public_id}),
        "language": dict(settings.LANGUAGES).get(language, language),
        "language_code": language,
    }
    return preview


@merchant_view(Role.MANAGER)
def welcome_edit(request):
    current = messaging_settings(merchant=request.merchant)
    if request.method == "POST":
        form = WelcomeForm(request.POST, merchant=request.merchant)
    else:
        form = WelcomeForm(initial=WelcomeForm.initial_for(current), merchant=request.merchant)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                welcome_texts_update(
                    merchant=request.merchant,
                    actor=request.user,
                    subject=form.texts("subject"),
                    intro=form.texts("intro"),
                )
                welcome_switch(
                    merchant=request.merchant,
                    actor=request.user,
                    sms=form.cleaned_data["welcome_sms"],
                )
        except DomainError as error:
            form.add_service_error(error)
        else:
            messages.success(request, gettext("Saved the welcome."))
            return redirect("campaigns:welcome_edit")
    context = {"form": form, "enabled": current.welcome_email, **_preview(request)}
    if request.htmx and request.GET.get("part") == "preview":
        return render(request, "campaigns/_automation_preview.html#preview_update", context)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "campaigns/welcome_form.html", context, status=status)


@csp_override(PREVIEW_CSP)
@xframe_options_sameorigin
@merchant_view(Role.MANAGER)
def welcome_preview(request):
    """The welcome email alone, as the member chosen gets it (framed, sandboxed)."""
    public_id = request.GET.get("member", "")[:40]
    choices = [] if public_id else automation_preview_choices(merchant=request.merchant)
    member = preview_member(merchant=request.merchant, public_id=public_id, choices=choices)
    if member is None:
        return HttpResponse(format_html("<p>{}</p>", gettext("No member to show.")))
    return HttpResponse(_email(member).html)
