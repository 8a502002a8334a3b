"""The owner's page of API keys: create (the key is shown once), see last use, revoke."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.core.api.keys import api_key_create, api_key_revoke
from apps.core.api.models import ApiKey, ApiKeyScope
from apps.core.api.selectors import api_key_list
from apps.core.errors import DomainError
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("What uses it: “Web shop”."))
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiKeyScope.choices,
        initial=ApiKeyScope.WRITE,
        help_text=_("A read-only key can look members up but not record anything."),
    )


@merchant_view(Role.OWNER)
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                issued = api_key_create(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = ApiKeyForm()
    return render(
        request,
        "core/api_keys.html",
        {"form": form, "issued": issued, "keys": api_key_list(merchant=request.merchant)},
        status=400 if form.errors else 200,
    )


@require_POST
@merchant_view(Role.OWNER)
def api_key_revoke_view(request, pk: int):
    api_key = get_for_merchant_or_404(ApiKey, request, pk=pk)
    with edge_transaction():
        revoked = api_key_revoke(api_key=api_key, actor=request.user)
    if revoked:
        messages.success(
            request,
            # Translators: %(name)s is the API key's name, e.g. "Web shop".
            gettext("Revoked %(name)s: it no longer works.") % {"name": api_key.name},
        )
    return redirect("core:api_keys")
