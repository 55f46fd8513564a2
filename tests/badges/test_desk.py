"""The badge desk's pages: print queue → batch PDF → handover with the photo."""

import datetime as dt
import io
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from accreditation import review
from accreditation.badges import issuing, printing
from accreditation.models import AccreditationRequest, AuditEntry, Badge, PrintBatch, Status
from tests.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(event, reviewer):
    reqs = []
    for country in ("MA", "FR"):
        req = make_request(event, outlet_country=country)
        review.request_approve(request=req, actor=reviewer)
        issuing.badge_issue(request_id=req.pk)
        reqs.append(req)
    return reqs


def test_the_desk_prints_a_filtered_batch_and_hands_a_badge_over(
    client, event, issued, badge_desk, django_capture_on_commit_callbacks
):
    client.force_login(badge_desk)
    queue = client.get(reverse("desk:queue") + "?country=FR")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert issued[1].full_name in html and issued[0].full_name not in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:queue") + "?country=FR", {"event": event.pk, "all": "1", "layout": "cr80"}
        )
    batch = PrintBatch.objects.get()
    assert response["Location"] == reverse("desk:batch", args=[batch.pk])
    assert batch.state == "done" and batch.total == 1
    pdf = client.get(reverse("desk:batch_file", args=[batch.pk]))
    assert pdf["Content-Type"] == "application/pdf" and "no-store" in pdf["Cache-Control"]
    assert len(PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages) == 1
    assert AuditEntry.objects.filter(action="badge.batch_downloaded").exists()

    badge = Badge.objects.get(request=issued[1])
    found = client.get(reverse("desk:handover") + f"?q={issued[1].reference}")
    assert reverse("desk:badge", args=[badge.pk]) in found.content.decode()
    page = client.get(reverse("desk:badge", args=[badge.pk])).content.decode()
    assert 'id="holder-photo"' in page and 'id="handover-form"' in page
    refused = client.post(
        reverse("desk:badge", args=[badge.pk]), {"action": "handover"}, follow=True
    )
    assert "Check the holder" in refused.content.decode()
    client.post(
        reverse("desk:badge", args=[badge.pk]), {"action": "handover", "identity_checked": "1"}
    )
    assert AccreditationRequest.objects.get(pk=issued[1].pk).status == Status.COLLECTED


def test_a_lost_badge_is_reissued_and_reprinted_from_the_desk(
    client, event, issued, badge_desk, django_capture_on_commit_callbacks
):
    client.force_login(badge_desk)
    badge = Badge.objects.get(request=issued[0])
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=badge_desk).pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("desk:badge", args=[badge.pk]),
            {"action": "reissue", "reason": "Lost", "confirmed": "1"},
        )
    badge.refresh_from_db()
    assert badge.version == 2 and badge.print_count == 2
    assert PrintBatch.objects.filter(reprint_reason="Lost").exists()


def test_other_roles_cannot_use_the_desk(client, reviewer, gate_agent):
    for user in (reviewer, gate_agent):
        client.force_login(user)
        assert client.get(reverse("desk:queue")).status_code == 403


# --- Finding people, dates in the agent's language, who is signed in, labelled controls ------


def issued_to(event, reviewer, **names) -> Badge:
    """A request with these names, approved, with its badge issued (not printed yet)."""
    req = make_request(event, **names)
    review.request_approve(request=req, actor=reviewer)
    issuing.badge_issue(request_id=req.pk)
    return Badge.objects.select_related("request").get(request=req)


def printed_for(event, reviewer, badge_desk, **names) -> Badge:
    """The same, printed: ready to hand over at the desk."""
    badge = issued_to(event, reviewer, **names)
    printing.batch_render(
        batch_id=printing.batch_create(event=event, badges=[badge], actor=badge_desk).pk
    )
    return Badge.objects.select_related("request").get(pk=badge.pk)


def found_by(client, typed: str) -> str:
    return client.get(reverse("desk:handover"), {"q": typed}).content.decode()


def link_to(badge: Badge) -> str:
    return f'href="{reverse("desk:badge", args=[badge.pk])}"'


@pytest.fixture
def desk_agent(badge_desk):
    badge_desk.first_name, badge_desk.last_name = "Nadia", "Benali"
    badge_desk.save(update_fields=["first_name", "last_name"])
    return badge_desk


