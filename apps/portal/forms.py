from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


def _language_choices():
    return [("", _("The shop's language")), *settings.LANGUAGES]


class PreferencesForm(forms.Form):
    consent_email = forms.BooleanField(label=_("Offers and news by email"), required=False)
    consent_sms = forms.BooleanField(label=_("Offers and news by SMS"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices, required=False)


class NewLinkForm(forms.Form):
    email = forms.EmailField(label=_("Your email"), max_length=254)
