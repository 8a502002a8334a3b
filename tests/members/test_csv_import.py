"""CSV import of members: upload, column mapping, dry run, confirm, resume, bad input.

Tasks run eagerly here (on commit, through `django_capture_on_commit_callbacks`); the last
test runs them on a real Celery worker through Redis.
"""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.core.errors import Conflict
from apps.core.models import AuditLog
from apps.members import csv_import
from apps.members.csv_import import running
from apps.members.csv_import.cells import parse_consent, parse_date
from apps.members.models import (
    Channel,
    EventKind,
    ImportStatus,
    Member,
    MemberEvent,
    MemberImport,
)
from apps.members.tasks import member_import_analyze, member_import_run
from tests.celery_worker import worker_recording_runs
from tests.conftest import refusal
from tests.members.factories import enroll
from tests.waiting import wait_for

HEADER = (
    "Nombre;Apellidos;Teléfono;Correo;Fecha de nacimiento;Acepta publicidad;Etiquetas;"
    "Código cliente"
)
ROWS = [
    "Ana;Pérez;611 200 001;ana@example.com;31/12/1990;sí;vip, café;C-1",  # row 2: new
    "Bruno;Soto;+34 611-200-002;;;no;;C-2",  # row 3: new
    "Carla;Ruiz;611 100 100;;;;;",  # row 4: a member already (same phone)
    "Dani;;12;;;;;",  # row 5: bad phone
    "Eva;;;not-an-email;;;;",  # row 6: bad email
    ";Sin nombre;611 200 006;;;;;",  # row 7: no first name
    "Ana;Otra;;ANA@example.com;;;;",  # row 8: same email as row 2
    "",  # row 9: blank, left out
    "Fede;;611 200 009;;45/45/1990;tal vez;;",  # row 10: bad birthday, bad consent
]


def csv_bytes(header: str = HEADER, rows=ROWS, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def upload(client, content: bytes, *, name: str = "clientes.csv", encoding: str = "auto"):
    return client.post(
        reverse("members:import_start"),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "encoding": encoding},
    )


def last_import(team) -> MemberImport:
    return MemberImport.objects.for_merchant(team.merchant).latest("pk")


def mapping_post(member_import: MemberImport) -> dict:
    """The mapping form's data, keeping the guessed mapping."""
    held = {int(index): name for name, index in member_import.mapping.items()}
    data = {f"column_{i}": held.get(i, "") for i in range(len(member_import.header))}
    return {**data, "date_order": member_import.date_order}


@pytest.fixture
def manager(team, client_as):
    return client_as(team.manager)


@pytest.fixture
def carla(team):
    return enroll(team, first_name="Carla", phone="611 100 100")


def checked_import(team, manager, django_capture_on_commit_callbacks, content=None):
    """Upload, keep the guessed columns, and run the dry run."""
    assert upload(manager, content or csv_bytes()).status_code == 302
    member_import = last_import(team)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            reverse("members:import_detail", args=[member_import.pk]), mapping_post(member_import)
        )
    assert response.status_code == 302
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.READY
    return member_import


