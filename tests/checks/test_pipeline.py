"""The checks after a submission: results per document, routing, idempotency, the sweep."""

import datetime as dt
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accreditation.apply import status_path
from accreditation.checks.pipeline import checks_run, checks_sweep
from accreditation.models import AccreditationRequest, CheckResult, Document, Status
from accreditation.privacy.storage import private_storage
from tests.factories import application_data, application_files, image_bytes, portrait_bytes, upload

pytestmark = pytest.mark.django_db


def submit(client, event, capture, **overrides):
    data = application_data(
        event, email=overrides.pop("email", "amina@example.com"), **overrides.pop("data", {})
    )
    with capture(execute=True):
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**data, **application_files(**overrides)},
        )
    assert response.status_code == 302, (
        response.context["form"].errors if response.context else response
    )
    client.cookies.clear()
    return AccreditationRequest.objects.get(email=data["email"])


def exif_gps_portrait() -> bytes:
    image = Image.open(io.BytesIO(portrait_bytes())).transpose(
        Image.Transpose.ROTATE_90
    )  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (33.0, 58.0, 0.0), 3: "W", 4: (7.0, 59.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_good_request_reaches_review_with_its_results_and_a_clean_photo(
    client, event, private_dir, django_capture_on_commit_callbacks
):
    req = submit(
        client,
        event,
        django_capture_on_commit_callbacks,
        photo=upload("me.jpg", exif_gps_portrait()),
    )
    assert req.status == Status.IN_REVIEW
    codes = set(CheckResult.objects.filter(request=req).values_list("code", flat=True))
    assert {
        "file.type",
        "file.sha256",
        "identity.expiry",
        "identity.document_number",
        "portrait.face_count",
    } <= codes
    assert req.check_outcome in {"pass", "warning"}

    photo = Document.objects.get(request=req, kind="photo")
    stored = Image.open(private_storage().open(photo.file.name))  # encrypted on disk
    assert stored.format == "JPEG" and stored.height > stored.width  # upright again
    assert not stored.getexif()  # no orientation, camera or GPS left
    badge = Image.open(private_storage().open(photo.derived["badge"]))
    assert badge.size == (600, 800)
    assert photo.phash
    assert "preview" in Document.objects.get(request=req, kind="identity").derived


def test_a_photo_without_a_face_goes_straight_back_to_the_journalist(
    client, event, django_capture_on_commit_callbacks
):
    req = submit(
        client,
        event,
        django_capture_on_commit_callbacks,
        photo=upload("wall.jpg", image_bytes(size=(600, 800))),
    )
    assert req.status == Status.INFO_REQUESTED
    email = next(
        m
        for m in mail.outbox
        if m.to == [req.email] and "/status/" in m.body and m is not mail.outbox[0]
    )
    assert (
        "photo" in email.body.lower()
        or "portrait" in email.body.lower()
        or "foto" in email.body.lower()
    )

    # The journalist sends a real portrait from the status page; the checks run again.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            status_path(req),
            {"action": "answer", "body": "", "photo": upload("me.jpg", portrait_bytes())},
        )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW
    assert Document.objects.filter(request=req, kind="photo").count() == 2
    assert (
        Document.objects.filter(request=req, kind="photo", superseded_at__isnull=True).count() == 1
    )


def test_checks_are_idempotent(client, event, django_capture_on_commit_callbacks):
    req = submit(client, event, django_capture_on_commit_callbacks)
    first = CheckResult.objects.filter(request=req).count()
    assert checks_run(request_id=req.pk) is None  # already done: nothing happens
    AccreditationRequest.objects.filter(pk=req.pk).update(
        status=Status.CHECKING
    )  # a retry after a crash
    assert checks_run(request_id=req.pk) == Status.IN_REVIEW
    assert CheckResult.objects.filter(request=req).count() == first


def test_the_sweep_finishes_checks_that_never_finished(
    client, event, django_capture_on_commit_callbacks
):
    req = submit(client, event, django_capture_on_commit_callbacks)
    AccreditationRequest.objects.filter(pk=req.pk).update(
        status=Status.CHECKING, checks_started_at=timezone.now() - dt.timedelta(hours=1)
    )
    CheckResult.objects.filter(request=req).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert checks_sweep() == 1
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW and CheckResult.objects.filter(request=req).exists()


