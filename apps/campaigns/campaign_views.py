"""The dashboard's campaigns (managers; their limits: owners): the list with the
promotional / informational mix, the editor with its SMS counter, the campaign's page
(preview, test, send, pause, resume, cancel, live progress) and its report.

Every page works without JavaScript (forms post and redirect); htmx makes the SMS
counter live, swaps the preview, and polls the progress of a send."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from apps.campaigns.campaign_forms import (
    CampaignForm,
    CampaignSettingsForm,
    PreviewForm,
    merge_tag_list,
)
from apps.campaigns.campaign_selectors import (
    campaign_engagement,
    campaign_preview_choices,
    campaign_preview_member,
    campaign_progress,
    campaigns_sent_counts,
    sms_audience_by_language,
)
from apps.campaigns.models import Campaign, CampaignChannel, CampaignKind, CampaignStatus
from apps.campaigns.rendering import campaign_message
from apps.campaigns.report import campaign_report
from apps.campaigns.report_display import offer_summary, report_view
from apps.campaigns.selectors import (
    campaign_message_mix,
    campaign_settings_for,
    campaigns_of,
    segment_count,
    segments_of,
)
from apps.campaigns.services import editing, sending
from apps.campaigns.services.settings import campaign_settings_update
from apps.campaigns.services.testing import campaign_test_send
from apps.campaigns.sms_estimate import sms_estimate, with_stop_line
from apps.core.errors import Conflict, DomainError
from apps.core.formatting import active_locale
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.money import format_money
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members.selectors import member_language
from apps.messaging.links import unsubscribe_url
from apps.messaging.models import Channel

MIX_DAYS = 90
PROMOTIONAL_SHARE = 20  # the rule of thumb: about a fifth of messages promote
ESTIMATE_CACHE_SECONDS = 60
# The preview document: the email's own <style>, images from anywhere, nothing else; it
# runs nothing (sandbox) and only our pages may frame it.
PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["https:", "http:", "data:"],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "sandbox": True,
}


def _campaign(request, pk: int) -> Campaign:
    campaign = get_for_merchant_or_404(Campaign, request, pk=pk)
    campaign.merchant = request.merchant  # the same row: not read again
    return campaign


# The list ----------------------------------------------------------------------------


def _mix(merchant) -> dict:
    counts = campaign_message_mix(merchant=merchant, days=MIX_DAYS)
    promotional, informational = counts["marketing"], counts["service"]
    total = promotional + informational
    share = round(promotional * 100 / total) if total else 0
    return {
        "promotional": promotional,
        "informational": informational,
        "total": total,
        "share": share,
        "over": total > 0 and share > PROMOTIONAL_SHARE,
        "days": MIX_DAYS,
    }


@merchant_view(Role.MANAGER)
def campaign_list(request):
    page = SlicePage.of(campaigns_of(merchant=request.merchant), request, per_page=25)
    counts = campaigns_sent_counts(campaigns=page.object_list)
    context = {
        "page": page,
        "rows": [(campaign, *counts[campaign.pk]) for campaign in page.object_list],
        "mix": _mix(request.merchant),
        "owner": request.membership.has_role(Role.OWNER),
    }
    return render(request, "campaigns/campaign_list.html", context)


# Writing a campaign ------------------------------------------------------------------


def _audience(merchant, form: CampaignForm) -> dict[str, int]:
    """Who would be texted, by language; kept a minute, since each keystroke asks."""
    segment, channel, kind = form.segment_chosen, form.value_of("channel"), form.value_of("kind")
    if segment is None or channel not in (CampaignChannel.SMS, CampaignChannel.EMAIL_OR_SMS):
        return {}
    key = f"campaign-sms-audience:{segment.pk}:{segment.updated_at.timestamp()}:{channel}:{kind}"
    found = cache.get(key)
    if found is None:
        found = sms_audience_by_language(
            merchant=merchant, rules=segment.rules, channel=channel, kind=kind
        )
        cache.set(key, found, ESTIMATE_CACHE_SECONDS)
    return found


def _segment_size(merchant, form: CampaignForm) -> int | None:
    segment = form.segment_chosen
    if segment is None:
        return None
    key = f"campaign-segment-count:{segment.pk}:{segment.updated_at.timestamp()}"
    found = cache.get(key)
    if found is None:
        found = segment_count(merchant=merchant, rules=segment.rules)
        cache.set(key, found, ESTIMATE_CACHE_SECONDS)
    return found


def _editor_context(request, form: CampaignForm, campaign: Campaign | None) -> dict:
    texts = {language.code: language.sms.value() or "" for language in form.language_texts}
    estimate = sms_estimate(
        merchant=request.merchant,
        texts=texts,
        audience=_audience(request.merchant, form),
        promotional=form.value_of("kind") == CampaignKind.PROMOTIONAL,
    )
    sizes = {language.code: language for language in estimate.languages}
    return {
        "form": form,
        "campaign": campaign,
        "estimate": estimate,
        "estimate_cost": format_money(estimate.cost, estimate.currency, active_locale()),
        "estimate_price": format_money(estimate.price, estimate.currency, active_locale()),
        "languages": [(texts, sizes[texts.code]) for texts in form.language_texts],
        "segment_size": _segment_size(request.merchant, form),
        "merge_tags": merge_tag_list(),
    }


def _form(request, campaign: Campaign | None = None) -> CampaignForm:
    segments = list(segments_of(merchant=request.merchant))
    if request.method == "POST":
        return CampaignForm(request.POST, merchant=request.merchant, segments=segments)
    if campaign is not None:
        initial = CampaignForm.initial_for(campaign)
    else:
        initial = {"segment": request.GET.get("segment", "")}
    return CampaignForm(initial=initial, merchant=request.merchant, segments=segments)


def _editor(request, campaign: Campaign | None):
    if campaign is not None and campaign.status not in editing.EDITABLE:
        messages.error(request, gettext("A campaign that has started sending cannot change."))
        return redirect("campaigns:campaign_detail", pk=campaign.pk)
    form = _form(request, campaign)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                if campaign is None:
                    campaign = editing.campaign_create(
                        merchant=request.merchant, actor=request.user, fields=form.campaign_fields()
                    )
                else:
                    editing.campaign_update(
                        campaign=campaign, actor=request.user, fields=form.campaign_fields()
                    )
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
        except DomainError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                gettext("Saved the campaign %(name)s.") % {"name": form.cleaned_data["name"]},
            )
            return redirect("campaigns:campaign_detail", pk=campaign.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = _editor_context(request, form, campaign)
    return render(request, "campaigns/campaign_form.html", context, status=status)


@merchant_view(Role.MANAGER)
def campaign_new(request):
    return _editor(request, None)


@merchant_view(Role.MANAGER)
def campaign_edit(request, pk: int):
    return _editor(request, _campaign(request, pk))


@require_POST
@merchant_view(Role.MANAGER)
def campaign_estimate(request):
    """htmx, as the editor changes: the SMS sizes and cost, and the segment's link and
    size (the form is not checked, only read)."""
    form = _form(request)
    context = _editor_context(request, form, None)
    return render(request, "campaigns/campaign_form.html#estimate_update", context)


# The campaign's page -----------------------------------------------------------------


def _sms_preview(campaign: Campaign, member) -> str:
    content = campaign_message(campaign=campaign, member=member, channel=Channel.SMS)
    return with_stop_line(
        body=content.body,
        url=unsubscribe_url(member=member, channel=Channel.SMS),
        promotional=campaign.kind == CampaignKind.PROMOTIONAL,
    )


def _preview(request, campaign: Campaign) -> dict:
    """The chooser and the message for the member chosen, rendered in their language."""
    form = PreviewForm(request.GET)
    form.is_valid()
    term, public_id = form.cleaned_data.get("q", ""), form.cleaned_data.get("member", "")
    choices = campaign_preview_choices(campaign=campaign, term=term)
    member = campaign_preview_member(
        campaign=campaign, public_id=public_id, choices=choices, term=term
    )
    preview = {"choices": choices, "member": member, "term": term}
    if member is None:
        return preview
    language = member_language(member=member)
    with translation.override(language):
        if campaign.channel != CampaignChannel.SMS:
            content = campaign_message(campaign=campaign, member=member, channel=Channel.EMAIL)
            preview["subject"] = content.subject
            preview["email_url"] = (
                reverse("campaigns:campaign_preview", args=[campaign.pk])
                + "?"
                + urlencode({"member": member.public_id})
            )
        if campaign.channel != CampaignChannel.EMAIL:
            preview["sms"] = _sms_preview(campaign, member)
    preview["language"] = dict(settings.LANGUAGES).get(language, language)
    return preview


def _actions(campaign: Campaign) -> dict:
    status = campaign.status
    schedules = bool(campaign.send_at and campaign.send_at > timezone.now())
    return {
        "can_edit": status in editing.EDITABLE,
        # A scheduled campaign whose time was taken away (or has passed) can go now.
        "can_send": status == CampaignStatus.DRAFT
        or (status == CampaignStatus.SCHEDULED and not schedules),
        "schedules": schedules,
        "can_pause": status == CampaignStatus.SENDING,
        "can_resume": status == CampaignStatus.PAUSED,
        "can_cancel": status not in (CampaignStatus.SENT, CampaignStatus.CANCELLED),
        "started": status in sending.STARTED
        or (status == CampaignStatus.CANCELLED and campaign.started_at is not None),
    }


def _report(campaign: Campaign):
    return report_view(
        data=campaign_report(campaign=campaign).to_dict(),
        merchant=campaign.merchant,
        engagement=campaign_engagement(campaign=campaign),
    )


@merchant_view(Role.MANAGER)
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    context = {"campaign": campaign, **_actions(campaign), **_preview(request, campaign)}
    context["offer"] = offer_summary(offer=campaign.offer, merchant=campaign.merchant)
    if request.htmx and request.GET.get("part") == "preview":
        return render(request, "campaigns/campaign_detail.html#preview_update", context)
    if context["started"]:
        context["progress"] = campaign_progress(campaign=campaign)
        context["report"] = _report(campaign)
    return render(request, "campaigns/campaign_detail.html", context)


@csp_override(PREVIEW_CSP)
@xframe_options_sameorigin
@merchant_view(Role.MANAGER)
def campaign_preview(request, pk: int):
    """The email alone, as the member chosen gets it: the document the campaign page
    frames (sandboxed, and under a policy of its own that runs nothing)."""
    campaign = _campaign(request, pk)
    if campaign.channel == CampaignChannel.SMS:
        raise Http404("An SMS campaign has no email.")
    public_id = request.GET.get("member", "")[:40]
    choices = [] if public_id else campaign_preview_choices(campaign=campaign)
    member = campaign_preview_member(campaign=campaign, public_id=public_id, choices=choices)
    if member is None:
        return HttpResponse(format_html("<p>{}</p>", gettext("No member to show.")))
    with translation.override(member_language(member=member)):
        content = campaign_message(campaign=campaign, member=member, channel=Channel.EMAIL)
    return HttpResponse(content.html)


# Test, send, pause, resume, cancel ---------------------------------------------------


@require_POST
@merchant_view(Role.MANAGER)
def campaign_test(request, pk: int):
    """Email the message, as the member chosen gets it, to the person signed in."""
    campaign = _campaign(request, pk)
    public_id = request.POST.get("member", "")[:40]
    choices = [] if public_id else campaign_preview_choices(campaign=campaign)
    member = campaign_preview_member(campaign=campaign, public_id=public_id, choices=choices)
    back = reverse("campaigns:campaign_detail", args=[campaign.pk])
    if member is not None:
        back += "?" + urlencode({"member": member.public_id})
        try:
            address = campaign_test_send(campaign=campaign, member=member, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                gettext("Sent a test, as %(member)s gets it, to %(email)s.")
                % {"member": member.display_name, "email": address},
            )
    else:
        messages.error(request, gettext("Choose a member to show the message for."))
    return redirect(back)


def _act(request, campaign: Campaign, service, done: str):
    """Run one of the sending services; a refusal (a 409: the campaign moved on
    meanwhile) is a message on the campaign's page."""
    try:
        with edge_transaction():
            service(campaign=campaign, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


def _confirm(request, campaign: Campaign, action: str):
    context = {"campaign": campaign, "action": action, **_actions(campaign)}
    if action == "send":
        context["segment_size"] = segment_count(
            merchant=campaign.merchant, rules=campaign.segment.rules
        )
    return render(request, "campaigns/campaign_confirm.html", context)


@merchant_view(Role.MANAGER)
def campaign_send(request, pk: int):
    """GET asks to confirm (how many members the segment holds today); POST sends, or
    schedules when the campaign has a send time."""
    campaign = _campaign(request, pk)
    if request.method != "POST":
        return _confirm(request, campaign, "send")
    scheduled = bool(campaign.send_at and campaign.send_at > timezone.now())
    done = (
        gettext("Scheduled the campaign %(name)s.")
        if scheduled
        else gettext("Started sending the campaign %(name)s.")
    )
    return _act(request, campaign, sending.campaign_send, done % {"name": campaign.name})


@merchant_view(Role.MANAGER)
def campaign_cancel(request, pk: int):
    campaign = _campaign(request, pk)
    if request.method != "POST":
        return _confirm(request, campaign, "cancel")
    done = gettext("Cancelled the campaign %(name)s.") % {"name": campaign.name}
    return _act(request, campaign, sending.campaign_cancel, done)


@require_POST
@merchant_view(Role.MANAGER)
def campaign_pause(request, pk: int):
    campaign = _campaign(request, pk)
    done = gettext("Paused the campaign %(name)s.") % {"name": campaign.name}
    return _act(request, campaign, sending.campaign_pause, done)


@require_POST
@merchant_view(Role.MANAGER)
def campaign_resume(request, pk: int):
    campaign = _campaign(request, pk)
    done = gettext("Resumed the campaign %(name)s.") % {"name": campaign.name}
    return _act(request, campaign, sending.campaign_resume, done)


@merchant_view(Role.MANAGER)
def campaign_progress_view(request, pk: int):
    """htmx, every 2 s while a campaign sends: its counts. The answer stops the polling
    once it is no longer sending, and then also brings the page's buttons up to date."""
    campaign = _campaign(request, pk)
    context = {
        "campaign": campaign,
        "progress": campaign_progress(campaign=campaign),
        "changed": request.GET.get("shown", campaign.status) != campaign.status,
        **_actions(campaign),
    }
    return render(request, "campaigns/campaign_detail.html#progress_update", context)


# The report and the limits ------------------------------------------------------------


@merchant_view(Role.MANAGER)
def campaign_report_view(request, pk: int):
    campaign = _campaign(request, pk)
    context = {"campaign": campaign, "report": _report(campaign), **_actions(campaign)}
    return render(request, "campaigns/campaign_report.html", context)


@merchant_view(Role.OWNER)
def campaign_settings_page(request):
    """The owner's limits: promotional messages a member gets a week and a day, and the
    pace of a send."""
    current = campaign_settings_for(merchant=request.merchant)
    initial = {
        "cap_per_week": current.cap_per_week,
        "cap_per_day": current.cap_per_day,
        "send_rate_per_minute": current.send_rate_per_minute,
    }
    form = CampaignSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                campaign_settings_update(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Campaign limits saved."))
            return redirect("campaigns:campaign_settings")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "campaigns/campaign_settings.html", {"form": form}, status=status)