# Upload and mapping -------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_reads_semicolons_and_guesses_spanish_columns(team, manager):
    response = upload(manager, csv_bytes())

    member_import = last_import(team)
    assert response["Location"] == reverse("members:import_detail", args=[member_import.pk])
    assert member_import.delimiter == ";"
    assert member_import.rows_total == 8  # the blank row is left out
    assert member_import.mapping == {
        "first_name": 0,
        "last_name": 1,
        "phone": 2,
        "email": 3,
        "birthday": 4,
        "consent": 5,
        "tags": 6,
        "external_id": 7,
    }
    assert member_import.status == ImportStatus.MAPPING
    assert member_import.file.read().startswith(b"Nombre;")
    page = manager.get(response["Location"])
    assert "Which column holds what?" in page.text
    assert '<option value="phone" selected>' in page.text
    assert "611 200 001" in page.text  # the first values help choose
    assert not Member.objects.for_merchant(team.merchant).exists()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "First name,Last name,E-mail,Mobile,Date of birth,Consent,Tags,External ID,"
            "Language,Enrolled at",
            [
                "first_name",
                "last_name",
                "email",
                "phone",
                "birthday",
                "consent",
                "tags",
                "external_id",
                "language",
                "enrolled_at",
            ],
        ),
        (
            "nombre completo,móvil,idioma,fecha de alta",
            ["full_name", "phone", "language", "enrolled_at"],
        ),
        ("Email consent,SMS consent,Card code", ["consent_email", "consent_sms", None]),
        ("name,surname,phone,phone", ["first_name", "last_name", "phone", None]),
        (
            "Prenume,Nume,Telefon,Adresa de e-mail,Data nașterii,Consimțământ,Limba,"
            "Data înscrierii",
            [
                "first_name",
                "last_name",
                "phone",
                "email",
                "birthday",
                "consent",
                "language",
                "enrolled_at",
            ],
        ),
    ],
)
def test_guessing_columns_in_english_spanish_and_romanian(header, expected):
    mapping = csv_import.guess_mapping(header.split(","))
    by_column = {index: name for name, index in mapping.items()}
    assert [by_column.get(index) for index in range(len(expected))] == expected


@pytest.mark.django_db
def test_a_mapping_without_a_first_name_or_a_contact_is_refused(team, manager):
    upload(manager, csv_bytes())
    member_import = last_import(team)
    url = reverse("members:import_detail", args=[member_import.pk])

    no_name = manager.post(url, mapping_post(member_import) | {"column_0": ""})
    no_contact = manager.post(url, mapping_post(member_import) | {"column_2": "", "column_3": ""})
    twice = manager.post(url, mapping_post(member_import) | {"column_1": "phone"})

    assert "Choose the column that holds the first name" in no_name.text
    assert "phone number or the email" in no_contact.text
    assert "“Phone” is chosen for the column “Apellidos” already" in twice.text
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.MAPPING
    assert not Member.objects.for_merchant(team.merchant).exists()


# Bad files ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused_with_a_choice_of_encoding(team, manager):
    content = csv_bytes("Nombre,Teléfono", ["José,611 200 001", "Íñigo,611 200 002"], "cp1252")

    refused = upload(manager, content)

    assert refused.status_code == 200
    assert "This file is not UTF-8 text: line 1" in refused.text
    assert "Windows-1252" in refused.text
    assert not MemberImport.objects.exists()

    assert upload(manager, content, encoding="cp1252").status_code == 302
    member_import = last_import(team)
    assert member_import.header == ["Nombre", "Teléfono"]
    assert member_import.sample[0] == ["José", "611 200 001"]


@pytest.mark.django_db
def test_utf8_with_a_bom_and_utf16_are_read(team, manager):
    upload(manager, "\ufeffFirst name,Email\nZoë,zoe@example.com\n".encode())
    assert last_import(team).header == ["First name", "Email"]
    upload(manager, "First name\tEmail\nZoë\tzoe@example.com\n".encode("utf-16"))
    utf16 = last_import(team)
    assert (utf16.header, utf16.delimiter, utf16.sample) == (
        ["First name", "Email"],
        "\t",
        [["Zoë", "zoe@example.com"]],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\n \n", "This file is empty."),
        (b"First name,Phone\n", "a header row but no members under it"),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is a spreadsheet workbook, not a CSV file"),
        (b'First name,Phone\n"' + b"a" * 200_000 + b'",6\n', "Row 2 cannot be read as CSV"),
    ],
)
def test_files_that_cannot_be_imported_say_why(team, manager, content, message):
    response = upload(manager, content)
    assert response.status_code == 200
    assert message in response.text
    assert not MemberImport.objects.exists()


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(team, manager, monkeypatch):
    monkeypatch.setattr(running, "MAX_UPLOAD_BYTES", 2 * 1024 * 1024)
    content = csv_bytes("First name,Phone", ["Ana,611 200 001"] * 200_000)

    response = upload(manager, content)

    assert "MB; the most one import takes is 2 MB. Split it into smaller files." in response.text
    assert not MemberImport.objects.exists()


