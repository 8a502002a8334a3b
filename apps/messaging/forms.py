from django import forms
from django.utils.translation import gettext_lazy as _


class MessagingSettingsForm(forms.Form):
    welcome_email = forms.BooleanField(
        label=_("Email a welcome to new members"),
        required=False,
        help_text=_("With their card link, the moment they join."),
    )
    welcome_sms = forms.BooleanField(
        label=_("Text the card link to new members without an email"),
        required=False,
        help_text=_("Each text is charged by your SMS provider."),
    )
    reply_to = forms.EmailField(
        label=_("Reply-to address"),
        required=False,
        help_text=_("Where members' replies go. Empty: replies are not expected."),
    )
    message_id_domain = forms.CharField(
        label=_("Message-ID domain"),
        max_length=120,
        required=False,
        help_text=_("Your own domain for the Message-ID header, if your mail is sent from it."),
    )
    brand_colour = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Of the buttons in messages and on the member's card."),
    )
