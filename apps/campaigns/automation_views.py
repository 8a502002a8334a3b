"""The dashboard's automations (managers): the list (one card per kind with its switch,
its messages of the last 30 days and how its lift stands), an automation's page (what it
says per language, how it goes, a preview for a member in their language) and its pooled
report. Every kind comes from `KINDS`: a new kind has its card and pages.

Every page works without JavaScript (the switch is a form's button; forms post and
redirect); htmx swaps the card the switch belongs to, and the preview."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from apps.campaigns.automation_forms import AutomationForm
from apps.campaigns.automations.editing import (
    automation_disable,
    automation_enable,
    automation_update,
)
from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.automations.rendering import automation_spec
from apps.campaigns.automations.report import automation_report_cached
from apps.campaigns.automations.selectors import (
    automation_for,
    automation_preview_choices,
    automations_of,
    automations_sent_counts,
)
from apps.campaigns.campaign_forms import PreviewForm, merge_tag_list
from apps.campaigns.campaign_selectors import preview_member
from apps.campaigns.campaign_views import PREVIEW_CSP
from apps.campaigns.models import Automation, CampaignChannel
from apps.campaigns.rendering import message_build
from apps.campaigns.report_display import report_view
from apps.campaigns.sms_estimate import with_stop_line
from apps.campaigns.welcome_views import welcome_card
from apps.core.errors import DomainError
from apps.core.formatting import format_number
from apps.core.models import Role
from apps.core.permissions import merchant_view
from apps.core.transactions import edge_transaction
from apps.members.models import Member
from apps.members.selectors import member_language
from apps.messaging.links import unsubscribe_url
from apps.messaging.models import Channel

SENT_DAYS = 30


def _automation(request, kind: str) -> Automation:
    """The merchant's automation of `kind` (its defaults when never saved); an unknown
    kind is not found."""
    if kind not in KINDS:
        raise Http404("No such automation.")
    automation = automation_for(merchant=request.merchant, kind=kind)
    automation.merchant = request.merchant  # the same row: not read again
    return automation


# The list ----------------------------------------------------------------------------


def _lift_status(automation: Automation) -> str:
    """How the pooled lift stands, in a sentence."""
    if not KINDS[automation.kind].promotional:
        return gettext("A service message: nobody is held out, so there is no lift to measure.")
    data = automation_report_cached(automation=automation)
    report = data["report"]
    if not data["sends"]:
        return gettext("No results yet: a message counts 7 days after it was sent.")
    if not report["holdout"]["members"]:
        return gettext("No holdout: no lift can be claimed.")
    lift = report["lift"]
    if lift is None:
        return gettext("Everyone was held out: there is nothing to measure.")
    if lift["conclusive"]:
        return gettext("Conclusive: the difference in visits is larger than chance explains.")
    if data["more_members"]:
        return gettext("Inconclusive: about %(count)s more members needed.") % {
            "count": format_number(data["more_members"])
        }
    return gettext("Inconclusive: the difference could be chance.")


def _card(automation: Automation, sent: int) -> dict:
    return {
        "automation": automation,
        "spec": KINDS[automation.kind],
        "sent": sent,
        "lift_status": _lift_status(automation),
    }


@merchant_view(Role.MANAGER)
def automation_list(request):
    automations = automations_of(merchant=request.merchant)
    sent = automations_sent_counts(automations=automations, days=SENT_DAYS, now=timezone.now())
    cards = [_card(automation, sent[automation.kind]) for automation in automations]
    context = {"cards": cards, "days": SENT_DAYS, "welcome": welcome_card(request)}
    return render(request, "campaigns/automation_list.html", context)


@require_POST
@merchant_view(Role.MANAGER)
def automation_toggle(request, kind: str):
    """On (`enabled=on`) or off (anything else): the state asked for, so a second press
    of a stale page changes nothing. htmx gets the card again; without it, the list."""
    if kind not in KINDS:
        raise Http404("No such automation.")
    switch_on = request.POST.get("enabled") == "on"
    with edge_transaction():
        service = automation_enable if switch_on else automation_disable
        automation = service(merchant=request.merchant, kind=kind, actor=request.user)
    automation.merchant = request.merchant
    name = automation.get_kind_display()
    done = (
        gettext("Switched on the automation %(name)s.")
        if switch_on
        else gettext("Switched off the automation %(name)s.")
    )
    if request.htmx:
        sent = automations_sent_counts(automations=[automation], days=SENT_DAYS, now=timezone.now())
        context = {
            "card": _card(automation, sent[kind]),
            "days": SENT_DAYS,
            "done": done % {"name": name},
        }
        return render(request, "campaigns/automation_list.html#card", context)
    messages.success(request, done % {"name": name})
    return redirect("campaigns:automation_list")


# An automation's page ------------------------------------------------------------------


def _sms_preview(automation: Automation, member: Member) -> str:
    content = message_build(spec=automation_spec(automation), member=member, channel=Channel.SMS)
    return with_stop_line(
        body=content.body,
        url=unsubscribe_url(member=member, channel=Channel.SMS),
        promotional=KINDS[automation.kind].promotional,
    )


def _preview(request, automation: Automation) -> dict:
    """The chooser and the message for the member chosen, in their language, as saved."""
    form = PreviewForm(request.GET)
    form.is_valid()
    term, public_id = form.cleaned_data.get("q", ""), form.cleaned_data.get("member", "")
    choices = automation_preview_choices(merchant=automation.merchant, term=term)
    member = preview_member(
        merchant=automation.merchant, public_id=public_id, choices=choices, term=term
    )
    preview = {"choices": choices, "member": member, "term": term}
    if member is None:
        return preview
    language = member_language(member=member)
    with translation.override(language):
        if automation.channel != CampaignChannel.SMS:
            content = message_build(
                spec=automation_spec(automation), member=member, channel=Channel.EMAIL
            )
            preview["subject"] = content.subject
            preview["email_url"] = (
                reverse("campaigns:automation_preview", args=[automation.kind])
                + "?"
                + urlencode({"member": member.public_id})
            )
        if automation.channel != CampaignChannel.EMAIL:
            preview["sms"] = _sms_preview(automation, member)
    preview["language"] = dict(settings.LANGUAGES).get(language, language)
    preview["language_code"] = language
    return preview


@merchant_view(Role.MANAGER)
def automation_edit(request, kind: str):
    automation = _automation(request, kind)
    if request.method == "POST":
        form = AutomationForm(request.POST, automation=automation)
    else:
        form = AutomationForm(initial=AutomationForm.initial_for(automation), automation=automation)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                automation_update(
                    merchant=request.merchant,
                    kind=kind,
                    actor=request.user,
                    fields=form.automation_fields(),
                )
        except DomainError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                gettext("Saved the automation %(name)s.") % {"name": automation.get_kind_display()},
            )
            return redirect("campaigns:automation_edit", kind=kind)
    context = {
        "automation": automation,
        "spec": KINDS[kind],
        "form": form,
        "merge_tags": merge_tag_list(kind_tags=KINDS[kind].tags),
        **_preview(request, automation),
    }
    if request.htmx and request.GET.get("part") == "preview":
        return render(request, "campaigns/_automation_preview.html#preview_update", context)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "campaigns/automation_form.html", context, status=status)


@csp_override(PREVIEW_CSP)
@xframe_options_sameorigin
@merchant_view(Role.MANAGER)
def automation_preview(request, kind: str):
    """The email alone, as the member chosen gets it: the document the automation's page
    frames (sandboxed, under a policy of its own that runs nothing)."""
    automation = _automation(request, kind)
    if automation.channel == CampaignChannel.SMS:
        raise Http404("An SMS automation has no email.")
    public_id = request.GET.get("member", "")[:40]
    choices = [] if public_id else automation_preview_choices(merchant=request.merchant)
    member = preview_member(merchant=request.merchant, public_id=public_id, choices=choices)
    if member is None:
        return HttpResponse(format_html("<p>{}</p>", gettext("No member to show.")))
    with translation.override(member_language(member=member)):
        content = message_build(
            spec=automation_spec(automation), member=member, channel=Channel.EMAIL
        )
    return HttpResponse(content.html)


# The pooled report -----------------------------------------------------------------------


@merchant_view(Role.MANAGER)
def automation_report_view(request, kind: str):
    automation = _automation(request, kind)
    data = automation_report_cached(automation=automation)
    context = {"automation": automation, "spec": KINDS[kind], "data": data}
    if data["report"] is not None:
        context["report"] = report_view(data=data["report"], merchant=request.merchant)
    return render(request, "campaigns/automation_report.html", context)
