"""A member's points: the account, the lots, the append-only ledger and expiry notices;
and what every ledger shares, points or money (`LedgerAccount`, `AppendOnlyEntry`)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.stored_text import render
from apps.core.tenancy import TenantModel


class LedgerAccount(TenantModel):
    """A member's account kept by an append-only ledger: points (`PointsAccount`) or
    money (`MoneyAccount`, the cashback wallet). `balance` is always the sum of the
    account's entries; `shortfall` is what a take-back could not take because it was
    already spent, settled first from later credits. Only `apps/programs/points/ledger.py`
    writes either, under the member's points lock.

    Each concrete account declares the columns itself (points are an integer, money a
    big integer, and each has its own related name), so the tables are what they were;
    this base holds what the ledger relies on."""

    member_id: int
    balance: int
    shortfall: int

    class Meta:
        abstract = True

    @classmethod
    def entry_model(cls) -> type[AppendOnlyEntry]:
        """The model of this account's entries."""
        raise NotImplementedError


class MoneyAccount(LedgerAccount):
    """An account of money, in minor units of the merchant's currency. Money is not held
    in lots: it never expires, and a debit takes from the balance."""

    class Meta:
        abstract = True


class AppendOnlyEntry(TenantModel):
    """One movement of a `LedgerAccount`: a `kind`, a signed amount in the column
    `AMOUNT_FIELD` (`points`, or `amount` for money), the `balance_after` it, a `reason`
    and `created_at`. Append-only: no code path updates or deletes a row, and on
    PostgreSQL a trigger refuses it. Corrections are new entries."""

    AMOUNT_FIELD: ClassVar[str]

    member_id: int
    kind: str
    balance_after: int
    reason: str

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.moved:+d} ({self.kind})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuntimeError("Ledger entries are append-only: record a correction instead.")
        super().save(*args, **kwargs)

    @property
    def moved(self) -> int:
        """The signed amount of this entry, in the account's unit."""
        return getattr(self, self.AMOUNT_FIELD)


class PointsAccount(LedgerAccount):
    """A member's points: the balance (always the sum of the ledger) and any shortfall.

    The row is the lock every points operation of one member takes, so two tills can
    never spend the same points. A shortfall is what a refund could not take back because
    the points were already spent; future earnings settle it first.
    """

    member = models.OneToOneField(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="points_account",
        verbose_name=_("member"),
    )
    balance = models.IntegerField(_("balance"), default=0)
    shortfall = models.IntegerField(_("shortfall"), default=0)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="programs_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(shortfall__gte=0), name="programs_shortfall_positive"
            ),
        ]

    def __str__(self) -> str:
        return ngettext("%(count)d point", "%(count)d points", self.balance) % {
            "count": self.balance
        }

    @classmethod
    def entry_model(cls) -> type[LedgerEntry]:
        return LedgerEntry


class Lot(TenantModel):
    """Points earned together, which expire together. Spending takes from the oldest lot."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="lots", verbose_name=_("member")
    )
    points = models.PositiveIntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("remaining"))
    earned_at = models.DateTimeField(_("earned"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["earned_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__lte=models.F("points")),
                name="programs_lot_remaining_le_points",
            ),
        ]
        indexes = [
            models.Index(
                fields=["merchant", "expires_at"],
                condition=Q(remaining__gt=0),
                name="programs_lot_expiring",
            )
        ]

    def __str__(self) -> str:
        # Translators: what is left of the points earned together, e.g. "40/100 points".
        return gettext("%(remaining)d/%(points)d points") % {
            "remaining": self.remaining,
            "points": self.points,
        }


class EntryKind(models.TextChoices):
    EARN = "earn", pgettext_lazy("points", "Earned")
    REFUND = "refund", _("Taken back (refund)")
    EXPIRE = "expire", pgettext_lazy("points", "Expired")
    ADJUST = "adjust", pgettext_lazy("points", "Adjusted")
    SHORTFALL = "shortfall", _("Shortfall settled")
    MERGE = "merge", _("Moved by a merge")
    BONUS = "bonus", pgettext_lazy("points", "Bonus")
    REDEEM = "redeem", pgettext_lazy("points", "Redeemed")
    VOID = "void", _("Redemption voided")


class LedgerEntry(AppendOnlyEntry):
    """One movement of a member's points. Append-only (`AppendOnlyEntry`; the database
    refuses an update or a delete by migration 0002's trigger)."""

    AMOUNT_FIELD = "points"

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="ledger", verbose_name=_("member")
    )
    kind = models.CharField(_("what"), max_length=16, choices=EntryKind.choices)
    points = models.IntegerField(
        _("points"), help_text=_("Positive when earned, negative when spent or lost.")
    )
    balance_after = models.IntegerField(_("balance after"))
    # By name: the sale's models sit above the ledger (programs/models/purchases.py).
    purchase = models.ForeignKey(
        "programs.Purchase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purchase"),
    )
    refund = models.ForeignKey(
        "programs.Refund",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refund"),
    )
    lot = models.ForeignKey(
        Lot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("points lot"),
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    reason_text = models.JSONField(_("reason, for translation"), default=dict, blank=True)
    # PROTECT, not SET_NULL: nulling the actor would be an update of an append-only row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-created_at", "-id"], name="programs_ledger_member")
        ]

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (its English text for older rows)."""
        return render(self.reason_text, self.reason)


class ExpiryNotice(TenantModel):
    """That a member's points expiring on a date were announced at one stage, so many
    days before (`ProgramSettings.reminder_days`, then `final_reminder_days`): once per
    member, expiry and stage, however often the hourly task (reminders.py) runs."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    expires_at = models.DateTimeField(_("expires"))
    days_before = models.PositiveSmallIntegerField(_("days before expiry"))
    points = models.PositiveIntegerField(_("points"))
    created_at = models.DateTimeField(_("announced"), auto_now_add=True)

    class Meta:
        verbose_name = _("expiry notice")
        verbose_name_plural = _("expiry notices")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "expires_at", "days_before"],
                name="programs_expiry_notice_once",
            )
        ]
