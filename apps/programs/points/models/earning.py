"""What a merchant's points earn: the program settings, product multipliers and promotions."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.core.stored_text import StoredText, choice_msgid, stored_text
from apps.core.tenancy import TenantModel


class ProgramSettings(TenantModel):
    """How a merchant's points work. One row per merchant, created on first use."""

    points_per_unit = models.PositiveIntegerField(
        _("points per unit of currency"),
        default=10,
        help_text=_("Points earned per whole unit of currency spent (e.g. per €1)."),
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"),
        null=True,
        blank=True,
        help_text=_("Points expire this many months after they are earned."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder (days before expiry)"),
        default=30,
        help_text=_("Remind members this many days before their points expire."),
    )
    # Empty: no second reminder. Always nearer the expiry than the first (a constraint).
    final_reminder_days = models.PositiveSmallIntegerField(
        _("final reminder (days before expiry)"),
        null=True,
        blank=True,
        default=7,
        help_text=_("Remind members once more this many days before their points expire."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points program settings")
        verbose_name_plural = _("points program settings")
        constraints = [
            models.UniqueConstraint("merchant", name="programs_one_settings_row"),
            models.CheckConstraint(
                condition=Q(final_reminder_days__isnull=True)
                | Q(final_reminder_days__lt=F("reminder_days")),
                name="programs_final_reminder_after_first",
            ),
        ]

    def __str__(self) -> str:
        return ngettext(
            "%(count)d point per unit", "%(count)d points per unit", self.points_per_unit
        ) % {"count": self.points_per_unit}


class MultiplierTarget(models.TextChoices):
    CATEGORY = "category", _("Product category")
    SKU = "sku", _("Product (SKU)")


class EarnMultiplier(TenantModel):
    """Lines of a basket in a category or of a product earn a multiple of the base rate
    (to push own-brand or higher-margin products)."""

    target = models.CharField(_("applies to"), max_length=16, choices=MultiplierTarget.choices)
    value = models.CharField(
        _("category or SKU"), max_length=100, help_text=_("The category name or the SKU.")
    )
    percent = models.PositiveIntegerField(
        _("earns (%)"), help_text=_("200 earns double; 150 one and a half.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("product multiplier")
        verbose_name_plural = _("product multipliers")
        ordering = ["target", "value"]
        constraints = [
            models.UniqueConstraint(
                "merchant", "target", "value", name="programs_one_multiplier_per_target"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=100, percent__lte=1000), name="programs_multiplier_range"
            ),
        ]

    def __str__(self) -> str:
        # Translators: a product multiplier, e.g. "Product category bakery: ×2".
        return gettext("%(target)s %(value)s: ×%(factor)s") % {
            "target": self.get_target_display(),
            "value": self.value,
            "factor": f"{self.percent / 100:g}",
        }

    def stored_name(self) -> StoredText:
        """`str(self)` as stored text, for a line written now and read later (msgid marked
        in __str__)."""
        return stored_text(
            "%(target)s %(value)s: ×%(factor)s",
            target=choice_msgid(MultiplierTarget, self.target),
            value=self.value,
            factor=f"{self.percent / 100:g}",
        )


class Promotion(TenantModel):
    """A time-boxed multiplier of everything earned (double points this weekend),
    optionally only at some locations."""

    name = models.CharField(_("name"), max_length=120)
    percent = models.PositiveIntegerField(_("earns (%)"), help_text=_("200 earns double points."))
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    locations = models.ManyToManyField(
        "core.Location", blank=True, related_name="+", verbose_name=_("only at")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="programs_promotion_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=100, percent__lte=1000), name="programs_promotion_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def stored_name(self) -> str:
        return self.name  # a name: data, the same in every language
