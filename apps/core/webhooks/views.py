"""The owner's webhook pages: endpoints, the events each receives, deliveries, replays."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.core.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from apps.core.webhooks.selectors import webhook_deliveries, webhook_endpoints
from apps.core.webhooks.services import delivery_replay, endpoint_create, endpoint_set_active


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Address (https)"),
        max_length=500,
        help_text=_("Where your system receives events."),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )


@merchant_view(Role.OWNER)
def webhooks(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                endpoint = endpoint_create(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Endpoint added. Its signing secret is on its page."))
            return redirect("core:webhook_detail", endpoint.pk)
    return render(
        request,
        "core/webhooks.html",
        {"form": form, "endpoints": webhook_endpoints(merchant=request.merchant)},
        status=400 if form.errors else 200,
    )


@merchant_view(Role.OWNER)
def webhook_detail(request, pk: int):
    endpoint = get_for_merchant_or_404(WebhookEndpoint, request, pk=pk)
    page = SlicePage.of(webhook_deliveries(endpoint=endpoint), request, per_page=50)
    return render(
        request,
        "core/webhook_detail.html",
        {"endpoint": endpoint, "page": page, "event_labels": dict(WebhookEvent.choices)},
    )


@require_POST
@merchant_view(Role.OWNER)
def webhook_set_active(request, pk: int):
    endpoint = get_for_merchant_or_404(WebhookEndpoint, request, pk=pk)
    active = request.POST.get("active") == "1"
    with edge_transaction():
        endpoint_set_active(endpoint=endpoint, actor=request.user, active=active)
    messages.success(
        request, gettext("Endpoint enabled.") if active else gettext("Endpoint disabled.")
    )
    return redirect("core:webhook_detail", endpoint.pk)


@require_POST
@merchant_view(Role.OWNER)
def webhook_replay(request, pk: int):
    delivery = get_for_merchant_or_404(WebhookDelivery, request, pk=pk)
    try:
        with edge_transaction():
            delivery_replay(delivery=delivery, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            # Translators: %(event)s is an event's code, e.g. member.enrolled.
            gettext("%(event)s queued again.") % {"event": delivery.event},
        )
    return redirect("core:webhook_detail", delivery.endpoint_id)
