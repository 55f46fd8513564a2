"""Printing: batches of badges rendered as one PDF by a worker, then marked printed; the PDFs
are deleted once printed."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile

from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accreditation.badges.render import BadgeData, render_badges
from accreditation.errors import ServiceError
from accreditation.models import AccreditationRequest, Badge, Document, PrintBatch, Status
from accreditation.notify import outbox
from accreditation.privacy.storage import private_storage, random_name
from accreditation.workflow import audit, transition

log = logging.getLogger(__name__)
RENDER_TASK = "accreditation.render_print_batch"

LAYOUTS = {"cr80": "cr80", "a6": "a6", "a4_cr80": "a4_cr80"}


def batch_create(
    *, event, badges, actor, layout: str | None = None, reprint_reason: str = ""
) -> PrintBatch:
    if not actor.has_perm("accreditation.print_badge"):
        raise ServiceError("forbidden", _("Your role does not allow this action."))
    layout = layout or event.badge_format
    if layout not in LAYOUTS:
        raise ServiceError("layout", _("Unknown badge layout."))
    badges = list(badges)
    if not badges:
        raise ServiceError("empty", _("Select at least one badge."))
    reprint = any(b.print_count for b in badges)
    if reprint and not reprint_reason.strip():
        raise ServiceError(
            "reason_required", _("A reprint needs a reason."), field="reprint_reason"
        )
    with transaction.atomic():
        # Locked as the handover locks them: a copy with the same code after handover would
        # be a second valid badge for one person.
        if (
            Badge.objects.select_for_update()
            .filter(pk__in=[b.pk for b in badges], collected_at__isnull=False)
            .exists()
        ):
            raise ServiceError(
                "handed_over",
                _(
                    "This badge was handed over: a copy with the same code would be a second "
                    "valid badge. Issue a new badge instead (the old one stops working)."
                ),
            )
        batch = PrintBatch.objects.create(
            event=event,
            layout=layout,
            created_by=actor,
            total=len(badges),
            reprint_reason=reprint_reason.strip(),
        )
        batch.badges.set(badges)
        audit(
            action="badge.batch_queued",
            actor=actor,
            reason=reprint_reason,
            data={"batch": batch.pk, "badges": [b.pk for b in badges], "reprint": reprint},
        )
        outbox.enqueue(RENDER_TASK, batch_id=batch.pk)
    return batch


def in_languages(languages: list[str], text) -> str:
    """``text(language)`` in each of the badge's languages, joined (once where they agree):
    "Journaliste / صحفي"."""
    texts: list[str] = []
    for language in languages:
        with translation.override(language):
            value = str(text(language))
        if value and value not in texts:
            texts.append(value)
    return " / ".join(texts)


def _badge_data(badge: Badge, languages: list[str]) -> BadgeData:
    req = badge.request
    event = badge.event
    photo = Document.objects.current_photo().filter(request=req).first()
    storage = private_storage()
    name = (photo.derived or {}).get("badge") or photo.file.name
    with storage.open(name, "rb") as handle:
        photo_jpeg = handle.read()
    return BadgeData(
        event_name=in_languages(languages, event.display_name),
        event_colour=event.colour,
        accent_colour="#FFFFFF",
        photo_jpeg=photo_jpeg,
        given_names=req.given_names,
        family_names=req.family_names,
        name_native=req.name_native,
        outlet=req.outlet_name,
        country=in_languages(languages, lambda _l: req.outlet_country.name),
        role=in_languages(languages, lambda _l: req.get_role_display()),
        sessions=[
            (in_languages(languages, s.display_title), s.colour) for s in badge.sessions.all()
        ],
        badge_number=f"{badge.number}" + (f" · v{badge.version}" if badge.version > 1 else ""),
        qr_text=badge.qr_text,
        footer=in_languages(languages, lambda _l: _("MEDIA")),
    )


def batch_render(*, batch_id: int) -> PrintBatch | None:
    """Render a batch as one PDF (streamed page by page), then mark its badges printed.
    Idempotent: a finished batch is left alone; a crashed one is rendered again from scratch."""
    claimed = PrintBatch.objects.filter(
        pk=batch_id, state__in=[PrintBatch.State.QUEUED, PrintBatch.State.RENDERING]
    ).update(state=PrintBatch.State.RENDERING, done=0)
    if not claimed:
        return None
    batch = PrintBatch.objects.select_related("event").get(pk=batch_id)
    language = batch.event.staff_language  # the desk's own messages
    languages = batch.event.badge_label_languages  # the words printed on the badges
    # A badge handed over since the batch was queued is not copied (one valid badge each).
    badges = batch.badges.filter(collected_at__isnull=True)
    if not batch.reprint_reason:
        # Nor one another batch printed since this one was queued (this one was held up, and
        # the desk printed them again meanwhile): a reprint needs its own batch and reason.
        badges = badges.exclude(printed_at__gt=batch.created_at)
    badges = (
        badges.select_related("request", "event")
        .prefetch_related("sessions")
        .order_by("request__family_names", "pk")
    )

    if not badges.exists():
        with translation.override(language):
            error = _(
                "Nothing to print: every badge in it was handed over or printed by another "
                "batch after it was queued."
            )
        PrintBatch.objects.filter(pk=batch_id).update(state=PrintBatch.State.FAILED, error=error)
        return PrintBatch.objects.get(pk=batch_id)
    rendered: list[int] = []

    def data():
        for n, badge in enumerate(badges.iterator(chunk_size=200), start=1):
            rendered.append(badge.pk)
            yield _badge_data(badge, languages)
            if n % 25 == 0:
                PrintBatch.objects.filter(pk=batch_id).update(done=n)

    try:
        with tempfile.TemporaryFile() as spool:
            render_badges(data(), spool, layout=batch.layout)
            spool.seek(0)
            name = private_storage().save(random_name("batches", "pdf"), File(spool))
    except OSError as exc:  # the disk, the network: the task retries, the batch stays open
        PrintBatch.objects.filter(pk=batch_id).update(error=str(exc)[:2000])
        raise
    except Exception as exc:
        PrintBatch.objects.filter(pk=batch_id).update(
            state=PrintBatch.State.FAILED, error=str(exc)[:2000]
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        PrintBatch.objects.filter(pk=batch_id).update(
            state=PrintBatch.State.DONE, done=batch.total, file=name
        )
        ids = rendered
        Badge.objects.filter(pk__in=ids).update(printed_at=now, print_count=F("print_count") + 1)
        for req in AccreditationRequest.objects.select_for_update().filter(
            badge__pk__in=ids, status=Status.BADGE_ISSUED
        ):
            transition(
                req,
                to=Status.PRINTED,
                actor=batch.created_by,
                data={"batch": batch_id},
                reason=batch.reprint_reason,
            )
    return PrintBatch.objects.get(pk=batch_id)


def batch_purge(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Badge PDFs are copies of badges: delete them once printed (Celery beat)."""
    count = 0
    for batch in PrintBatch.objects.filter(created_at__lt=timezone.now() - older_than).exclude(
        file=""
    ):
        private_storage().delete(batch.file.name)
        PrintBatch.objects.filter(pk=batch.pk).update(file="")
        count += 1
    return count
