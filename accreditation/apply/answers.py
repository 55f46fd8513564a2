"""What a journalist does from the status page: answer a question (with new documents), withdraw."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accreditation.apply.pending import pending_uploads
from accreditation.apply.submission import RUN_CHECKS, attach_pending
from accreditation.errors import ServiceError
from accreditation.interviews.services import interviews_cancel_for_request
from accreditation.models import (
    AccreditationRequest,
    Message,
    Status,
)
from accreditation.notify import outbox
from accreditation.outlets.quota import outlet_quota_release
from accreditation.review.capacity import places_release
from accreditation.workflow import APPLICANT, require_allowed, transition


def request_answer(
    *, request: AccreditationRequest, text: str, draft_key: str, ip_address: str | None = None
) -> None:
    """The journalist answers a question from staff, with text and/or replacement documents."""
    if request.status != Status.INFO_REQUESTED:
        raise ServiceError("not_waiting", _("Staff have not asked you for anything at the moment."))
    pending = pending_uploads(draft_key)
    if not text.strip() and not pending:
        raise ServiceError("empty_answer", _("Write an answer or attach a document."), field="body")
    now = timezone.now()
    with transaction.atomic():
        locked = AccreditationRequest.objects.select_for_update().get(pk=request.pk)
        if text.strip():
            Message.objects.create(
                request=locked, author=Message.Author.APPLICANT, body=text.strip()
            )
        attach_pending(locked, pending, now=now)
        # New documents are checked; so is a request whose checks never finished (staff asked
        # their question while the checks were still queued, which stopped them).
        # Replacement documents go through the automated checks again.
        recheck = bool(pending) or not locked.check_outcome
        to = Status.CHECKING if recheck else Status.IN_REVIEW
        transition(
            locked,
            to=to,
            actor_label=APPLICANT,
            action="request.answered",
            data={"documents": sorted(pending)},
            ip_address=ip_address,
        )
        if to == Status.CHECKING:
            outbox.enqueue(RUN_CHECKS, request_id=locked.pk)
        asked = (
            Message.objects.filter(
                request=locked, author=Message.Author.STAFF, staff_user__isnull=False
            )
            .order_by("-created_at", "-pk")
            .values_list("staff_user_id", flat=True)
            .first()
        )
        if asked:  # the reviewer who asked hears of the answer (not a question the checks sent)
            outbox.enqueue("accreditation.send_answer_notice", request_id=locked.pk, user_id=asked)
    request.status = locked.status


def request_withdraw(*, request: AccreditationRequest, ip_address: str | None = None) -> None:
    with transaction.atomic():
        transition(
            request,
            to=require_allowed("withdraw", request),
            actor_label=APPLICANT,
            ip_address=ip_address,
        )
        places_release(request)  # a place this request held goes to the next in line
        outlet_quota_release(request=request)
        interviews_cancel_for_request(request=request)
