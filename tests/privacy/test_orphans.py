"""The sweep of orphan files: a private file no row names and older than a day is deleted; a
young one is kept (an upload being stored, a row not committed yet); every file a row names is
kept — documents, their derived copies, photos, print batches (the badges' PDFs), outlets'
proofs, announcements' attachments, pending uploads, files an erasure has still to delete; a dry
run deletes nothing."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.communications import services as announcements
from accreditation.communications.models import Announcement
from accreditation.models import AuditEntry, Document, PrintBatch
from accreditation.privacy.models import FileToDelete
from accreditation.privacy.orphans import SWEPT, file_fields, orphans_sweep
from accreditation.privacy.storage import private_storage, random_name
from tests.factories import make_user, pdf_bytes
from tests.outlets.helpers import make_outlet
from tests.privacy.submitting import submit_and_check
from tests.privacy.test_storage_s3 import s3  # noqa: F401 - moto's bucket, the same fixture

pytestmark = pytest.mark.django_db

TWO_DAYS = 2 * 86400


def referenced_world(client, event, capture) -> list[str]:
    """One of each kind of stored file a row names, through the project's own services; their
    storage names."""
    req, _ = submit_and_check(client, event, capture)
    photo = req.documents.get(kind="photo")
    assert photo.derived, "the checks made the photo's derived copies"
    supervisor = make_user("sweep.supervisor", "Supervisor")
    review.request_approve(request=req, actor=supervisor)
    badge = issuing.badge_issue(request_id=req.pk)
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=supervisor).pk
    )
    outlet = make_outlet(event)
    press = make_user("sweep.press", "Press office")
    announcements.announcement_save(
        announcement=Announcement(event=event, titles={"en": "Briefing"}, bodies={"en": "At 10."}),
        actor=press,
        files=[SimpleUploadedFile("programme.pdf", pdf_bytes("Programme"))],
    )
    pending = private_storage().save(random_name("erased", "jpg"), ContentFile(b"erased"))
    FileToDelete.objects.create(name=pending)  # an erasure's own list: not the sweep's
    names = [pending, outlet.proof.name]
    for document in Document.objects.all():
        names.append(document.file.name)
        names.extend(document.derived.values())
    names.extend(PrintBatch.objects.exclude(file="").values_list("file", flat=True))
    names.extend(Announcement.objects.get().attachments.values_list("file", flat=True))
    assert any(n.startswith("batches/") for n in names)
    assert any(n.startswith("announcements/") for n in names)
    return names


def stored() -> set[str]:
    return set(private_storage().names())


def make_old(private_dir, *names) -> None:
    past = time.time() - TWO_DAYS
    for name in names or [str(p.relative_to(private_dir)) for p in private_dir.rglob("*")]:
        path = private_dir / name
        if path.is_file():
            os.utime(path, (past, past))


def orphan(folder="documents") -> str:
    return private_storage().save(random_name(folder, "jpg"), ContentFile(b"\xff\xd8 no row"))


def test_an_old_orphan_goes_a_young_one_and_every_named_file_stay(
    client, event, private_dir, django_capture_on_commit_callbacks
):
    names = referenced_world(client, event, django_capture_on_commit_callbacks)
    old_orphans = [orphan("documents"), orphan("batches")]
    make_old(private_dir)  # every file, named or not, is two days old
    young = orphan()

    counts = orphans_sweep()

    assert set(names) <= stored()  # every file a row names is kept, however old
    assert young in stored()  # its row may not be committed yet
    assert not set(old_orphans) & stored()
    assert (counts.orphans, counts.young, counts.failed) == (2, 1, 0)
    assert counts.referred == len(set(names))
    entry = AuditEntry.objects.get(action=SWEPT)
    assert entry.request is None and entry.actor_label == "presspass-orphans"
    assert entry.data == {
        "stored": len(set(names)) + 3,
        "referred": len(set(names)),
        "young": 1,
        "orphans": 2,
        "failed": 0,
    }  # counts only, no file name

    assert orphans_sweep().orphans == 0  # a second run finds nothing more


def test_a_dry_run_lists_the_orphans_and_deletes_nothing(event, private_dir, capsys):
    lost = orphan()
    make_old(private_dir, lost)
    before = stored()

    call_command("files_sweep", "--dry-run")

    output = capsys.readouterr().out
    assert lost in output and "1 orphan files would be deleted" in output
    assert stored() == before
    assert not AuditEntry.objects.filter(action=SWEPT).exists()

    call_command("files_sweep")
    assert lost not in stored()
    assert "Deleted 1 orphan files" in capsys.readouterr().out


def test_a_file_restored_from_a_backup_after_its_dump_is_swept(event, private_dir):
    """The backup copies the files after the dump: a document uploaded in between is in the
    copy, its row is not. On the restored installation, the sweep deletes it."""
    from tests.factories import make_request

    req = make_request(event)
    kept = {d.file.name for d in req.documents.all()}
    late = req.documents.get(kind="photo")
    late_name = late.file.name
    late.delete()  # as if the row had never been in the dump
    make_old(private_dir)

    orphans_sweep()

    assert late_name not in stored() and kept - {late_name} <= stored()


def test_every_file_field_is_found_from_the_models():
    """A new file field is swept-aware without a list to update: the private FileFields and
    the fields the inventory classes as FILE (JSON names such as Document.derived)."""
    found = {f"{model._meta.label}.{name}" for model, name in file_fields()}
    assert {
        "accreditation.Document.file",
        "accreditation.Document.derived",
        "accreditation.PendingUpload.file",
        "accreditation.PrintBatch.file",
        "outlets.Outlet.proof",
        "communications.Attachment.file",
    } <= found


@pytest.mark.usefixtures("s3")
def test_the_sweep_works_on_a_bucket(client, event, django_capture_on_commit_callbacks):
    names = referenced_world(client, event, django_capture_on_commit_callbacks)
    assert type(private_storage()._wrapped).__name__ == "PrivateS3Storage"
    lost = orphan()

    counts = orphans_sweep(now=timezone.now() + dt.timedelta(days=2))

    assert set(names) <= stored() and lost not in stored()
    assert counts.orphans == 1


def test_the_daily_task_sweeps_and_a_new_installation_has_nothing_to_sweep(
    event, private_dir, settings
):
    from accreditation.privacy.tasks import sweep_orphan_files

    lost = orphan()
    make_old(private_dir, lost)
    assert sweep_orphan_files()["orphans"] == 1
    assert lost not in stored()

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            **settings.STORAGES["private"],
            "OPTIONS": {"location": str(private_dir / "never-made")},
        },
    }
    private_storage().reset()
    assert orphans_sweep().as_data() == dict.fromkeys(
        ("stored", "referred", "young", "orphans", "failed"), 0
    )


def test_the_sweep_runs_by_itself_every_day():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-orphan-files"]
    assert entry["task"] == "privacy.sweep_orphan_files" and entry["schedule"] <= 86400