def test_checks_that_cannot_pass_stop_and_wait_for_staff_instead_of_coming_back_forever(
    client, event, django_capture_on_commit_callbacks
):
    """The review saw a check with a missing file re-queued every ~15 minutes, for ever, and
    invisible. Now its task gives up after its attempts, shows failed, and the sweep leaves
    the request to staff (Background tasks → retry)."""
    from accreditation.models import OutboxTask
    from accreditation.privacy.storage import private_storage

    req = submit(client, event, django_capture_on_commit_callbacks)
    for document in Document.objects.filter(request=req):
        private_storage().delete(document.file.name)  # the file is gone for good
    AccreditationRequest.objects.filter(pk=req.pk).update(
        status=Status.CHECKING, checks_started_at=timezone.now() - dt.timedelta(hours=1)
    )
    CheckResult.objects.filter(request=req).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert checks_sweep() == 1
    row = OutboxTask.objects.filter(task_name="accreditation.run_checks").latest("pk")
    assert row.failed_at is not None and row.last_error
    AccreditationRequest.objects.filter(pk=req.pk).update(
        checks_started_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert checks_sweep() == 0  # not again: it waits for staff


def test_a_question_asked_before_the_checks_ran_does_not_skip_them(
    client, event, reviewer, django_capture_on_commit_callbacks
):
    """At the deadline rush a reviewer may ask a question while the checks are still queued;
    the checks then stand down, and run once the journalist answers, even with text only."""
    from accreditation import apply, review

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("accreditation:apply", args=[event.slug]),
            {**application_data(event), **application_files()},
        )
    assert response.status_code == 302 and queued  # the checks are queued, not run yet
    req = AccreditationRequest.objects.get()
    review.request_ask_info(request=req, actor=reviewer, message="Which outlet sends you?")
    assert checks_run(request_id=req.pk) is None  # the queued run finds a question pending
    assert not CheckResult.objects.filter(request=req).exists()

    req.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        apply.request_answer(request=req, text="Le Matin.", draft_key="")
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW and req.check_outcome
    assert CheckResult.objects.filter(request=req, code="file.type").count() == 3


def test_the_same_identity_and_the_same_face_under_another_name_are_flagged(
    client, event, django_capture_on_commit_callbacks
):
    submit(client, event, django_capture_on_commit_callbacks)
    twin = submit(
        client,
        event,
        django_capture_on_commit_callbacks,
        email="other@example.com",
        data={"family_names": "Benali", "given_names": "Sara"},
    )
    codes = dict(
        CheckResult.objects.filter(request=twin, outcome="warning").values_list("code", "value")
    )
    first = AccreditationRequest.objects.get(email="amina@example.com").reference
    assert codes.get("identity.duplicate") == first
    assert codes.get("photo.duplicate") == first
    assert twin.status == Status.IN_REVIEW  # flagged for staff, never rejected automatically


def test_a_reviewer_sees_the_results_and_can_rerun_the_checks(
    client, event, reviewer, django_capture_on_commit_callbacks
):
    req = submit(client, event, django_capture_on_commit_callbacks)
    client.force_login(reviewer)
    page = client.get(
        reverse("admin:accreditation_accreditationrequest_change", args=[req.pk])
    ).content.decode()
    assert 'id="check-results"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:accreditation_request_decide", args=[req.pk, "recheck"]))
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW
    assert re.search(r"checks\.rerun", "".join(req.audit_entries.values_list("action", flat=True)))


def test_the_same_face_under_the_same_name_spelled_otherwise_is_not_a_duplicate(
    client, event, django_capture_on_commit_callbacks
):
    """ "El Idrissi" and "EL-IDRISSI" are one family name: the same face under it is the same
    person applying again with another address, not someone else's photo."""
    submit(client, event, django_capture_on_commit_callbacks)
    again = submit(
        client,
        event,
        django_capture_on_commit_callbacks,
        email="amina.work@example.com",
        data={"family_names": "EL-IDRISSI"},
    )
    codes = set(CheckResult.objects.filter(request=again).values_list("code", flat=True))
    assert "photo.duplicate" not in codes
    assert "identity.duplicate" in codes  # the same document number still is


def test_each_reader_gets_the_check_results_in_their_own_language(
    client, event, django_capture_on_commit_callbacks
):
    """The results were stored as sentences in the event's first language only: an English
    reviewer read French. Each is now kept in every language and shown in the reader's."""
    from django.utils import translation

    assert event.staff_language != "en"
    submit(client, event, django_capture_on_commit_callbacks)
    twin = submit(
        client,
        event,
        django_capture_on_commit_callbacks,
        email="other@example.com",
        data={"family_names": "Benali", "given_names": "Sara"},
    )
    result = CheckResult.objects.get(request=twin, code="identity.duplicate")
    texts = {}
    for language in ("en", "fr", "es", "ar"):
        with translation.override(language):
            texts[language] = result.text
    assert texts["en"].startswith("The same identity document is in request")
    assert len(set(texts.values())) == 4  # four languages, four sentences
    assert all(result.value in text for text in texts.values())  # with the reference in each
    assert result.message == texts[event.staff_language]


@pytest.mark.parametrize("asks", [True, False])
def test_a_black_and_white_photo_is_sent_back_to_the_journalist_with_what_to_send_instead(
    client, event, tmp_path, django_capture_on_commit_callbacks, asks
):
    from tests import corpus
    from tests.factories import upload

    event.ask_for_replacements = asks
    event.save()
    grey = corpus.make_greyscale_portrait(tmp_path / "grey.jpg").read_bytes()
    req = submit(
        client,
        event,
        django_capture_on_commit_callbacks,
        photo=upload("me.jpg", grey),
    )
    req.refresh_from_db()
    if not asks:  # the event leaves it to staff
        assert req.status == Status.IN_REVIEW and not req.messages.exists()
        return
    assert req.status == Status.INFO_REQUESTED
    question = req.messages.get().body
    assert req.language == "en"
    assert "black and white" in question  # the check's message, in the journalist's language
    assert "Send a colour photo" in question  # and what to send instead
