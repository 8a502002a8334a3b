from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext

from apps.core.errors import DomainError
from apps.core.forms import add_domain_error

from .forms import ProfileForm
from .services import user_profile_update


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
            user_profile_update(user=user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            # The confirmation reads in the language just chosen.
            if user.language:
                translation.activate(user.language)
            messages.success(request, gettext("Your profile is saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
