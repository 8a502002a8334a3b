"""Dashboard pages for the business itself: home, settings, locations, the team, activity.

Views only translate between HTTP and the services/selectors: they read a form, call one
service, and show its result or its refusal.
"""

from celery import current_app as current_celery_app
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.http import require_POST

from apps.accounts.selectors import user_exists_with_email
from apps.core import services
from apps.core.api.base import error_body
from apps.core.audit import audit_list
from apps.core.errors import DomainError
from apps.core.forms import (
    InvitationForm,
    InvitationSignupForm,
    LocationChoiceForm,
    LocationEditForm,
    LocationForm,
    MerchantForm,
    ProfileForm,
    RoleForm,
    SwitchMerchantForm,
    add_domain_error,
)
from apps.core.health import database_answers, readiness
from apps.core.locale_guess import merchant_defaults_for
from apps.core.middleware import LOCATION_SESSION_KEY, MERCHANT_SESSION_KEY
from apps.core.models import Invitation, Location, Membership, Role
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.selectors import (
    invitation_pending_list,
    location_list,
    memberships_for_user,
    team_list,
)
from apps.core.transactions import edge_transaction


@login_required
def merchant_create(request):
    """Name a new business: the first step after signing up, or another one for an agency."""
    form = MerchantForm(request.POST or None, initial=merchant_defaults_for(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with edge_transaction():
                merchant = services.merchant_create(
                    name=data["name"],
                    owner=request.user,
                    currency=data["currency"],
                    country=data["country"],
                    timezone_name=data["timezone"],
                    language=data["language"],
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            request.session[MERCHANT_SESSION_KEY] = merchant.pk
            request.session.pop(LOCATION_SESSION_KEY, None)
            messages.success(
                request,
                # Translators: %(name)s is the name of the business just created.
                gettext("%(name)s is ready. Here is what to set up first.")
                % {"name": merchant.name},
            )
            return redirect("home:home")
    first = not memberships_for_user(user=request.user).exists()
    return render(request, "core/merchant_create.html", {"form": form, "first": first})


@require_POST
@login_required
def merchant_switch(request):
    form = SwitchMerchantForm(request.POST)
    if not form.is_valid():
        raise Http404
    membership = (
        memberships_for_user(user=request.user)
        .filter(merchant_id=form.cleaned_data["merchant"])
        .first()
    )
    if membership is None:
        raise Http404
    request.session[MERCHANT_SESSION_KEY] = membership.merchant_id
    request.session.pop(LOCATION_SESSION_KEY, None)
    messages.info(
        request,
        # Translators: %(name)s is the business the user switched to.
        gettext("Now working in %(name)s.") % {"name": membership.merchant.name},
    )
    return redirect("home:home")


@require_POST
@merchant_view(Role.STAFF)
def location_choose(request):
    form = LocationChoiceForm(request.POST, locations=location_list(merchant=request.merchant))
    if form.is_valid():
        location = form.cleaned_data["location"]
        request.session[LOCATION_SESSION_KEY] = location.pk
        messages.success(
            request,
            # Translators: %(location)s is a shop's name; what staff record now happens there.
            gettext("Counter actions now record %(location)s.") % {"location": location.name},
        )
    else:
        messages.error(request, gettext("Choose one of this business's open locations."))
    return redirect("home:home")


@merchant_view(Role.OWNER)
def merchant_settings(request):
    merchant = request.merchant
    initial = {
        "name": merchant.name,
        "currency": merchant.currency,
        "country": merchant.country.code,
        "timezone": merchant.timezone,
        "language": merchant.language,
    }
    form = MerchantForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with edge_transaction():
                services.merchant_update(
                    merchant=merchant,
                    actor=request.user,
                    name=data["name"],
                    currency=data["currency"],
                    country=data["country"],
                    timezone_name=data["timezone"],
                    language=data["language"],
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, gettext("Business details saved."))
            return redirect("core:merchant_settings")
    return render(request, "core/merchant_settings.html", {"form": form})


@merchant_view(Role.MANAGER)
def location_list_view(request):
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                location = services.location_create(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # Translators: %(location)s is the name of the location just added.
            messages.success(request, gettext("Added %(location)s.") % {"location": location.name})
            if not request.htmx:
                return redirect("core:location_list")
            form = LocationForm()
    template = "core/location_list.html#locations" if request.htmx else "core/location_list.html"
    return render(
        request,
        template,
        {"form": form, "locations": location_list(merchant=request.merchant, include_closed=True)},
    )


@merchant_view(Role.MANAGER)
def location_edit(request, pk: int):
    location = get_for_merchant_or_404(Location, request, pk=pk)
    form = LocationEditForm(
        request.POST or None,
        initial={
            "name": location.name,
            "address": location.address,
            "opening_hours": location.opening_hours,
            "is_active": location.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                services.location_update(location=location, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # Translators: %(location)s is the name of the location just saved.
            messages.success(request, gettext("Saved %(location)s.") % {"location": location.name})
            return redirect("core:location_list")
    return render(request, "core/location_edit.html", {"form": form, "location": location})


@merchant_view(Role.OWNER)
def team(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                issued = services.invitation_create(
                    merchant=request.merchant, actor=request.user, **form.cleaned_data
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                gettext("Invitation sent to %(email)s.") % {"email": issued.invitation.email},
            )
            return redirect("core:team")
    return render(
        request,
        "core/team.html",
        {
            "form": form,
            "memberships": team_list(merchant=request.merchant),
            "invitations": invitation_pending_list(merchant=request.merchant),
            "roles": Role.choices,
        },
    )


@require_POST
@merchant_view(Role.OWNER)
def membership_role(request, pk: int):
    membership = get_for_merchant_or_404(Membership, request, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a role."))
        return redirect("core:team")
    try:
        with edge_transaction():
            services.membership_change_role(
                membership=membership, actor=request.user, role=form.cleaned_data["role"]
            )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            # Translators: %(email)s is a team member's email; %(role)s their new role.
            gettext("%(email)s is now %(role)s.")
            % {"email": membership.user.email, "role": membership.get_role_display()},
        )
    return redirect("core:team")


@require_POST
@merchant_view(Role.OWNER)
def membership_remove(request, pk: int):
    membership = get_for_merchant_or_404(Membership, request, pk=pk)
    try:
        with edge_transaction():
            services.membership_remove(membership=membership, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("core:team")
    messages.success(
        request,
        gettext("Removed %(email)s from the team.") % {"email": membership.user.email},
    )
    if membership.user_id == request.user.pk:
        return redirect("home:home")
    return redirect("core:team")


@require_POST
@merchant_view(Role.OWNER)
def invitation_resend(request, pk: int):
    invitation = get_for_merchant_or_404(Invitation, request, pk=pk)
    try:
        with edge_transaction():
            services.invitation_resend(invitation=invitation, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("Sent a new link to %(email)s; the old one no longer works.")
            % {"email": invitation.email},
        )
    return redirect("core:team")


@require_POST
@merchant_view(Role.OWNER)
def invitation_revoke(request, pk: int):
    invitation = get_for_merchant_or_404(Invitation, request, pk=pk)
    with edge_transaction():
        services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(
        request, gettext("Withdrew the invitation of %(email)s.") % {"email": invitation.email}
    )
    return redirect("core:team")


def invitation_accept(request, token: str):
    """The emailed link: join with the signed-in account, or create one for the invited address."""
    try:
        invitation = services.invitation_check(token=token)
    except DomainError as error:
        return render(
            request, "core/invitation_unusable.html", {"error": error}, status=error.status
        )
    context = {"invitation": invitation}
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                with edge_transaction():
                    membership = services.invitation_accept(token=token, user=request.user)
            except DomainError as error:
                context["error"] = error
            else:
                return _enter_merchant(request, membership)
        return render(request, "core/invitation_accept.html", context)

    if user_exists_with_email(email=invitation.email):
        return render(request, "core/invitation_accept.html", {**context, "needs_login": True})
    form = InvitationSignupForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                membership = services.invitation_accept_as_new_user(
                    token=token,
                    password=form.cleaned_data["password1"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return _enter_merchant(request, membership)
    return render(request, "core/invitation_accept.html", {**context, "form": form})


def _enter_merchant(request, membership: Membership):
    request.session[MERCHANT_SESSION_KEY] = membership.merchant_id
    request.session.pop(LOCATION_SESSION_KEY, None)
    # Translators: %(name)s is the business the person just joined.
    messages.success(request, gettext("Welcome to %(name)s.") % {"name": membership.merchant.name})
    return redirect("home:home")


@merchant_view(Role.MANAGER)
def audit_log(request):
    page = SlicePage.of(audit_list(merchant=request.merchant), request, per_page=50)
    return render(request, "core/audit_log.html", {"page": page})


def bad_request(request, exception):
    """Django's answer to a request it refuses before any view (a bad `Host` header, a
    malformed body): in the API's error shape under /api/, so a client always gets JSON."""
    if request.path.startswith("/api/"):
        body = error_body("bad_request", gettext("The request is not valid."))
        return JsonResponse(body, status=400)
    return defaults.bad_request(request, exception)


# The orchestrator asks again after this many seconds when the app is not ready.
NOT_READY_RETRY_SECONDS = 10


def livez(request):
    """Liveness: the process answers. Nothing else is touched (no database, no cache), so a
    database outage never gets every process restarted."""
    return JsonResponse({"status": "ok"})


def healthz(request):
    """For load balancers and uptime checks: the app answers and its database does."""
    if not database_answers():
        return _not_ready({"status": "unavailable", "checks": {"database": "unreachable"}})
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database and the schema are there (else 503); the cache and the
    broker are reported ("degraded"), not required (apps/core/health.py says why)."""
    found = readiness(celery_app=current_celery_app)
    body = {"status": found.status, "checks": found.checks}
    if found.outbox_waiting is not None:
        body["outbox_waiting"] = found.outbox_waiting
    return JsonResponse(body) if found.ready else _not_ready(body)


def _not_ready(body: dict) -> JsonResponse:
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(NOT_READY_RETRY_SECONDS)
    return response


@login_required
def profile(request):
    """The signed-in person's own name and language, whatever business they work for."""
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                services.user_profile_update(user=user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # The confirmation reads in the language just chosen.
            if user.language:
                translation.activate(user.language)
            messages.success(request, gettext("Your profile is saved."))
            return redirect("core:profile")
    return render(request, "core/profile.html", {"form": form})