# The dry run --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dry_run_reports_each_row_and_imports_nothing(
    team, manager, carla, django_capture_on_commit_callbacks
):
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks)

    report = member_import.analysis
    assert report["rows"] == 8
    assert report["counts"] == {"create": 2, "matched": 1, "duplicate": 1, "error": 4}
    errors = {row["row"]: " ".join(row["messages"]) for row in report["details"]["error"]}
    assert set(errors) == {5, 6, 7, 10}
    assert "'12' is not a valid phone number" in errors[5]
    assert "'not-an-email' is not an email address" in errors[6]
    assert "Give the customer's first name." in errors[7]
    assert "Birthday: '45/45/1990' is not a date (day/month/year" in errors[10]
    assert "Consent: 'tal vez' is not yes or no." in errors[10]
    assert report["details"]["matched"] == [
        {"row": 4, "messages": ["Already a member: Carla García (same phone)."]}
    ]
    assert report["details"]["duplicate"] == [{"row": 8, "messages": ["Same email as row 2."]}]
    assert list(Member.objects.for_merchant(team.merchant)) == [carla]

    page = manager.get(reverse("members:import_detail", args=[member_import.pk]))
    assert "What the import will do" in page.text
    assert "Import 2 members" in page.text
    assert "Same email as row 2." in page.text


