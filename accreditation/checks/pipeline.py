"""The automated document checks of a request: run them, store the results, route the request.

`checks_run` is idempotent: a run replaces the request's whole set of results, derived files
have names computed from the document (a retry overwrites them), and the status only moves
out of "checking" once. Unusable files or a photo without a usable face go straight back to
the journalist; everything else waits for staff, who decide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accreditation import apply
from accreditation.checks import antivirus, faces, hashing, identity, images, pdfs
from accreditation.checks.results import CheckResult as Result
from accreditation.checks.results import Outcome, interpolate, worst
from accreditation.filetypes import JPEG, PDF, PNG, sniff
from accreditation.models import (
    AccreditationRequest,
    CheckResult,
    Document,
    Message,
    OutboxTask,
    Status,
    document_number_is,
)
from accreditation.models.names import search_key
from accreditation.notify import outbox
from accreditation.privacy.storage import private_storage
from accreditation.roles import require_decider, require_permission
from accreditation.workflow import require_allowed, transition

log = logging.getLogger(__name__)

TASK = apply.RUN_CHECKS
ANTIVIRUS = "file.antivirus"
SYSTEM = "presspass-checks"
# Results that mean the journalist must send another file before staff can use the request.
# Problems the journalist can fix by sending another file: where the event asks for it
# (Event.ask_for_replacements), the checks ask them at once, in their language, with what to
# send instead; everything else (duplicates, a document expiring, a doubtful number) is for
# staff to judge. The hint completes the check's own message.
ASK_JOURNALIST = {
    images.FORMAT: "",
    images.DECODABLE: "",
    images.PIXELS: "",
    pdfs.FORMAT: "",
    pdfs.READABLE: "",
    pdfs.ENCRYPTED: "",
    pdfs.PAGES: gettext_lazy("Send only the pages that matter, as a short PDF or a photo."),
    pdfs.JAVASCRIPT: gettext_lazy("Scan the paper document, or print the file to a new PDF."),
    pdfs.LAUNCH: gettext_lazy("Scan the paper document, or print the file to a new PDF."),
    pdfs.EMBEDDED_FILES: gettext_lazy("Send the document alone, as a PDF or a photo."),
    faces.FACE_COUNT: "",
    faces.READABLE: "",
    faces.SIZE: gettext_lazy("Send a larger photo: the original from the camera, not a copy."),
    faces.COLOUR: gettext_lazy("Send a colour photo, taken in daylight against a plain wall."),
    faces.SHARPNESS: gettext_lazy(
        "Send a sharp photo: hold the phone still, in good light, at arm's length."
    ),
    "file.type": "",
}


def _derived_name(document: Document, variant: str) -> str:
    digest = hashlib.sha256(f"{document.file.name}:{variant}".encode()).hexdigest()
    return f"derived/{digest[:2]}/{digest}.jpg"


def _store(document: Document, variant: str, data: bytes) -> str:
    storage = private_storage()
    name = _derived_name(document, variant)
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(data))


def stored_content(name: str) -> bytes:
    """A private file's content, decrypted in memory (never written out in clear): the checks
    read each document whole anyway, and a document is at most PRESSPASS_MAX_FILE_MB."""
    with private_storage().open(name, "rb") as stored:
        return stored.read()


def _file_checks(document: Document) -> tuple[list[Result], dict, str]:
    """The checks of one document's file: no database access, so the documents of a request are
    checked in parallel threads (Pillow, OpenCV and PDFium release the GIL while they work).

    The first run records the SHA-256 of the file as uploaded on `document.sha256` (saved by
    checks_run); later runs keep it, as the file may have been replaced by its normalised copy."""
    results: list[Result] = []
    derived: dict[str, str] = {}
    phash = ""
    content = stored_content(document.file.name)
    if not document.sha256:
        document.sha256 = hashing.sha256_of(content)
    detected = sniff(io.BytesIO(content))
    if detected not in apply.ALLOWED_TYPES[document.kind]:
        results.append(
            Result(
                "file.type",
                Outcome.FAIL,
                gettext_lazy("The file's content is not an allowed type."),
                str(detected),
            )
        )
        return results, derived, phash
    results.append(
        Result("file.type", Outcome.PASS, gettext_lazy("The file's type is allowed."), detected)
    )
    limit = settings.PRESSPASS_MAX_FILE_MB * 1024 * 1024
    size_ok = document.size <= limit
    results.append(
        Result(
            "file.size",
            Outcome.PASS if size_ok else Outcome.FAIL,
            gettext_lazy("File size."),
            str(document.size),
        )
    )
    results.append(
        Result("file.sha256", Outcome.PASS, gettext_lazy("SHA-256 recorded."), document.sha256)
    )
    if antivirus.configured():
        found = antivirus.scan(content)  # clamd away: OSError, the checks are retried
        if found:
            private_storage().delete(document.file.name)  # never shown to anyone
            results.append(
                Result(
                    ANTIVIRUS,
                    Outcome.FAIL,
                    gettext_lazy(
                        "The antivirus found something in this file: it was removed. "
                        "Ask the journalist for a clean copy."
                    ),
                    found,
                )
            )
            return results, derived, phash
        results.append(
            Result(ANTIVIRUS, Outcome.PASS, gettext_lazy("The antivirus found nothing."))
        )
    if detected in (JPEG, PNG):
        normalised = images.normalise_image(
            content, require_colour=document.kind == Document.Kind.PHOTO
        )
        results.extend(normalised.results)
        if normalised.jpeg is not None:
            derived["normalised"] = _store(document, "normalised", normalised.jpeg)
            if normalised.preview is not None:
                derived["preview"] = _store(
                    document, "preview", images.encode_jpeg(normalised.preview)
                )
        if document.kind == Document.Kind.PHOTO and normalised.image is not None:
            portrait = faces.check_portrait(normalised)
            results.extend(portrait.results)
            if portrait.badge_jpeg:
                derived["badge"] = _store(document, "badge", portrait.badge_jpeg)
                phash = hashing.perceptual_hash(portrait.badge_jpeg)
    elif detected == PDF:
        report = pdfs.inspect_pdf(content)
        results.extend(report.results)
        if report.preview_jpeg:
            derived["preview"] = _store(document, "preview", report.preview_jpeg)
    return results, derived, phash


def in_every_language(message) -> dict[str, str]:
    """A check's (lazy) message rendered in each language of the site, for its readers."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out[code] = str(message)
    return out


