"""Staff roles as Django groups. A migration creates them; `sync_roles()` keeps them current."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from accreditation.errors import ServiceError
from config.logs import security_event

REVIEWER = "Reviewer"
SUPERVISOR = "Supervisor"
BADGE_DESK = "Badge desk"
GATE_AGENT = "Gate agent"
PRESS_OFFICE = "Press office"

_REVIEWER = [
    "accreditation.view_accreditationrequest",
    "accreditation.review_request",
    "accreditation.open_documents",
    "accreditation.see_photo",
    "accreditation.view_rejectionreason",
    "accreditation.view_lateadmission",
    "accreditation.add_lateadmission",
    "events.view_event",
    "events.view_session",
]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    REVIEWER: _REVIEWER,
    SUPERVISOR: _REVIEWER
    + [
        "accreditation.supervise_request",
        "accreditation.view_auditentry",
        "accreditation.add_rejectionreason",
        "accreditation.change_rejectionreason",
        "events.change_event",
        "events.add_session",
        "events.change_session",
        "accreditation.print_badge",
        "accreditation.scan_badge",
        # The gates: which checkpoint serves which session, and the scan log (read-only) to
        # follow up what the gates flagged (a badge admitted at two gates, an account that
        # may no longer scan).
        "events.view_checkpoint",
        "events.add_checkpoint",
        "events.change_checkpoint",
        "accreditation.view_scan",
        # A lost phone: the supervisor resets the agent's second factor (never their own).
        "accreditation.reset_second_factor",
        "auth.view_user",
        # Background work that failed for good (an e-mail, a check, a print batch): seen, retried.
        "accreditation.view_outboxtask",
        "accreditation.retry_outboxtask",
        # Data protection: the journalists' erasure requests (carried out or refused), the
        # tombstones of erased requests, the statistics kept of purged events.
        "privacy.view_erasurerequest",
        "privacy.decide_erasure",
        "privacy.view_tombstone",
        "privacy.view_eventstatistics",
    ],
    # The badge desk sees the photo to match the face, never the documents.
    BADGE_DESK: ["accreditation.see_photo", "accreditation.print_badge"],
    GATE_AGENT: ["accreditation.scan_badge"],
    # Announcements and interviews, never identity documents (issue 19). The permissions are
    # those of accreditation.communications and accreditation.interviews (their Meta); each
    # app's migration calls migrate_roles once its models exist.
    PRESS_OFFICE: [
        "events.view_event",
        "events.view_session",
        "communications.view_announcement",
        "communications.send_announcement",
        "interviews.view_interviewrequest",
        "interviews.manage_interviews",
    ],
}


def sync_roles(apps=None) -> None:
    """Create the groups and give them exactly their permissions (usable from a migration)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for name in names:
            app_label, codename = name.split(".")
            # A permission of a model that a later migration creates is added by that
            # migration's own sync (tests/accreditation/test_roles.py checks none is missing).
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)


def migrate_roles(apps, schema_editor) -> None:
    """For data migrations: make sure permissions exist (normally created after all
    migrations), then give the groups exactly their permissions."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps)


def signed_in(user) -> bool:
    """The one rule for a staff session that may act: an active account, signed in, with its
    second factor verified where one is required (PRESSPASS_REQUIRE_2FA)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return not settings.PRESSPASS_REQUIRE_2FA or user.is_verified()


def uses_staff_pages(user) -> bool:
    """Whether /admin/ is for this user: every role but the gate agent's, whose one permission
    is to scan (they sign in there and work at /gate/; SECURITY.md row 18)."""
    return user.is_superuser or bool(user.get_all_permissions() - {"accreditation.scan_badge"})


def may_scan(user) -> bool:
    """Whether a user may use the gates (scan badges): active, with ``scan_badge``."""
    return user.is_active and user.has_perm("accreditation.scan_badge")


def event_ids_for(user) -> set[int] | None:
    """The events a member of staff works on: those they are assigned to (Event.staff), or
    None for every event (superusers, and staff assigned to no event)."""
    if user.is_superuser:
        return None
    if not hasattr(user, "_presspass_event_ids"):  # read once per request (request.user)
        user._presspass_event_ids = set(user.assigned_events.values_list("pk", flat=True))
    return user._presspass_event_ids or None


def scoped(queryset, user, event_path: str = "event"):
    """``queryset`` limited to the events ``user`` works on (the one filter every staff list,
    document and export applies)."""
    ids = event_ids_for(user)
    return queryset if ids is None else queryset.filter(**{f"{event_path}__in": ids})


def may_work_on(user, event_id: int) -> bool:
    ids = event_ids_for(user)
    return ids is None or event_id in ids


def require_decider(actor, request) -> None:
    """Separation of duties for a decision on a request: the actor works on its event, and it
    is not a request made with the actor's own e-mail address."""
    require_event(actor, request.event_id)
    require_not_own(actor, request.email)


def require_event(actor, event_id: int) -> None:
    if not may_work_on(actor, event_id):
        security_event("permission.refused", actor=actor.pk, reason="not_assigned")
        raise ServiceError("not_assigned", _("This belongs to an event you are not assigned to."))


def require_not_own(actor, email: str) -> None:
    """No one acts on their own behalf: not on a request, nor a late admission, made with
    their own e-mail address."""
    from accreditation.models.requests import normalise_email

    if actor.email and normalise_email(actor.email) == normalise_email(email):
        security_event("permission.refused", actor=actor.pk, reason="own_request")
        raise ServiceError(
            "own_request",
            _("This is for your own e-mail address: another member of staff must do it."),
        )


def require_permission(actor, permission: str) -> None:
    """The one refusal of an action a role does not allow: ServiceError ``forbidden``."""
    if not actor.has_perm(permission):
        security_event(
            "permission.refused", actor=getattr(actor, "pk", None), permission=permission
        )
        raise ServiceError("forbidden", _("Your role does not allow this action."))
