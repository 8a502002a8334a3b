"""Writes on a user's own account (allauth owns email, password and MFA)."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from apps.core.errors import DomainError

from .models import User


@transaction.atomic
def user_profile_update(*, user: User, first_name: str, last_name: str, language: str) -> User:
    """A user's name and the language of their pages (empty: the browser's)."""
    if language and language not in dict(settings.LANGUAGES):
        raise DomainError(gettext("Choose one of the languages offered."), field="language")
    user.first_name = first_name.strip()[:150]
    user.last_name = last_name.strip()[:150]
    user.language = language
    user.save(update_fields=["first_name", "last_name", "language"])
    return user