@pytest.mark.parametrize(
    ("names", "typed"),
    [
        ({"given_names": "José", "family_names": "García"}, "garcia"),
        ({"given_names": "José", "family_names": "García"}, "GARCIA"),
        ({"given_names": "Seán", "family_names": "O'Connor"}, "oconnor"),
        ({"given_names": "Claire", "family_names": "Dubois"}, "Claire Dubois"),
        ({"given_names": "Claire", "family_names": "Dubois"}, "dubois claire"),
        ({"given_names": "José", "family_names": "Ramos"}, "Jose\u0301"),
        (
            {"given_names": "Mohamed", "family_names": "Alami", "name_native": "مُحَمَّد العَلَمي"},
            "محمد العلمي",
        ),
        (
            {"given_names": "Ahmed", "family_names": "Idrissi", "name_native": "أحمد الإدريسي"},
            "احمد الادريسي",
        ),
        (
            {"given_names": "Youssef", "family_names": "Bennani", "name_native": "يوسف بناني"},
            "يُوسُف بَنّاني",
        ),
    ],
    ids=[
        "accent-less",
        "upper-case",
        "apostrophe-less",
        "full-name",
        "family-name-first",
        "typed-decomposed",
        "arabic-without-short-vowels",
        "arabic-alef-without-hamza",
        "arabic-typed-with-short-vowels",
    ],
)
def test_the_handover_look_up_finds_a_name_however_it_is_typed(
    client, event, reviewer, badge_desk, names, typed
):
    wanted = issued_to(event, reviewer, **names)
    someone_else = issued_to(event, reviewer, given_names="Ana", family_names="Zapata")
    client.force_login(badge_desk)

    html = found_by(client, typed)

    assert link_to(wanted) in html
    assert link_to(someone_else) not in html


@pytest.mark.parametrize(
    "typed",
    [
        lambda ref: ref.replace("-", ""),
        lambda ref: ref.replace("-", "").lower(),
        lambda ref: ref.replace("-", " "),
        lambda ref: ref.lower(),
    ],
    ids=["without-its-dash", "lower-case-without-its-dash", "with-a-space", "lower-case"],
)
def test_the_handover_look_up_finds_a_reference_typed_without_its_dash_or_in_lower_case(
    client, event, reviewer, badge_desk, typed
):
    wanted, someone_else = issued_to(event, reviewer), issued_to(event, reviewer)
    client.force_login(badge_desk)

    html = found_by(client, typed(wanted.request.reference))

    assert link_to(wanted) in html
    assert link_to(someone_else) not in html


def test_the_handover_look_up_matches_an_address_exactly_and_nobody_by_punctuation_alone(
    client, event, reviewer, badge_desk
):
    oconnor = issued_to(event, reviewer, given_names="Seán", family_names="O'Connor")
    client.force_login(badge_desk)

    assert link_to(oconnor) in found_by(client, oconnor.request.email.upper())
    assert link_to(oconnor) not in found_by(client, "@example.com")
    for typed in ("'", "-", "  "):
        assert link_to(oconnor) not in found_by(client, typed)


def test_the_print_queue_filters_by_surname_initial_whatever_its_accent_or_case(
    client, event, reviewer, badge_desk
):
    issued_to(event, reviewer, given_names="Luc", family_names="Étienne")
    issued_to(event, reviewer, given_names="Eva", family_names="Zapata")
    client.force_login(badge_desk)

    for typed in ("e", "E", "é", "É"):
        html = client.get(reverse("desk:queue"), {"initial": typed}).content.decode()
        assert "Luc ÉTIENNE" in html, typed
        assert "ZAPATA" not in html, typed  # her given name starts with E, not her surname


@pytest.mark.parametrize(
    ("accept_language", "born"),
    [
        ("en-GB,en;q=0.9", "12 April 1988"),
        ("fr-FR,fr;q=0.9", "12 avril 1988"),
        ("es-ES,es;q=0.9", "12 de abril de 1988"),
        ("ar-MA,ar;q=0.9", "12 إبريل، 1988"),
    ],
)
def test_the_badge_page_writes_the_date_of_birth_in_the_agents_language_with_the_month_named(
    client, event, reviewer, badge_desk, accept_language, born
):
    """The agent compares it with the identity document: 04/12/1988 is 4 December to a
    British agent and 12 April to an American one, a spelled-out month is neither."""
    badge = issued_to(event, reviewer, date_of_birth=dt.date(1988, 4, 12))
    client.force_login(badge_desk)

    page = client.get(reverse("desk:badge", args=[badge.pk]), HTTP_ACCEPT_LANGUAGE=accept_language)
    html = page.content.decode()

    assert born in html
    assert "04/12/1988" not in html and "12/04/1988" not in html