@pytest.mark.django_db
def test_the_problem_rows_download_lists_every_row_left_out(
    team, manager, carla, django_capture_on_commit_callbacks
):
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks)

    response = manager.get(reverse("members:import_problems", args=[member_import.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="clientes-problems.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Row", "Outcome", "Why", *HEADER.split(";")]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("4", "matched"),
        ("5", "error"),
        ("6", "error"),
        ("7", "error"),
        ("8", "duplicate"),
        ("10", "error"),
    ]
    assert rows[2][3:] == ["Dani", "", "12", "", "", "", "", ""]


@pytest.mark.django_db
def test_a_large_file_is_reported_in_full_and_shows_the_first_problems(
    team, manager, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(running, "ANALYSIS_CHUNK", 700)
    monkeypatch.setattr(running, "DETAIL_LIMIT", 10)
    rows = [f"Member {n},{'bad' if n % 100 == 0 else f'+34 611 {n:06d}'}" for n in range(1, 3001)]
    member_import = checked_import(
        team, manager, django_capture_on_commit_callbacks, csv_bytes("First name,Phone", rows)
    )

    assert member_import.analyzed_rows == 3000
    assert member_import.analysis["counts"] == {
        "create": 2970,
        "matched": 0,
        "duplicate": 0,
        "error": 30,
    }
    assert len(member_import.analysis["details"]["error"]) == 10
    assert not Member.objects.exists()
    page = manager.get(reverse("members:import_detail", args=[member_import.pk]))
    assert "The first 10 of 30 are shown" in page.text
    assert "Import 2,970 members" in page.text


@pytest.mark.django_db
def test_the_page_polls_a_partial_while_the_file_is_checked(team, manager):
    upload(manager, csv_bytes())
    member_import = last_import(team)
    url = reverse("members:import_detail", args=[member_import.pk])
    manager.post(url, mapping_post(member_import))  # the dry run is queued, not run

    partial = manager.get(url, headers={"HX-Request": "true"})
    page = manager.get(url)

    assert partial.text.lstrip().startswith('<section id="import-state"')
    assert 'hx-trigger="every 1s"' in partial.text
    assert "<html" not in partial.text
    assert "Checking the file" in partial.text
    assert '<progress value="0" max="8"' in partial.text
    assert "<html" in page.text
    assert f'<a href="{url}">Refresh</a>' in page.text

    member_import_analyze.delay(member_import.pk)
    done = manager.get(url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text
    assert "What the import will do" in done.text


# The import ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_confirming_enrolls_the_new_rows_through_the_service(
    team, manager, carla, django_capture_on_commit_callbacks
):
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("members:import_confirm", args=[member_import.pk]))

    assert response.status_code == 302
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.DONE
    assert (member_import.confirmed_by, member_import.rows_done) == (team.manager, 8)
    counts = (
        member_import.created_count,
        member_import.matched_count,
        member_import.duplicate_count,
        member_import.error_count,
    )
    assert counts == (2, 1, 1, 4)
    ana = Member.objects.for_merchant(team.merchant).get(email="ana@example.com")
    assert (ana.first_name, ana.last_name, ana.phone, ana.birthday) == (
        "Ana",
        "Pérez",
        "+34611200001",
        date(1990, 12, 31),
    )
    assert (ana.channel, ana.enrolled_by, ana.external_id) == (Channel.IMPORT, team.manager, "C-1")
    assert (ana.consent_email, ana.consent_sms) == (True, True)
    assert sorted(ana.tags.values_list("name", flat=True)) == ["café", "vip"]
    bruno = Member.objects.for_merchant(team.merchant).get(external_id="C-2")
    assert (bruno.phone, bruno.email, bruno.consent_email) == ("+34611200002", None, False)
    assert MemberEvent.objects.filter(
        member=ana, kind=EventKind.ENROLLED, source=Channel.IMPORT
    ).exists()
    assert Member.objects.for_merchant(team.merchant).count() == 3  # Carla, Ana, Bruno
    actions = set(AuditLog.objects.for_merchant(team.merchant).values_list("action", flat=True))
    assert {"members.import_started", "members.imported"} <= actions

    page = manager.get(reverse("members:import_detail", args=[member_import.pk]))
    assert "<h2>Imported</h2>" in page.text
    assert "members enrolled" in page.text
    listing = manager.get(reverse("members:import_list"))
    assert "clientes.csv" in listing.text


@pytest.mark.django_db
def test_optional_columns_are_read_as_written(team, manager, django_capture_on_commit_callbacks):
    content = csv_bytes(
        "Full name,Email,Language,Enrolled at,Email consent,SMS consent",
        [
            "María José López,mj@example.com,Español,2021-03-04 10:30,yes,",
            "Tom,tom@example.com,en-GB,2020-01-02T08:00:00+00:00,0,1",
        ],
    )
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks, content)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("members:import_confirm", args=[member_import.pk]))

    maria = Member.objects.get(email="mj@example.com")
    tom = Member.objects.get(email="tom@example.com")
    madrid = ZoneInfo("Europe/Madrid")
    assert (maria.first_name, maria.last_name, maria.language) == ("María", "José López", "es")
    assert maria.enrolled_at == datetime(2021, 3, 4, 10, 30, tzinfo=madrid)
    assert (maria.consent_email, maria.consent_sms) == (True, False)
    assert tom.language == "en"
    assert tom.enrolled_at == datetime(2020, 1, 2, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert (tom.consent_email, tom.consent_sms) == (False, True)
    event = tom.events.get(kind=EventKind.ENROLLED)
    assert event.occurred_at == tom.enrolled_at


@pytest.mark.django_db
def test_running_the_same_import_twice_creates_no_duplicates(
    team, manager, carla, django_capture_on_commit_callbacks
):
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("members:import_confirm", args=[member_import.pk]))
    members = set(Member.objects.values_list("pk", flat=True))

    # The task delivered again (acks_late), and the confirm button pressed again:
    assert member_import_run.delay(member_import.pk).get() is False
    again = manager.post(reverse("members:import_confirm", args=[member_import.pk]), follow=True)
    assert "This import cannot start now" in again.text
    # The same file uploaded and imported again:
    second = checked_import(team, manager, django_capture_on_commit_callbacks)
    assert second.analysis["counts"] == {"create": 0, "matched": 3, "duplicate": 1, "error": 4}
    assert (
        "There is no one new to enroll"
        in manager.get(reverse("members:import_detail", args=[second.pk])).text
    )
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("members:import_confirm", args=[second.pk]))

    second.refresh_from_db()
    assert (second.status, second.created_count, second.matched_count) == (ImportStatus.DONE, 0, 3)
    assert set(Member.objects.values_list("pk", flat=True)) == members


