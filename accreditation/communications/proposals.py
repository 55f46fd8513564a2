"""When staff announce or change a session's time or place, Presspass proposes the announcement:
a draft to the people granted that session, its texts written in each of the event's languages,
for the press office to check and send. One open proposal per session: a second change updates
it. The gate and the badges read the session itself, so they use the new time at once."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accreditation.communications import audience
from accreditation.communications.models import Announcement
from accreditation.workflow import audit
from events.models import Session

WHAT_CHANGES = frozenset({"starts_at", "ends_at", "location"})


def proposal_texts(session: Session, language: str) -> tuple[str, str]:
    """The proposed title and text in ``language``."""
    event = session.event
    with translation.override(language), timezone.override(event.tz):
        name = session.display_title(language)
        when = (
            date_format(timezone.localtime(session.starts_at), "DATETIME_FORMAT")
            if session.starts_at
            else _("a time still to be announced")
        )
        place = session.location or event.display_venue(language)
        title = _("%(session)s: time and place") % {"session": name}
        body = _(
            "%(session)s will take place on %(when)s (%(time_zone)s time), at %(place)s. "
            "Please come early with your badge and your identity document."
        ) % {"session": name, "when": when, "time_zone": event.time_zone, "place": place}
    return title, body


def announcement_propose(*, session: Session, actor=None) -> Announcement | None:
    """Create or update the proposed draft about ``session`` (none for a session closed to
    media, whose people are not media)."""
    if not session.open_to_media:
        return None
    event = session.event
    titles, bodies = {}, {}
    for language in event.languages:
        titles[language], bodies[language] = proposal_texts(session, language)
    with transaction.atomic():
        draft = (
            Announcement.objects.select_for_update()
            .filter(session=session, state=Announcement.State.DRAFT, proposed=True)
            .first()
        )
        if draft is None:
            draft = Announcement(
                event=event,
                session=session,
                audience_session=session,
                proposed=True,
                operational=True,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
        draft.titles, draft.bodies = titles, bodies
        draft.save()
        audit(
            action="announcement.proposed",
            actor=actor,
            data={"announcement": draft.pk, "session": session.pk},
        )
    return draft


def session_changes_saved(request, changes) -> None:
    """After staff saved sessions in the admin (a session's page, or the event's inline; a new
    session is granted to nobody yet): for each ``(session, changed fields)`` whose time or
    place changed, propose the announcement and say so, with a link to the draft."""
    for session, changed in changes:
        if isinstance(session, Session) and WHAT_CHANGES & set(changed):
            draft = announcement_propose(session=session, actor=request.user)
            if draft is not None:
                _tell(request, session, draft)


def _tell(request, session: Session, draft: Announcement) -> None:
    count = audience.recipients(draft).count()
    text = ngettext(
        "The time or place of “%(session)s” changed: an announcement to the %(count)d person "
        "granted it is ready to check and send.",
        "The time or place of “%(session)s” changed: an announcement to the %(count)d people "
        "granted it is ready to check and send.",
        count,
    ) % {"session": session.display_title(), "count": count}
    if request.user.has_perm("communications.view_announcement"):
        url = reverse("admin:communications_announcement_change", args=[draft.pk])
        messages.info(request, format_html('{} <a href="{}">{}</a>', text, url, _("Open it")))
    else:
        messages.info(request, text + " " + _("The press office will find it in Announcements."))
