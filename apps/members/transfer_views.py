"""Manager pages for CSV import and export of members.

Thin: each view reads a form, calls one service of csv_import.py / csv_export.py, and
shows the result or the refusal. The pages of work in progress poll their state partial
with htmx every second, and work without JavaScript through a refresh link.
"""

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.core.forms import add_domain_error
from apps.core.models import Role
from apps.core.pagination import SlicePage
from apps.core.permissions import get_for_merchant_or_404, merchant_view
from apps.core.transactions import edge_transaction
from apps.members import csv_export, csv_import
from apps.members.models import ExportStatus, ImportStatus, MemberExport, MemberImport

PAGE = 25

# Forms --------------------------------------------------------------------------------


def _upload_help() -> str:
    return gettext(
        # Translators: %(limit)s is a size in megabytes ("20").
        "A .csv file of up to %(limit)s MB with a header row, saved from a spreadsheet or "
        "exported by your old system."
    ) % {"limit": csv_import.MAX_UPLOAD_BYTES // 1024 // 1024}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=lazy(_upload_help, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=csv_import.ENCODINGS,
        initial="auto",
        help_text=_("Keep UTF-8 unless the upload says the file cannot be read."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            csv_import.check_size(upload.size)
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        return upload


class ImportMappingForm(forms.Form):
    """One select per column of the file: which member field it holds, if any."""

    date_order = forms.ChoiceField(
        label=_("Dates are written"), choices=csv_import.DATE_ORDERS, initial="DMY"
    )

    def __init__(self, *args, member_import: MemberImport, **kwargs):
        super().__init__(*args, **kwargs)
        self.header = member_import.header
        held = {int(index): name for name, index in member_import.mapping.items()}
        choices = [("", gettext("— Leave out —"))] + [
            (target.name, target.label) for target in csv_import.TARGETS
        ]
        self.columns = []
        for index, name in enumerate(self.header):
            key = f"column_{index}"
            self.fields[key] = forms.ChoiceField(
                label=name, choices=choices, required=False, initial=held.get(index, "")
            )
            samples = [row[index] for row in member_import.sample if index < len(row)]
            self.columns.append((self[key], [value for value in samples if value]))
        self.fields["date_order"].initial = member_import.date_order
        self.mapping: dict[str, int] = {}

    def clean(self):
        cleaned = super().clean()
        for index in range(len(self.header)):
            target = cleaned.get(f"column_{index}")
            if not target:
                continue
            if target in self.mapping:
                other = self.header[self.mapping[target]]
                label = csv_import.TARGET_LABELS[target]
                self.add_error(
                    f"column_{index}",
                    # Translators: %(target)s is what a column holds ("Phone"), %(column)s
                    # the name of another column of the file.
                    gettext("“%(target)s” is chosen for the column “%(column)s” already.")
                    % {"target": label, "column": other},
                )
            else:
                self.mapping[target] = index
        return cleaned


# Import -------------------------------------------------------------------------------


@merchant_view(Role.MANAGER)
def import_list(request):
    page = SlicePage.of(csv_import.import_list(merchant=request.merchant), request, per_page=PAGE)
    return render(request, "members/import_list.html", {"page": page})


@merchant_view(Role.MANAGER)
def import_start(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            with edge_transaction():
                member_import = csv_import.import_create(
                    merchant=request.merchant,
                    actor=request.user,
                    file=form.cleaned_data["file"],
                    encoding=form.cleaned_data["encoding"],
                )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("members:import_detail", member_import.pk)
    return render(
        request,
        "members/import_start.html",
        {"form": form, "targets": csv_import.TARGETS},
    )


def _import_context(member_import: MemberImport, form) -> dict:
    status = member_import.status
    analysis = member_import.analysis or {}
    counts = analysis.get("counts", {})
    if status == ImportStatus.ANALYZING:
        done, total = member_import.analyzed_rows, member_import.rows_total
    else:
        done, total = member_import.rows_done, member_import.rows_total
    stale = csv_import.import_is_stale(member_import)
    return {
        "member_import": member_import,
        "form": form,
        "statuses": ImportStatus,
        "working": status in (ImportStatus.ANALYZING, ImportStatus.QUEUED, ImportStatus.RUNNING),
        "polling": not stale
        and status in (ImportStatus.ANALYZING, ImportStatus.QUEUED, ImportStatus.RUNNING),
        "stale": stale,
        "can_resume": csv_import.import_can_resume(member_import),
        "can_remap": csv_import.import_can_remap(member_import),
        "keep_days": settings.MEMBER_FILES_KEEP_DAYS,
        "done_rows": done,
        "percent": done * 100 // total if total else 0,
        "analysis": analysis,
        "to_create": counts.get("create", 0),
        "result_counts": {
            "create": member_import.created_count,
            "matched": member_import.matched_count,
            "duplicate": member_import.duplicate_count,
            "error": member_import.error_count,
        },
        "mapped": [
            (member_import.header[int(index)], csv_import.TARGET_LABELS[name])
            for name, index in sorted(member_import.mapping.items(), key=lambda item: item[1])
        ],
    }


@merchant_view(Role.MANAGER)
def import_detail(request, pk: int):
    """The import's one page: the column mapping, the dry run, the progress, the report."""
    member_import = get_for_merchant_or_404(MemberImport, request, pk=pk)
    form = None
    wants_form = (
        member_import.status in (ImportStatus.MAPPING, ImportStatus.FAILED)
        or request.method == "POST"
        or "columns" in request.GET
    )
    if wants_form and csv_import.import_can_remap(member_import):
        form = ImportMappingForm(request.POST or None, member_import=member_import)
        if request.method == "POST" and form.is_valid():
            try:
                with edge_transaction():
                    csv_import.import_set_mapping(
                        member_import=member_import,
                        actor=request.user,
                        mapping=form.mapping,
                        date_order=form.cleaned_data["date_order"],
                    )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect("members:import_detail", member_import.pk)
    elif request.method == "POST":
        messages.error(
            request, gettext("This import has started: its columns cannot change any more.")
        )
        return redirect("members:import_detail", member_import.pk)
    template = "members/import_detail.html"
    if request.htmx and request.method == "GET":
        template += "#state"
    return render(request, template, _import_context(member_import, form))


@require_POST
@merchant_view(Role.MANAGER)
def import_confirm(request, pk: int):
    """Start the import after the dry run (or resume one that stopped)."""
    member_import = get_for_merchant_or_404(MemberImport, request, pk=pk)
    try:
        with edge_transaction():
            csv_import.import_confirm(
                member_import=member_import,
                actor=request.user,
                send_welcome=request.POST.get("send_welcome") == "on",
            )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("members:import_detail", member_import.pk)


@merchant_view(Role.MANAGER)
def import_problems(request, pk: int):
    """Every row the dry run would not import, with why, as a CSV file to fix and re-upload."""
    member_import = get_for_merchant_or_404(MemberImport, request, pk=pk)
    if not member_import.problems_file:
        raise Http404(gettext("This import has not been checked yet."))
    stem = PurePath(member_import.original_name).stem or "import"
    return FileResponse(
        member_import.problems_file.open("rb"),
        as_attachment=True,
        filename=f"{stem}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )


# Export -------------------------------------------------------------------------------


@merchant_view(Role.MANAGER)
def export_list(request):
    if request.method == "POST":
        with edge_transaction():
            export = csv_export.export_create(merchant=request.merchant, actor=request.user)
        return redirect("members:export_detail", export.pk)
    page = SlicePage.of(csv_export.export_list(merchant=request.merchant), request, per_page=PAGE)
    return render(request, "members/export_list.html", {"page": page})


@merchant_view(Role.MANAGER)
def export_detail(request, pk: int):
    export = get_for_merchant_or_404(MemberExport, request, pk=pk)
    stale = csv_export.export_is_stale(export)
    working = export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    template = "members/export_detail.html"
    if request.htmx:
        template += "#state"
    return render(
        request,
        template,
        {
            "export": export,
            "statuses": ExportStatus,
            "working": working,
            "polling": working and not stale,
            "stale": stale,
            "percent": export.rows_done * 100 // export.rows_total if export.rows_total else 0,
            "keep_days": settings.MEMBER_FILES_KEEP_DAYS,
        },
    )


@merchant_view(Role.MANAGER)
def export_download(request, pk: int):
    export = get_for_merchant_or_404(MemberExport, request, pk=pk)
    if export.status != ExportStatus.DONE or not export.file:
        raise Http404(gettext("This export is not ready, or its file was deleted."))
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=csv_export.export_download_name(export),
        content_type="text/csv; charset=utf-8",
    )
