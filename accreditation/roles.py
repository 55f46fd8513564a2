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
    ],
    # The badge desk sees the photo to match the face, never the documents.
    BADGE_DESK: ["accreditation.see_photo", "accreditation.print_badge"],
    GATE_AGENT: ["accreditation.scan_badge"],
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


def may_scan(user) -> bool:
    """Whether a user may use the gates (scan badges): active, with ``scan_badge``."""
    return user.is_active and user.has_perm("accreditation.scan_badge")


def require_permission(actor, permission: str) -> None:
    """The one refusal of an action a role does not allow: ServiceError ``forbidden``."""
    if not actor.has_perm(permission):
        security_event(
            "permission.refused", actor=getattr(actor, "pk", None), permission=permission
        )
        raise ServiceError("forbidden", _("Your role does not allow this action."))
