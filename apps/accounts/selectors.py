from apps.accounts.models import User


def user_exists_with_email(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()
