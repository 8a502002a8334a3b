"""The manager's member list: search, filters and sorting (django-filter)."""

from datetime import timedelta

import django_filters
from django import forms
from django.apps import apps
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.models import Location
from apps.members.models import Channel, Member, Tag
from apps.members.selectors import member_lookup_condition, name_key


def _locations(request):
    return Location.objects.for_merchant(request.merchant)


def _tags(request):
    return Tag.objects.for_merchant(request.merchant)


def _tiers(request):
    # The tiers app is reached through the registry: members does not import it.
    return apps.get_model("tiers", "Tier").objects.for_merchant(request.merchant)


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("Any")
    )
    location = django_filters.ModelChoiceFilter(
        label=_("Location"), queryset=_locations, empty_label=_("Any")
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"), field_name="tags", queryset=_tags, empty_label=_("Any")
    )
    tier = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("loyalty tier", "Tier"),
        field_name="tier_status__tier",
        queryset=_tiers,
        empty_label=_("Any"),
        null_label=_("No tier"),
    )
    consent = django_filters.ChoiceFilter(
        label=_("Consent"),
        method="filter_consent",
        empty_label=_("Any"),
        choices=[
            ("email", _("Email: yes")),
            ("sms", _("SMS: yes")),
            ("none", pgettext_lazy("no marketing consent", "None")),
        ],
    )
    enrolled_from = django_filters.DateFilter(
        label=_("Enrolled from"),
        field_name="enrolled_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    enrolled_to = django_filters.DateFilter(
        label=_("Enrolled until"),
        field_name="enrolled_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    inactive_days = django_filters.NumberFilter(
        label=_("No activity for (days)"), method="filter_inactive", min_value=1, max_value=36500
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        method="filter_sort",
        empty_label=_("Newest, or longest inactive when filtering by inactivity"),
        choices=[
            ("-enrolled_at", _("Newest members")),
            ("enrolled_at", _("Oldest members")),
            ("-last_activity_at", _("Recently active")),
            ("last_activity_at", _("Longest inactive")),
            ("search_name", _("Name A–Z")),
            ("-search_name", _("Name Z–A")),
        ],
    )

    class Meta:
        model = Member
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(member_lookup_condition(merchant=self.request.merchant, term=value))

    def filter_consent(self, queryset, name, value):
        if value == "none":
            return queryset.filter(consent_email=False, consent_sms=False)
        return queryset.filter(**{f"consent_{value}": True})

    def filter_inactive(self, queryset, name, value):
        return queryset.filter(last_activity_at__lt=timezone.now() - timedelta(days=int(value)))

    def filter_sort(self, queryset, name, value):
        return queryset  # applied in `qs`, after every filter, which it depends on

    @property
    def qs(self):
        queryset = super().qs  # validates the form: cleaned_data exists from here
        data = getattr(self.form, "cleaned_data", {})
        # "No activity for N days" lists the longest inactive first by default: the order its
        # index gives, where newest-first would sort a large share of all members.
        sort = data.get("sort") or (
            "last_activity_at" if data.get("inactive_days") else "-enrolled_at"
        )
        descending, field = sort.startswith("-"), sort.lstrip("-")
        if field == "search_name":
            # Unfiltered, the name index gives the order; with a search, sort what matched
            # (Lower() matches no index), or PostgreSQL may walk the whole name index.
            key = Lower("search_name") if data.get("q") else name_key(field="search_name")
        else:
            key = F(field)
        key = key.desc() if descending else key.asc()
        return queryset.order_by(key, "-pk" if descending else "pk")
