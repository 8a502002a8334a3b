"""CSV export of members: written in the background, this merchant's active members only."""

import csv
import io
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse

from apps.core.models import AuditLog
from apps.members import csv_export, csv_import
from apps.members.models import ExportStatus, ImportStatus, Member, MemberExport, MemberImport
from apps.members.services import member_erase
from apps.members.tasks import member_export_run
from tests.members.factories import enroll

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")  # the time zone of the test merchants


def read_csv(response) -> list[dict]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads the accents
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def export_through_the_page(client, django_capture_on_commit_callbacks) -> MemberExport:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:export_list"))
    export = MemberExport.objects.latest("pk")
    assert response["Location"] == reverse("members:export_detail", args=[export.pk])
    return export


def test_the_export_holds_this_merchants_active_members_only(
    team, other_team, client_as, django_capture_on_commit_callbacks
):
    lucia = enroll(
        team,
        first_name="Lucía",
        last_name="Núñez",
        phone="611 000 001",
        email="lucia@example.com",
        consent_email=True,
        tags=["vip", "café"],
        external_id="POS-1",
        language="es",
    )
    enroll(team, first_name="Pablo", phone="611 000 002")
    member_erase(member=enroll(team, first_name="Gone", phone="611 000 003"), actor=team.owner)
    enroll(other_team, first_name="Stranger", phone="611 000 004", email="x@example.com")
    client = client_as(team.manager)

    export = export_through_the_page(client, django_capture_on_commit_callbacks)

    export.refresh_from_db()
    assert (export.status, export.rows_total, export.rows_done) == (ExportStatus.DONE, 2, 2)
    assert export.file.name.startswith(f"members/exports/{team.merchant.pk}/")
    response = client.get(reverse("members:export_download", args=[export.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="members-{team.merchant.slug}-'
    )
    rows = read_csv(response)
    assert [row["First name"] for row in rows] == ["Lucía", "Pablo"]
    assert rows[0] == {
        "First name": "Lucía",
        "Last name": "Núñez",
        "Email": "lucia@example.com",
        "Phone": "+34 611 00 00 01",
        "Birthday": "",
        "Language": "es",
        "Email consent": "yes",
        "SMS consent": "no",
        "Tags": "café, vip",
        "External ID": "POS-1",
        "Enrolled at": lucia.enrolled_at.astimezone(MADRID).isoformat(timespec="seconds"),
        "Card code": lucia.card_code_display,
        "Member ID": lucia.public_id,
        "Channel": "Counter",
        "Last activity": rows[0]["Last activity"],
    }
    [audit] = AuditLog.objects.for_merchant(team.merchant).filter(action="members.exported")
    assert audit.actor == team.manager


def test_the_page_polls_until_the_file_is_ready(team, client_as):
    enroll(team)
    client = client_as(team.manager)
    client.post(reverse("members:export_list"))  # queued: the task runs on commit
    export = MemberExport.objects.for_merchant(team.merchant).get()
    url = reverse("members:export_detail", args=[export.pk])

    waiting = client.get(url, headers={"HX-Request": "true"})
    assert waiting.text.lstrip().startswith('<section id="export-state"')
    assert 'hx-trigger="every 1s"' in waiting.text
    assert "Waiting to start" in waiting.text
    assert client.get(reverse("members:export_download", args=[export.pk])).status_code == 404
    assert f'<a href="{url}">Refresh</a>' in client.get(url).text

    assert member_export_run.delay(export.pk).get() is True
    ready = client.get(url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in ready.text
    assert reverse("members:export_download", args=[export.pk]) in ready.text
    assert member_export_run.delay(export.pk).get() is False  # delivered again: no-op
    listing = client.get(reverse("members:export_list"))
    assert reverse("members:export_download", args=[export.pk]) in listing.text


def test_asking_again_while_an_export_runs_returns_that_export(team):
    first = csv_export.export_create(merchant=team.merchant, actor=team.manager)
    again = csv_export.export_create(merchant=team.merchant, actor=team.owner)
    assert again == first
    csv_export.export_run(export_id=first.pk)
    assert csv_export.export_create(merchant=team.merchant, actor=team.owner) != first


def test_the_file_is_written_in_chunks_with_progress(team, monkeypatch):
    monkeypatch.setattr(csv_export, "EXPORT_CHUNK", 2)
    for n in range(5):
        enroll(team, first_name=f"Member {n}", tags=["regular"])
    export = csv_export.export_create(merchant=team.merchant, actor=team.manager)
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        csv_export.export_run(export_id=export.pk)

    export.refresh_from_db()
    assert (export.status, export.rows_done) == (ExportStatus.DONE, 5)
    with export.file.open("rb") as handle:
        assert handle.read().decode("utf-8-sig").count("\n") == 6
    progress = [sql for sql in statements if "UPDATE" in sql and "rows_done" in sql]
    assert len(progress) == 4  # started, 2 rows, 4 rows, done
    tag_queries = [sql for sql in statements if 'FROM "members_tag"' in sql]
    assert len(tag_queries) == 3  # tags fetched per chunk of 2 members


def test_formulas_are_kept_as_text_and_import_back(team, other_team, client_as):
    enroll(team, first_name='=HYPERLINK("http://evil")', last_name="-2+3", phone="611 000 009")
    export = csv_export.export_create(merchant=team.merchant, actor=team.manager)
    csv_export.export_run(export_id=export.pk)
    rows = read_csv(
        client_as(team.manager).get(reverse("members:export_download", args=[export.pk]))
    )
    assert rows[0]["First name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["Last name"] == "'-2+3"
    assert rows[0]["Phone"] == "+34 611 00 00 09"  # a phone number is not a formula

    member = _import_file(other_team, export)
    assert (member.first_name, member.last_name) == ('=HYPERLINK("http://evil")', "-2+3")


def _import_file(team, export: MemberExport) -> Member:
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        content = handle.read()
    member_import = csv_import.import_create(
        merchant=team.merchant,
        actor=team.manager,
        file=ContentFile(content, name="export.csv"),
    )
    csv_import.import_set_mapping(
        member_import=member_import,
        actor=team.manager,
        mapping=member_import.mapping,
        date_order="DMY",
    )
    csv_import.import_analyze(import_id=member_import.pk)
    member_import.refresh_from_db()
    csv_import.import_confirm(member_import=member_import, actor=team.manager)
    csv_import.import_run(import_id=member_import.pk)
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.DONE
    return Member.objects.for_merchant(team.merchant).latest("pk")


def test_an_export_imports_back_matching_every_member(team, other_team):
    enroll(
        team,
        first_name="Lucía",
        phone="611 000 001",
        email="lucia@example.com",
        consent_sms=True,
        tags=["vip"],
        external_id="POS-1",
        birthday=date(1990, 12, 31),
    )
    enroll(team, first_name="Pablo", email="pablo@example.com", phone="")
    export = csv_export.export_create(merchant=team.merchant, actor=team.manager)
    csv_export.export_run(export_id=export.pk)

    _import_file(team, export)
    same = MemberImport.objects.for_merchant(team.merchant).latest("pk")
    assert (same.created_count, same.matched_count, same.error_count) == (0, 2, 0)

    _import_file(other_team, export)
    elsewhere = MemberImport.objects.for_merchant(other_team.merchant).latest("pk")
    assert (elsewhere.created_count, elsewhere.error_count) == (2, 0)
    copy = Member.objects.for_merchant(other_team.merchant).get(external_id="POS-1")
    original = Member.objects.for_merchant(team.merchant).get(external_id="POS-1")
    fields = ["first_name", "phone", "email", "birthday", "consent_email", "consent_sms"]
    assert [getattr(copy, f) for f in fields] == [getattr(original, f) for f in fields]
    assert copy.enrolled_at == original.enrolled_at.replace(microsecond=0)
    assert list(copy.tags.values_list("name", flat=True)) == ["vip"]


def test_staff_cannot_export(team, client_as):
    client = client_as(team.staff)
    assert client.get(reverse("members:export_list")).status_code == 403
    assert client.post(reverse("members:export_list")).status_code == 403
    assert not MemberExport.objects.exists()
