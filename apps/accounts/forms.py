from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def _language_choices() -> list[tuple[str, str]]:
    return [("", _("The language my browser asks for")), *settings.LANGUAGES]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=_language_choices,
        required=False,
        help_text=_("The language of your pages and of the emails sent to you."),
    )
