from django.conf import settings
from django.db import NotSupportedError, models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.stored_text import summary_for_reader
from apps.core.tenancy import TenantModel, TenantQuerySet
from apps.members.identifiers import format_card_code, format_phone, new_public_id


class Channel(models.TextChoices):
    """Where a member enrolled."""

    COUNTER = "counter", pgettext_lazy("enrollment channel", "Counter")
    ONLINE = "online", pgettext_lazy("enrollment channel", "Online")
    API = "api", pgettext_lazy("enrollment channel", "API")
    IMPORT = "import", pgettext_lazy("enrollment channel", "Import")


class Tag(TenantModel):
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("merchant", Lower("name"), name="members_tag_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(TenantQuerySet):
    def active(self):
        """Members that are still members: not erased, not merged into another record."""
        return self.filter(erased_at__isnull=True, merged_into__isnull=True)


class MonthDay(models.Func):
    """A date's month and day as one number (229 for 29 February): the key of the birthday
    index, and what `selectors.members_with_birthday_on` compares, written the same way.

    Written in each database's own SQL rather than with `ExtractMonth`: on SQLite that
    compiles to a function only a Django connection defines, and an index calling it would
    make every write to the table fail from any other client (`manage.py dbshell`)."""

    arity = 1
    output_field = models.IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"MonthDay is not written for {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(EXTRACT(MONTH FROM {sql}) * 100 + EXTRACT(DAY FROM {sql}))::integer",
            (*params, *params),
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps a date as its ISO text, "YYYY-MM-DD".
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(replace(substr({sql}, 6, 5), '-', '') AS integer)", params


# The member's own columns that segments' rules read (apps/campaigns/segment_fields.py).
SEGMENT_COLUMNS = [
    "birthday",
    "consent_email",
    "consent_sms",
    "language",
    "channel",
    "location",
    "enrolled_at",
]


class Member(TenantModel):
    """A customer of one merchant, enrolled in its loyalty program.

    Phone (E.164) and email (lower case) are stored normalised and are unique within the
    merchant, so a person cannot be enrolled twice however many tills try at once.
    `search_name` and `search_name_reversed` hold the name without accents or case, for
    prefix search by first or last name.
    """

    public_id = models.CharField(
        _("member id"), max_length=24, unique=True, default=new_public_id, editable=False
    )
    card_code = models.CharField(_("card code"), max_length=8)
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    # NULL, not "", means "none": the unique constraints ignore NULLs but not empty strings.
    email = models.EmailField(_("email"), null=True, blank=True)  # noqa: DJ001
    phone = models.CharField(_("phone"), max_length=20, null=True, blank=True)  # noqa: DJ001
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # Empty: the merchant's language.
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    external_id = models.CharField(  # noqa: DJ001
        _("external id"), max_length=100, null=True, blank=True
    )
    consent_email = models.BooleanField(_("may receive marketing email"), default=False)
    consent_sms = models.BooleanField(_("may receive marketing SMS"), default=False)
    # Part of every card link (apps/messaging/links.py): raising it revokes the old links.
    link_version = models.PositiveIntegerField(_("card link version"), default=1)
    tags = models.ManyToManyField(Tag, blank=True, related_name="members", verbose_name=_("tags"))
    channel = models.CharField(_("enrolled through"), max_length=16, choices=Channel.choices)
    location = models.ForeignKey(
        "core.Location",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("location"),
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    search_name = models.CharField(max_length=170, blank=True, editable=False)
    search_name_reversed = models.CharField(max_length=170, blank=True, editable=False)
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged into"),
    )

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "merchant", "phone", condition=Q(phone__isnull=False), name="members_unique_phone"
            ),
            models.UniqueConstraint(
                "merchant", "email", condition=Q(email__isnull=False), name="members_unique_email"
            ),
            models.UniqueConstraint("merchant", "card_code", name="members_unique_card_code"),
            models.UniqueConstraint(
                "merchant",
                "external_id",
                condition=Q(external_id__isnull=False),
                name="members_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(phone__isnull=False)
                | Q(email__isnull=False)
                | Q(erased_at__isnull=False)
                | Q(merged_into__isnull=False),
                name="members_reachable_unless_erased_or_merged",
            ),
        ]
        indexes = [
            models.Index(fields=["merchant", "-enrolled_at"], name="members_recent"),
            models.Index(fields=["merchant", "-last_activity_at"], name="members_last_activity"),
            # The merchant's members still members, by id, with the columns segments
            # select on (not the names, emails and phones): a segment's count reads them
            # from this index alone, not from the table's wide rows (bench/segments.py).
            models.Index(
                fields=["merchant", "id"],
                include=SEGMENT_COLUMNS,
                condition=Q(erased_at__isnull=True, merged_into__isnull=True),
                name="members_active",
            ),
            # Today's birthdays (`selectors.members_with_birthday_on`, the birthday bonus
            # and automation): a probe of one merchant's day, not a scan of its members.
            models.Index(
                F("merchant"),
                MonthDay("birthday"),
                condition=Q(
                    birthday__isnull=False, erased_at__isnull=True, merged_into__isnull=True
                ),
                name="members_birthday",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.erased_at:
            return gettext("Erased member")
        return f"{self.first_name} {self.last_name}".strip() or self.email or self.phone or "—"

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone) if self.phone else ""

    @property
    def card_code_display(self) -> str:
        return format_card_code(self.card_code)

    @property
    def is_active(self) -> bool:
        return self.erased_at is None and self.merged_into_id is None


class EventKind(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    UPDATED = "updated", _("Profile updated")
    CONSENT = "consent", _("Consent changed")
    NOTE = "note", _("Note")
    MERGED = "merged", _("Merged")
    ERASED = "erased", _("Erased")
    IMPORTED = "imported", _("Imported")
    # Translators: a timeline line's kind: a message to the member (sent again by staff).
    MESSAGE = "message", _("Message")
    # Translators: a timeline line's kind: the member's own data request (download, erase).
    PRIVACY = "privacy", _("Privacy request")


class MemberEvent(TenantModel):
    """One line of a member's timeline: what happened to them, when, by whom, from where.

    Append-only. Later apps (points, coupons, campaigns) add their own kinds.
    """

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="events", verbose_name=_("member")
    )
    kind = models.CharField(_("kind"), max_length=32)
    summary = models.CharField(_("summary"), max_length=255)
    data = models.JSONField(_("data"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    source = models.CharField(_("source"), max_length=16, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["member", "-occurred_at"], name="members_event_timeline")]

    def __str__(self) -> str:
        return self.summary

    @property
    def summary_shown(self) -> str:
        """The summary in the reader's language (apps/core/stored_text.py)."""
        return summary_for_reader(summary=self.summary, data=self.data)


# CSV import and export (apps/members/csv_import.py, csv_export.py) -------------------------


def _import_upload_to(instance: "MemberImport", filename: str) -> str:
    # A random name: the original one (kept in `original_name`) may hold personal data.
    return f"members/imports/{instance.merchant_id}/{new_public_id()[4:]}.csv"


def _import_problems_to(instance: "MemberImport", filename: str) -> str:
    return f"members/imports/{instance.merchant_id}/{new_public_id()[4:]}-problems.csv"


def _export_upload_to(instance: "MemberExport", filename: str) -> str:
    return f"members/exports/{instance.merchant_id}/{new_public_id()[4:]}.csv"


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Choose the columns")
    ANALYZING = "analyzing", _("Checking the file")
    READY = "ready", _("Checked, waiting for confirmation")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Stopped")


class MemberImport(TenantModel):
    """One CSV file of members on its way in: upload, column mapping, dry run, import.

    The import runs in batches, each in its own transaction together with `rows_done`
    and the counts, so a task that dies leaves a consistent, resumable state.
    """

    file = models.FileField(_("file"), upload_to=_import_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    encoding = models.CharField(_("encoding"), max_length=16)
    delimiter = models.CharField(_("separator"), max_length=1, default=",")
    header = models.JSONField(_("header"), default=list, blank=True)
    sample = models.JSONField(_("first rows"), default=list, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    # target field -> column index
    mapping = models.JSONField(_("columns"), default=dict, blank=True)
    date_order = models.CharField(_("dates are written"), max_length=3, default="DMY")
    # Ticked when the import is started: each new member gets the welcome with their card.
    send_welcome = models.BooleanField(_("send welcomes"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices)
    # The dry run: its progress, its report, and every problem row as a CSV file.
    analyzed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    analysis = models.JSONField(_("report of the check"), default=dict, blank=True)
    problems_file = models.FileField(
        _("problem rows file"), upload_to=_import_problems_to, max_length=200, blank=True
    )
    # The import: how far it got (the resume point) and what it did.
    rows_done = models.PositiveIntegerField(_("rows imported"), default=0)
    created_count = models.PositiveIntegerField(_("enrolled"), default=0)
    matched_count = models.PositiveIntegerField(_("already members"), default=0)
    duplicate_count = models.PositiveIntegerField(_("repeated rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    result = models.JSONField(_("report of the import"), default=dict, blank=True)
    failure = models.TextField(_("why it stopped"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    files_removed_at = models.DateTimeField(
        _("files deleted"),
        null=True,
        blank=True,
        help_text=_("When retention.py deleted the uploaded and problem files."),
    )

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="members_import_recent")]

    def __str__(self) -> str:
        return self.original_name


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Writing the file")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class MemberExport(TenantModel):
    """A CSV file of the merchant's members, written in the background."""

    file = models.FileField(_("file"), upload_to=_export_upload_to, max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ExportStatus.choices)
    rows_total = models.PositiveIntegerField(_("members"), default=0)
    rows_done = models.PositiveIntegerField(_("members written"), default=0)
    failure = models.TextField(_("why it failed"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    files_removed_at = models.DateTimeField(
        _("file deleted"),
        null=True,
        blank=True,
        help_text=_("When retention.py deleted the file."),
    )

    class Meta:
        verbose_name = _("member export")
        verbose_name_plural = _("member exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="members_export_recent")]

    def __str__(self) -> str:
        # Translators: %(moment)s is when the export was asked for, e.g. 2026-12-02 14:05.
        return gettext("Export of %(moment)s") % {"moment": f"{self.created_at:%Y-%m-%d %H:%M}"}