def test_a_handed_over_badge_says_when_and_by_whom_in_the_agents_language(
    client, event, reviewer, desk_agent
):
    badge = printed_for(event, reviewer, desk_agent)
    client.force_login(desk_agent)
    with time_machine.travel(dt.datetime(2025, 11, 24, 8, 5, tzinfo=dt.UTC), tick=False):
        client.post(
            reverse("desk:badge", args=[badge.pk]), {"action": "handover", "identity_checked": "1"}
        )

    html = client.get(reverse("desk:badge", args=[badge.pk]), HTTP_ACCEPT_LANGUAGE="fr").content
    # 08:05 UTC is 09:05 in Marrakech (the event's time zone) on 24 November 2025.
    assert "Remis le 24 novembre 2025 à 09:05 par Nadia Benali." in html.decode()


def desk_pages(event, reviewer, badge_desk) -> dict[str, str]:
    badge = printed_for(event, reviewer, badge_desk)
    batch = PrintBatch.objects.get(badges=badge)
    return {
        "print queue": reverse("desk:queue"),
        "handover": reverse("desk:handover") + "?q=idrissi",
        "batch": reverse("desk:batch", args=[batch.pk]),
        "badge": reverse("desk:badge", args=[badge.pk]),
    }


class PageControls(HTMLParser):
    """A page's forms (action, method, fields), its controls and what labels them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict] = {}
        self.controls: list[dict[str, str | None]] = []
        self.label_targets: set[str] = set()
        self._form: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._form = {**attributes, "fields": {}}
            self.forms[attributes.get("id") or str(len(self.forms))] = self._form
        elif tag == "label" and attributes.get("for"):
            self.label_targets.add(attributes["for"])
        elif tag in ("input", "select", "textarea"):
            if self._form is not None and attributes.get("name"):
                self._form["fields"][attributes["name"]] = attributes.get("value") or ""
            if attributes.get("type") not in ("hidden", "submit", "button"):
                self.controls.append(attributes)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None

    def unlabelled(self) -> list[dict[str, str | None]]:
        return [
            control
            for control in self.controls
            if not (
                control.get("aria-label")
                or control.get("aria-labelledby")
                or control.get("id") in self.label_targets
            )
        ]


@pytest.mark.parametrize("page", ["print queue", "handover", "batch", "badge"])
def test_every_desk_page_says_who_is_signed_in_and_signs_out_with_a_post(
    event, reviewer, desk_agent, page
):
    url = desk_pages(event, reviewer, desk_agent)[page]
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk_agent)

    html = client.get(url).content.decode()

    assert "Signed in as Nadia Benali" in html
    sign_out = PageControls(html).forms["desk-sign-out"]
    assert sign_out["method"] == "post" and sign_out["action"] == reverse("admin:logout")
    signed_out = client.post(sign_out["action"], sign_out["fields"])
    assert signed_out.status_code == 302 and signed_out["Location"] == reverse("desk:queue")
    back = client.get(url)
    assert back.status_code == 302 and back["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("page", ["print queue", "handover", "batch", "badge"])
def test_every_form_control_on_the_desk_pages_has_a_label(event, reviewer, badge_desk, page):
    url = desk_pages(event, reviewer, badge_desk)[page]
    client = Client()
    client.force_login(badge_desk)

    controls = PageControls(client.get(url).content.decode())

    assert controls.unlabelled() == []


def test_the_print_queue_names_its_filters_and_each_badge_to_choose_in_french(
    event, reviewer, badge_desk
):
    issued_to(event, reviewer, given_names="Luc", family_names="Étienne")
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.force_login(badge_desk)

    html = client.get(reverse("desk:queue")).content.decode()

    for label in ("Événement", "Pays du média", "Format d’impression"):
        assert f">{label}</label>" in html
    assert 'aria-label="Choisir Luc ÉTIENNE"' in html
