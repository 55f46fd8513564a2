"""A desk agent at the venue, on a desktop in French: finds a journalist by her accented name
typed without its accents, checks her identity document against the page, hands the badge
over, and signs out of the shared desk computer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.checks.pipeline import checks_run
from accreditation.models import AuditEntry, Badge, Document, Status
from accreditation.privacy.storage import private_storage, random_name
from tests.factories import CASABLANCA, make_request, make_user, portrait_bytes

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery"
FRENCH_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()


@pytest.fixture
def desktop_in_french(browser, live_server):
    """A desktop-sized page whose browser asks for French, with its own cookies."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def csp_violations(desktop_in_french):
    violations: list[str] = []
    desktop_in_french.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def desk_agent(event):
    """The desk persona, committed for the live server (roles put back after a flush)."""
    from accreditation.roles import sync_roles

    sync_roles()
    return make_user("desk", "Badge desk", first_name="Nadia", last_name="Benali")


@pytest.fixture
def printed_badge(event, desk_agent) -> Badge:
    """Hélène García's badge, approved and printed: waiting for her at the desk. Her photo is
    a real face and the checks ran on it, as after a submission: they make the badge's crop
    that the desk shows."""
    reviewer = make_user("reviewer", "Reviewer")
    req = make_request(
        event,
        status="submitted",
        given_names="Hélène",
        family_names="García",
        date_of_birth=dt.date(1988, 4, 12),
    )
    portrait = portrait_bytes()
    Document.objects.filter(request=req, kind=Document.Kind.PHOTO).update(
        file=private_storage().save(random_name("documents", "jpg"), ContentFile(portrait)),
        size=len(portrait),
        sha256="",
    )
    checks_run(request_id=req.pk)
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW, req.status
    review.request_approve(request=req, actor=reviewer)
    badge = issuing.badge_issue(request_id=req.pk)  # done already if no broker: idempotent
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=desk_agent).pk
    )
    badge.refresh_from_db()
    badge.request.refresh_from_db()
    assert badge.request.status == Status.PRINTED
    return badge


def in_french(moment: dt.datetime) -> str:
    """A date and time as French readers write them: 24 novembre 2025 à 09:05."""
    local = moment.astimezone(CASABLANCA)
    return f"{local.day} {FRENCH_MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"


def test_a_desk_agent_finds_a_name_typed_without_accents_and_hands_the_badge_over_in_french(
    desktop_in_french, live_server, printed_badge, csp_violations
):
    page = desktop_in_french

    # The desk asks for the agent's sign-in, then comes back to the look-up.
    page.goto("/desk/handover/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.locator('input[name="username"]').fill("desk")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('#login-form [type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/desk/handover/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#desk-signed-in")).to_have_text("Compte connecté : Nadia Benali")

    # "garcia", as a keyboard without accents types it, finds Hélène GARCÍA.
    page.get_by_label("Référence, nom ou adresse e-mail").fill("garcia")
    page.get_by_role("button", name="Rechercher").click()
    page.locator("#results").get_by_role("link", name="Hélène GARCÍA").click()
    expect(page).to_have_url(re.compile(rf"/desk/badges/{printed_badge.pk}/$"))

    # What the agent compares with the identity document, the date in French.
    expect(page.locator("h1")).to_have_text("GARCÍA Hélène")
    expect(page.locator("#date-of-birth")).to_have_text("12 avril 1988")
    photo = page.locator("#holder-photo")
    expect(photo).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )

    page.get_by_label(re.compile("^J'ai vérifié la pièce d'identité")).check()
    page.get_by_role("button", name="Remettre le badge").click()

    expect(page.get_by_role("status").filter(has_text="Badge remis.")).to_be_visible()
    expect(page.locator("#badge-status")).to_have_text("Badge remis")
    printed_badge.refresh_from_db()
    assert printed_badge.request.status == Status.COLLECTED
    assert printed_badge.collected_by.username == "desk"
    expect(page.locator("#handed-over")).to_have_text(
        f"Remis le {in_french(printed_badge.collected_at)} par Nadia Benali."
    )
    assert AuditEntry.objects.filter(
        request=printed_badge.request, action__contains="collected"
    ).exists()

    # The shared desk computer: signing out ends the session, the desk asks for a sign-in.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/desk/$"))
    page.goto("/desk/handover/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    assert csp_violations == []
