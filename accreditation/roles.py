"""Staff roles as Django groups. A migration creates them; `sync_roles()` keeps them current."""

from __future__ import annotations

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
    ],
    # The badge desk sees the photo to match the face, never the documents.
    BADGE_DESK: ["accreditation.see_photo"],
    GATE_AGENT: [],
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
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(perms)