def _related_checks(document: Document, req: AccreditationRequest, phash: str) -> list[Result]:
    """Checks against the request's data and the event's other requests (database reads)."""
    results: list[Result] = []
    same_file = (
        Document.objects.filter(request__event_id=req.event_id, sha256=document.sha256)
        .exclude(Q(request=req) | Q(sha256=""))
        .values_list("request__reference", flat=True)
        .first()
    )
    if same_file:
        results.append(
            Result(
                "file.duplicate",
                Outcome.WARNING,
                interpolate(
                    gettext_lazy("The same file is attached to request %(ref)s."), ref=same_file
                ),
                same_file,
            )
        )
    if document.kind == Document.Kind.IDENTITY:
        results.append(identity.check_expiry(req.id_document_expiry, req.event.ends_on))
        results.append(
            identity.check_document_number(
                req.id_document_type, req.id_document_number, str(req.id_document_country)
            )
        )
        twin = (
            AccreditationRequest.objects.filter(
                document_number_is(req.id_document_number),
                event_id=req.event_id,
                id_document_country=req.id_document_country,
            )
            .exclude(pk=req.pk)
            .values_list("reference", flat=True)
            .first()
        )
        if twin:
            results.append(
                Result(
                    "identity.duplicate",
                    Outcome.WARNING,
                    interpolate(
                        gettext_lazy("The same identity document is in request %(ref)s."), ref=twin
                    ),
                    twin,
                )
            )
    if phash:
        others = (
            Document.objects.current_photo()
            .filter(request__event_id=req.event_id)
            .exclude(Q(request=req) | Q(phash=""))
            .values_list("request__reference", "request__family_names", "phash")
        )
        family = search_key(req.family_names)
        for other_ref, other_name, other_hash in others:
            # "El Idrissi" and "EL-IDRISSI" are one name; "Dupont" and "Martin" are not.
            if (
                hashing.hamming(phash, other_hash) <= hashing.SIMILAR_MAX_DISTANCE
                and search_key(other_name) != family
            ):
                results.append(
                    Result(
                        "photo.duplicate",
                        Outcome.WARNING,
                        interpolate(
                            gettext_lazy(
                                "The same face photo is in request %(ref)s under another name."
                            ),
                            ref=other_ref,
                        ),
                        other_ref,
                    )
                )
                break
    return results


def _derived_forget(per_document) -> None:
    """Delete the derived copies a run wrote that no document row names (the run's results
    were not kept)."""
    for document, _results, derived, _phash in per_document:
        kept = set((document.derived or {}).values())
        for name in set(derived.values()) - kept:
            private_storage().delete(name)


