"""The reviewer's screen: the checks that need a look first and duplicates that lead to the
other request; a journalist's answer marked in the queue; documents recorded when opened (not
per thumbnail) and shown in the request's timeline."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accreditation import review
from accreditation.apply import status_path
from accreditation.models import AuditEntry, CheckResult, Status
from tests.factories import image_bytes, make_request, upload

pytestmark = pytest.mark.django_db


def change_url(req):
    return reverse("admin:accreditation_accreditationrequest_change", args=[req.pk])


QUEUE = reverse("admin:accreditation_accreditationrequest_changelist")


def result(req, code, outcome, value="", kind="identity", message=""):
    return CheckResult.objects.create(
        request=req,
        document_kind=kind,
        code=code,
        outcome=outcome,
        value=value,
        message=message or f"{code} says {outcome}",
    )


class _Section(HTMLParser):
    """The HTML inside the element with ``element_id``, nested elements and all."""

    VOID = {"img", "br", "input", "meta", "link", "hr", "source", "col", "wbr"}

    def __init__(self, element_id: str):
        super().__init__(convert_charrefs=False)
        self.element_id, self.depth, self.start, self.end = element_id, 0, None, None

    def handle_starttag(self, tag, attrs):
        if self.end is not None or tag in self.VOID:
            return
        if self.start is None and dict(attrs).get("id") == self.element_id:
            self.start, self.depth = self._offset(), 1
        elif self.start is not None:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.start is not None and self.end is None and tag not in self.VOID:
            self.depth -= 1
            if self.depth == 0:
                self.end = self._offset()

    def _offset(self) -> int:
        line, column = self.getpos()
        return sum(len(row) for row in self.rawdata.splitlines(True)[: line - 1]) + column


def section(html: str, element_id: str) -> str:
    parser = _Section(element_id)
    parser.feed(html)
    assert parser.start is not None, f"no element with id {element_id}"
    return html[parser.start : parser.end]


# --- The checks ---------------------------------------------------------------------------------


def test_failures_and_warnings_come_first_and_the_passes_are_folded(client, event, reviewer):
    req = make_request(event)
    for n in range(6):
        result(req, f"image.pass{n}", "pass", kind="photo")
    result(req, "photo.sharpness", "warning", "12.5", kind="photo")
    result(req, "pdf.javascript", "fail", "/OpenAction", kind="mission_letter")
    result(req, "identity.expiry", "pass")
    client.force_login(reviewer)
    html = client.get(change_url(req)).content.decode()

    problems = section(html, "check-problems")
    codes = re.findall(r'data-code="([^"]+)"', problems)
    assert codes == ["pdf.javascript", "photo.sharpness"]  # the failure, then the warning
    passes = section(html, "check-passes")
    assert html[: html.index('id="check-passes"')].rstrip().endswith("<details")
    assert "7 checks passed" in passes
    assert len(re.findall(r'data-code="[^"]+"', passes)) == 7
    assert html.index('id="check-problems"') < html.index('id="check-passes"')


def test_a_request_whose_checks_all_passed_says_so_and_still_folds_them(client, event, reviewer):
    req = make_request(event)
    result(req, "identity.expiry", "pass")
    client.force_login(reviewer)
    html = client.get(change_url(req)).content.decode()
    assert 'id="check-problems-none"' in html and 'id="check-problems"' not in html
    assert "1 check passed" in section(html, "check-passes")


@pytest.mark.parametrize("code", ["file.duplicate", "identity.duplicate", "photo.duplicate"])
def test_a_duplicates_reference_is_a_link_to_the_other_request(client, event, reviewer, code):
    first, twin = make_request(event), make_request(event)
    result(twin, code, "warning", first.reference, message=f"The same is in {first.reference}.")
    client.force_login(reviewer)
    html = client.get(change_url(twin)).content.decode()
    link = re.search(r'<a href="([^"]+)" class="pp-duplicate"[^>]*>([^<]+)</a>', html)
    assert link is not None, section(html, "check-problems")
    assert link.groups() == (change_url(first), first.reference)
    assert client.get(link.group(1)).status_code == 200  # the reviewer may open it


def test_a_duplicate_no_longer_kept_is_named_without_a_link(client, event, reviewer):
    twin = make_request(event)
    result(twin, "identity.duplicate", "warning", "GONE-0000")  # purged since
    client.force_login(reviewer)
    html = client.get(change_url(twin)).content.decode()
    assert "GONE-0000" in section(html, "check-problems")
    assert 'class="pp-duplicate"' not in html


def test_the_request_page_costs_the_same_queries_with_many_checks(client, event, reviewer):
    req = make_request(event)
    others = [make_request(event) for _ in range(3)]
    result(req, "identity.duplicate", "warning", others[0].reference)
    client.force_login(reviewer)
    client.get(change_url(req))
    with CaptureQueriesContext(connection) as few:
        client.get(change_url(req))
    for other in others[1:]:
        result(req, "file.duplicate", "warning", other.reference, kind="photo")
    for n in range(30):
        result(req, f"image.pass{n}", "pass", kind="photo")
    with CaptureQueriesContext(connection) as many:
        client.get(change_url(req))
    assert len(many) == len(few)


# --- Approval while vetting is pending --------------------------------------------------------


def test_approve_is_not_offered_while_vetting_is_pending_and_the_page_says_why(
    client, event, reviewer
):
    event.security_vetting_required = True
    event.save()
    req = make_request(event, vetting="pending")
    client.force_login(reviewer)
    html = client.get(change_url(req)).content.decode()
    assert 'id="decide-approve"' not in html  # no button that fails only after the click
    assert "before the security service has cleared it" in section(html, "approval-refused")
    assert 'id="decide-reject"' in html  # the other decisions stay


# --- Answers ------------------------------------------------------------------------------------


def answer(client, req, **data):
    response = client.post(status_path(req), {"action": "answer", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    req.refresh_from_db()


def queue_rows(client, **params) -> dict[str, str]:
    """The queue's rows as HTML, by reference."""
    html = client.get(QUEUE, params).content.decode()
    if 'id="result_list"' not in html:
        assert "0 results" in html or "0 accreditation requests" in html
        return {}
    rows = re.findall(r"<tr[^>]*>.*?</tr>", section(html, "result_list"), flags=re.S)
    found = {}
    for row in rows:
        reference = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", row)
        if reference:
            found[reference.group(0)] = row
    return found