@pytest.mark.django_db
def test_a_crash_keeps_earlier_batches_and_a_resume_completes_without_duplicates(
    team, manager, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(running, "IMPORT_BATCH", 2)
    rows = [f"Person {n},+34 611 300 {n:03d}" for n in range(1, 8)]
    member_import = checked_import(
        team, manager, django_capture_on_commit_callbacks, csv_bytes("Name,Phone", rows)
    )
    real_enroll = running.members_enroll_many

    def enroll_or_die(*, merchant, rows):
        outcomes = real_enroll(merchant=merchant, rows=rows)
        if any(row["first_name"] == "Person 4" for row in rows):
            # written, then lost with its batch
            raise RuntimeError("the worker's database connection dropped")
        return outcomes

    monkeypatch.setattr(running, "members_enroll_many", enroll_or_die)
    with (
        pytest.raises(RuntimeError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        manager.post(reverse("members:import_confirm", args=[member_import.pk]))

    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.FAILED
    assert (member_import.rows_done, member_import.created_count) == (2, 2)
    assert "resume to carry on" in member_import.failure
    names = set(Member.objects.for_merchant(team.merchant).values_list("first_name", flat=True))
    assert names == {"Person 1", "Person 2"}  # the failed batch (rows 3 and 4) left nothing behind
    page = manager.get(reverse("members:import_detail", args=[member_import.pk]))
    assert "Resume the import" in page.text

    monkeypatch.setattr(running, "members_enroll_many", real_enroll)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("members:import_confirm", args=[member_import.pk]))

    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.DONE
    assert (member_import.rows_done, member_import.created_count) == (7, 7)
    phones = list(Member.objects.for_merchant(team.merchant).values_list("phone", flat=True))
    assert sorted(phones) == [f"+34611300{n:03d}" for n in range(1, 8)]
    actions = list(AuditLog.objects.for_merchant(team.merchant).values_list("action", flat=True))
    assert actions.count("members.import_resumed") == 1


@pytest.mark.django_db
def test_a_long_import_hands_over_to_a_new_task_between_batches(
    team, manager, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(running, "IMPORT_BATCH", 2)
    monkeypatch.setattr(running, "TASK_SECONDS", 0)  # every batch is "too long"
    rows = [f"Person {n},+34 611 300 {n:03d}" for n in range(1, 8)]
    member_import = checked_import(
        team, manager, django_capture_on_commit_callbacks, csv_bytes("Name,Phone", rows)
    )
    runs = []
    real_run = csv_import.import_run

    def counted_run(*, import_id):
        runs.append(MemberImport.objects.get(pk=import_id).rows_done)
        return real_run(import_id=import_id)

    monkeypatch.setattr(csv_import, "import_run", counted_run)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("members:import_confirm", args=[member_import.pk]))

    member_import.refresh_from_db()
    assert runs == [0, 2, 4, 6]  # each task carried on where the last one stopped
    assert (member_import.status, member_import.created_count) == (ImportStatus.DONE, 7)
    assert Member.objects.for_merchant(team.merchant).count() == 7


@pytest.mark.django_db
def test_rerunning_from_the_start_matches_the_rows_already_imported(
    team, manager, django_capture_on_commit_callbacks
):
    rows = [f"Person {n},+34 611 300 {n:03d}" for n in range(1, 6)]
    member_import = checked_import(
        team, manager, django_capture_on_commit_callbacks, csv_bytes("Name,Phone", rows)
    )
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("members:import_confirm", args=[member_import.pk]))
    # As if the progress had been lost: run it all again.
    MemberImport.objects.filter(pk=member_import.pk).update(
        status=ImportStatus.QUEUED, rows_done=0, created_count=0
    )

    assert csv_import.import_run(import_id=member_import.pk) is True

    member_import.refresh_from_db()
    assert (member_import.created_count, member_import.matched_count) == (0, 5)
    assert Member.objects.for_merchant(team.merchant).count() == 5


@pytest.mark.django_db
def test_rows_are_matched_within_the_merchant_only(
    team, other_team, manager, django_capture_on_commit_callbacks
):
    enroll(other_team, first_name="Carla", phone="611 100 100")
    member_import = checked_import(
        team,
        manager,
        django_capture_on_commit_callbacks,
        csv_bytes("Name,Phone", ["Carla,611 100 100"]),
    )
    assert member_import.analysis["counts"]["create"] == 1


@pytest.mark.django_db
def test_an_import_started_by_another_request_cannot_change_or_start_twice(
    team, manager, django_capture_on_commit_callbacks
):
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks)
    stale_copy = MemberImport.objects.get(pk=member_import.pk)
    csv_import.import_confirm(member_import=member_import, actor=team.manager)  # queued

    with refusal(Conflict, match="started a moment ago"):
        csv_import.import_confirm(member_import=stale_copy, actor=team.owner)
    with refusal(Conflict, match="changed a moment ago"):
        csv_import.import_set_mapping(
            member_import=stale_copy,
            actor=team.owner,
            mapping=stale_copy.mapping,
            date_order="DMY",
        )
    response = manager.post(
        reverse("members:import_detail", args=[member_import.pk]),
        mapping_post(member_import),
        follow=True,
    )
    assert "its columns cannot change any more" in response.text