def checks_run(*, request_id: int) -> str | None:
    """Run every check of a request in "checking" (or just submitted). Returns the new status."""
    req = AccreditationRequest.objects.select_related("event").get(pk=request_id)
    if req.status == Status.SUBMITTED:
        transition(req, to=Status.CHECKING, actor_label=SYSTEM)
    elif req.status != Status.CHECKING:
        return None  # already done by an earlier run, or withdrawn meanwhile
    AccreditationRequest.objects.filter(pk=req.pk).update(checks_started_at=timezone.now())

    staff_language = req.event.staff_language
    documents = list(Document.objects.current().filter(request=req).order_by("kind"))
    with ThreadPoolExecutor(max_workers=max(1, min(3, len(documents)))) as pool:
        file_outcomes = list(pool.map(_file_checks, documents))
    # Record the hashes now, whatever happens to this run, so that other requests' checks
    # running at the same time already see them (the duplicate-file check).
    for document in documents:
        Document.objects.filter(pk=document.pk, sha256="").update(sha256=document.sha256)
    per_document = []
    with translation.override(staff_language):
        for document, (results, derived, phash) in zip(documents, file_outcomes, strict=True):
            results = results + _related_checks(document, req, phash)
            per_document.append((document, results, derived, phash))
        rows = [
            CheckResult(
                request=req,
                document=document,
                document_kind=document.kind,
                code=r.code,
                outcome=str(r.outcome),
                value=str(r.value)[:200],
                message=str(r.message),
                messages=in_every_language(r.message),
            )
            for document, results, _d, _p in per_document
            for r in results
        ]
    every = [r for _doc, results, _d, _p in per_document for r in results]
    outcome = worst(every) if every else Outcome.PASS
    problems = [
        (doc, r)
        for doc, results, _d, _p in per_document
        for r in results
        if r.failed and r.code in ASK_JOURNALIST and req.event.ask_for_replacements
    ]

    with transaction.atomic():
        locked = AccreditationRequest.objects.select_for_update().filter(pk=req.pk).first()
        if locked is None or locked.status != Status.CHECKING:
            # Erased, withdrawn or decided while the checks ran: the copies this run made
            # belong to no row now; none may stay behind (an erasure leaves nothing).
            _derived_forget(per_document)
            return None
        CheckResult.objects.filter(request=locked).delete()
        CheckResult.objects.bulk_create(rows)
        for document, _results, derived, phash in per_document:
            old = dict(document.derived or {})
            updates = {"derived": derived, "phash": phash, "sha256": document.sha256}
            if "normalised" in derived:
                # Keep the re-encoded copy (upright, no EXIF/GPS), not the original upload.
                updates.update(file=derived["normalised"], content_type=JPEG)
                transaction.on_commit(
                    lambda name=document.file.name: private_storage().delete(name)
                )
            Document.objects.filter(pk=document.pk).update(**updates)
            for name in set(old.values()) - set(derived.values()):
                transaction.on_commit(lambda name=name: private_storage().delete(name))
        locked.check_outcome = str(outcome)
        locked.save(update_fields=["check_outcome"])
        if problems:
            with translation.override(locked.language):
                lines = [_("Some of your documents cannot be used. Please send a replacement:")]
                for document, result in problems:
                    hint = ASK_JOURNALIST[result.code]
                    line = f"- {document.get_kind_display()}: {result.message}"
                    lines.append(f"{line} {hint}" if hint else line)
                question = "\n".join(lines)
            transition(
                locked,
                to=Status.INFO_REQUESTED,
                actor_label=SYSTEM,
                reason=question,
                action="checks.replacement_requested",
            )
            Message.objects.create(request=locked, author=Message.Author.STAFF, body=question)
            outbox.enqueue(
                "accreditation.send_request_email",
                request_id=locked.pk,
                kind="info_requested",
                extra={"question": question},
            )
        else:
            transition(
                locked,
                to=Status.IN_REVIEW,
                actor_label=SYSTEM,
                action="checks.completed",
                data={"outcome": str(outcome)},
            )
    return locked.status


def checks_rerun(*, request: AccreditationRequest, actor) -> None:
    require_permission(actor, "accreditation.review_request")
    with transaction.atomic():
        locked = AccreditationRequest.objects.select_for_update().get(pk=request.pk)
        require_decider(actor, locked)
        transition(
            locked, to=require_allowed("recheck", locked), actor=actor, action="checks.rerun"
        )
        outbox.enqueue(TASK, request_id=locked.pk)
    request.status = locked.status


def checks_sweep(*, stuck_after: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Re-queue requests whose checks never started or never finished (Celery beat)."""
    cutoff = timezone.now() - stuck_after
    stuck = AccreditationRequest.objects.filter(
        Q(status=Status.SUBMITTED, submitted_at__lt=cutoff)
        | Q(status=Status.CHECKING, checks_started_at__lt=cutoff)
        | Q(status=Status.CHECKING, checks_started_at__isnull=True, updated_at__lt=cutoff)
    ).values_list("pk", flat=True)
    # A request whose checks are still queued or running is the outbox's to resume, and one
    # whose checks failed for good waits for staff (Background tasks → retry): neither is
    # queued again here, so a check that can never pass does not come back every few minutes.
    open_rows = OutboxTask.objects.filter(task_name=TASK, completed_at__isnull=True)
    waiting = {kwargs.get("request_id") for kwargs in open_rows.values_list("kwargs", flat=True)}
    count = 0
    for pk in stuck:
        if pk in waiting:
            continue
        with transaction.atomic():
            AccreditationRequest.objects.filter(pk=pk).update(checks_started_at=timezone.now())
            outbox.enqueue(TASK, request_id=pk)
        count += 1
    return count
