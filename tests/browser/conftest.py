"""Real-browser fixtures: one Debian chromium per test session, a fresh context per test.

Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in
a thread with a running loop unless told it is safe, which it is here (the loop only drives
the browser). The live server runs in its own thread on a transactional database.
"""

from __future__ import annotations

import os
import shutil

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    return (
        os.environ.get("PRESSPASS_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if not executable:
        pytest.skip(
            "browser tests need Debian's chromium (apt-get install chromium fonts-noto-core) "
            "or PRESSPASS_CHROMIUM pointing at a chromium binary; none was found"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install playwright)")
    from playwright.sync_api import expect

    # The same patience for assertions as for actions (the context's default timeout): on a
    # loaded CI machine a service worker answering from its cache took more than the 5 s
    # expect() waits by default (the kept gate page, once in a full run).
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def phone_context(browser, live_server, **options):
    """A phone-sized browser context (its own cookies and storage unless ``storage_state``)."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
        **options,
    )
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page in a context of its own (no cookies shared between tests)."""
    context = phone_context(browser, live_server)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def event(live_server, transactional_db):
    """An event open for accreditation, committed so that the live server sees it."""
    from tests.factories import make_event

    return make_event()


@pytest.fixture
def documents(tmp_path):
    """Real files to attach: an identity PDF, a press card JPEG and a 600×800 portrait JPEG."""
    from tests.factories import image_bytes, pdf_bytes

    files = {
        "identity": tmp_path / "passport.pdf",
        "press_card": tmp_path / "press-card.jpg",
        "photo": tmp_path / "portrait.jpg",
    }
    files["identity"].write_bytes(pdf_bytes("Passport AB1234567"))
    files["press_card"].write_bytes(image_bytes(size=(856, 540), colour=(30, 90, 160)))
    files["photo"].write_bytes(image_bytes(size=(600, 800)))
    return files
