"""Import and export files hold personal data: deleted after their keeping time."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from apps.members import retention
from apps.members.models import ImportStatus, MemberExport, MemberImport
from apps.members.tasks import member_files_purge
from tests.members.test_csv_export import export_through_the_page
from tests.members.test_csv_import import checked_import

pytestmark = pytest.mark.django_db


def age(model, pk: int, days: int) -> None:
    model.objects.filter(pk=pk).update(updated_at=timezone.now() - timedelta(days=days))


def test_old_export_files_are_deleted_and_the_page_says_so(
    team, client_as, django_capture_on_commit_callbacks, settings
):
    settings.MEMBER_FILES_KEEP_DAYS = 7
    client = client_as(team.manager)
    old = export_through_the_page(client, django_capture_on_commit_callbacks)
    recent = export_through_the_page(client, django_capture_on_commit_callbacks)
    old.refresh_from_db()
    old_name = old.file.name
    age(MemberExport, old.pk, days=8)
    age(MemberExport, recent.pk, days=6)

    assert member_files_purge() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.files_removed_at is not None
    assert not old.file
    assert not default_storage.exists(old_name)
    assert recent.files_removed_at is None
    assert default_storage.exists(recent.file.name)
    assert client.get(reverse("members:export_download", args=[old.pk])).status_code == 404
    page = client.get(reverse("members:export_detail", args=[old.pk])).content.decode()
    assert "was deleted on" in page
    assert "Download the CSV file" not in page
    assert client.get(reverse("members:export_download", args=[recent.pk])).status_code == 200


def test_old_import_files_go_and_the_import_cannot_start_any_more(
    team, client_as, django_capture_on_commit_callbacks
):
    manager = client_as(team.manager)
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks)
    names = [member_import.file.name, member_import.problems_file.name]
    assert all(default_storage.exists(name) for name in names)
    age(MemberImport, member_import.pk, days=30)

    assert retention.transfer_files_purge(keep_days=7) == 1

    member_import.refresh_from_db()
    assert member_import.files_removed_at is not None
    assert not any(default_storage.exists(name) for name in names)
    page = manager.get(reverse("members:import_detail", args=[member_import.pk]))
    assert "upload the file again" in page.content.decode()
    confirm = reverse("members:import_confirm", args=[member_import.pk])
    assert confirm not in page.content.decode()
    response = manager.post(confirm)
    member_import.refresh_from_db()
    assert response.status_code == 302
    assert member_import.status == ImportStatus.READY
    assert member_import.created_count == 0
    problems = reverse("members:import_problems", args=[member_import.pk])
    assert manager.get(problems).status_code == 404


def test_a_running_import_keeps_its_file_and_a_second_purge_does_nothing(
    team, client_as, django_capture_on_commit_callbacks
):
    manager = client_as(team.manager)
    member_import = checked_import(team, manager, django_capture_on_commit_callbacks)
    MemberImport.objects.filter(pk=member_import.pk).update(status=ImportStatus.RUNNING)
    age(MemberImport, member_import.pk, days=30)

    assert retention.transfer_files_purge(keep_days=7) == 0
    assert default_storage.exists(member_import.file.name)

    MemberImport.objects.filter(pk=member_import.pk).update(status=ImportStatus.FAILED)
    assert retention.transfer_files_purge(keep_days=7) == 1
    assert retention.transfer_files_purge(keep_days=7) == 0