# Reading values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "order", "expected"),
    [
        ("31/12/1990", "DMY", date(1990, 12, 31)),
        ("12/31/1990", "MDY", date(1990, 12, 31)),
        ("1990-12-31", "MDY", date(1990, 12, 31)),
        ("1990-12-31 00:00:00", "DMY", date(1990, 12, 31)),
        ("4.5.1985", "DMY", date(1985, 5, 4)),
        ("04/05/85", "DMY", date(1985, 5, 4)),
    ],
)
def test_dates_are_read_in_the_chosen_order(raw, order, expected):
    assert parse_date(raw, order)[0] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("yes", True), ("Sí", True), ("si", True), ("TRUE", True), ("1", True), ("x", True)]
    + [("Da", True), ("adevărat", True), ("Nu", False), ("fals", False)]
    + [("no", False), ("No", False), ("false", False), ("0", False), ("", False)],
)
def test_consent_is_yes_or_no(raw, expected):
    assert parse_consent(raw) is expected


def test_unknown_consent_is_an_error():
    with pytest.raises(ValueError, match="maybe"):
        parse_consent("maybe")


# On a real worker ---------------------------------------------------------------------


@pytest.fixture
def redis_worker(transactional_db):
    """A real worker on Redis, and a record of the tasks it ran."""
    with worker_recording_runs("imports") as worker:
        yield worker


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_import_runs_on_a_worker_through_redis(redis_worker, team, monkeypatch):
    queue, runs = redis_worker
    monkeypatch.setattr(running, "IMPORT_BATCH", 3)
    rows = [f"Person {n},+34 611 400 {n:03d}" for n in range(1, 11)] + ["Nobody,12"]
    member_import = csv_import.import_create(
        merchant=team.merchant,
        actor=team.manager,
        file=ContentFile(csv_bytes("Name,Phone", rows), name="worker.csv"),
    )

    csv_import.import_set_mapping(
        member_import=member_import,
        actor=team.manager,
        mapping=member_import.mapping,
        date_order="DMY",
    )
    wait_for(
        lambda: MemberImport.objects.get(pk=member_import.pk).status == ImportStatus.READY,
        message="the dry run",
    )
    csv_import.import_confirm(
        member_import=MemberImport.objects.get(pk=member_import.pk), actor=team.manager
    )
    done = wait_for(
        lambda: MemberImport.objects.filter(pk=member_import.pk, status=ImportStatus.DONE).first(),
        message="the import",
    )

    assert (done.created_count, done.error_count, done.rows_done) == (10, 1, 11)
    assert Member.objects.for_merchant(team.merchant).filter(channel=Channel.IMPORT).count() == 10
    names = [run[0] for run in runs]
    assert names == [member_import_analyze.name, member_import_run.name]
    for _name, args, retval, eager, routing_key in runs:
        # The import reports in the language of whoever started it (English here).
        assert (args, retval, eager, routing_key) == ((member_import.pk, "en"), True, False, queue)

    member_import_run.delay(member_import.pk)  # delivered again: nothing more happens
    wait_for(lambda: len(runs) == 3, message="the repeated task")
    assert runs[-1][2] is False
    assert Member.objects.for_merchant(team.merchant).count() == 10
