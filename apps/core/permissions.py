"""Who may open which page: the one check every dashboard view goes through."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect

from apps.core.models import Role


def merchant_view(min_role: str = Role.STAFF) -> Callable:
    """A dashboard view of the active merchant, open to `min_role` and above.

    Anonymous users go to the login page; a user with no business yet goes to create
    one; a role below `min_role` gets 403.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.membership is None:
                return redirect("core:merchant_create")
            if not request.membership.has_role(min_role):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.min_role = min_role
        return wrapped

    return decorator


def get_for_merchant_or_404(model, request, **lookup):
    """A row of the active merchant, or 404: another merchant's id is simply not found."""
    return get_object_or_404(model.objects.for_merchant(request.merchant), **lookup)