def test_an_answered_question_is_marked_in_the_queue_apart_from_untouched_requests(
    client, event, reviewer
):
    untouched = make_request(event)
    asked = make_request(event)
    waiting = make_request(event)
    review.request_ask_info(request=asked, actor=reviewer, message="Which outlet, exactly?")
    review.request_ask_info(request=waiting, actor=reviewer, message="A sharper photo, please.")
    answer(client, asked, body="Le Matin, Casablanca.")
    assert asked.status == Status.IN_REVIEW == untouched.status

    client.force_login(reviewer)
    rows = queue_rows(client)
    assert 'class="pp-answered"' in rows[asked.reference]
    assert "pp-answered" not in rows[untouched.reference]
    assert "pp-answered" not in rows[waiting.reference]

    assert set(queue_rows(client, answered="yes")) == {asked.reference}
    assert set(queue_rows(client, answered="waiting")) == {waiting.reference}
    counts = client.get(QUEUE).content.decode()
    assert re.search(r'data-status="answered"[^>]*>[^<]*<strong>1</strong>', counts)
    page = client.get(change_url(asked)).content.decode()
    assert 'id="request-answered"' in page
    assert "Le Matin, Casablanca." in section(page, "timeline")


def test_an_answer_with_documents_only_is_marked_too(client, event, reviewer):
    req = make_request(event)
    review.request_ask_info(request=req, actor=reviewer, message="A sharper photo, please.")
    answer(client, req, photo=upload("sharper.jpg", image_bytes(), "image/jpeg"))
    assert req.status == Status.CHECKING  # the new photo goes through the checks first
    client.force_login(reviewer)
    assert set(queue_rows(client, answered="yes")) == {req.reference}


def test_asking_again_or_deciding_ends_the_answered_mark(client, event, reviewer):
    again, decided = make_request(event), make_request(event)
    for req in (again, decided):
        review.request_ask_info(request=req, actor=reviewer, message="Which outlet?")
        answer(client, req, body="Le Matin.")
    client.force_login(reviewer)
    assert set(queue_rows(client, answered="yes")) == {again.reference, decided.reference}

    review.request_ask_info(request=again, actor=reviewer, message="And your editor's name?")
    review.request_approve(request=decided, actor=reviewer)
    assert set(queue_rows(client, answered="yes")) == set()
    answer(client, again, body="Nadia Benali.")
    assert set(queue_rows(client, answered="yes")) == {again.reference}


def test_the_queue_costs_the_same_queries_with_answered_requests(client, event, reviewer):
    client.force_login(reviewer)
    make_request(event, documents=())
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUE)
    for _ in range(5):
        req = make_request(event, documents=())
        review.request_ask_info(request=req, actor=reviewer, message="?")
        answer(client, req, body="!")
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as many:
        client.get(QUEUE, {"answered": "yes"})
    assert len(many) == len(few)


# --- Documents ----------------------------------------------------------------------------------


def views(req):
    return AuditEntry.objects.filter(request=req, action="document.viewed")


def test_thumbnails_shown_on_the_request_page_are_not_document_openings(client, event, reviewer):
    req = make_request(event)
    client.force_login(reviewer)
    for _ in range(10):
        html = client.get(change_url(req)).content.decode()
        thumbnails = re.findall(r'<img src="([^"]+)"', section(html, "documents"))
        assert thumbnails  # the photo and the press card (JPEGs) show as pictures
        for src in thumbnails:
            response = client.get(src)
            assert response.status_code == 200
            assert "no-store" in response["Cache-Control"]
    assert views(req).count() == 0


def test_each_document_opened_is_one_entry_shown_in_the_timeline(client, event, reviewer):
    req = make_request(event)
    identity = req.documents.get(kind="identity")
    client.force_login(reviewer)
    html = client.get(change_url(req)).content.decode()
    opens = re.findall(r'<a href="([^"]+)"[^>]*class="pp-document-open"', html)
    assert len(opens) == 3  # identity, press card, photo
    identity_url = reverse("admin:accreditation_document_file", args=[identity.pk, "original"])
    assert identity_url in opens
    assert client.get(identity_url).status_code == 200

    (entry,) = views(req)
    assert entry.actor == reviewer and entry.data["document"] == identity.pk
    timeline = section(client.get(change_url(req)).content.decode(), "timeline")
    assert "document.viewed" in timeline
    assert "Identity document, the file as sent" in timeline and "reviewer" in timeline
    assert views(req).count() == 1  # reading the page again opened nothing


def test_a_thumbnail_is_refused_to_a_role_that_may_not_see_the_document(client, event, badge_desk):
    req = make_request(event)
    card = req.documents.get(kind="press_card")
    client.force_login(badge_desk)
    url = reverse("admin:accreditation_document_file", args=[card.pk, "thumbnail"])
    assert client.get(url).status_code == 403
    assert AuditEntry.objects.filter(action="document.view_refused", actor=badge_desk).exists()


def test_a_pdf_without_a_preview_has_no_thumbnail(client, event, reviewer):
    req = make_request(event)
    identity = req.documents.get(kind="identity")  # a PDF; the checks made no page yet
    client.force_login(reviewer)
    url = reverse("admin:accreditation_document_file", args=[identity.pk, "thumbnail"])
    assert client.get(url).status_code == 404


def test_a_reviewer_reads_the_check_results_in_their_own_language(client, event, reviewer):
    """Stored in every language when the checks ran; the page shows the reader's (it showed the
    event's first language, French here, to everyone)."""
    from django.utils.translation import gettext_lazy

    from accreditation.checks.pipeline import in_every_language
    from accreditation.checks.results import interpolate
    from accreditation.models import CheckResult

    req = make_request(event)
    message = interpolate(
        gettext_lazy("The same identity document is in request %(ref)s."), ref="ABCD-2345"
    )
    CheckResult.objects.create(
        request=req,
        code="identity.duplicate",
        outcome="warning",
        value="ABCD-2345",
        message=str(message),
        messages=in_every_language(message),
    )
    client.force_login(reviewer)
    english = client.get(change_url(req), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The same identity document is in request ABCD-2345." in english
