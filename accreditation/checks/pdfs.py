"""Look inside an uploaded PDF without trusting it, and draw its first page for the reviewer.

A press card or mission letter arrives as a PDF often enough; a PDF can also carry scripts,
ask the viewer to launch a program, or smuggle a file inside it. Reviewers open these
documents on their own computers, so ``inspect_pdf`` reports every such feature and renders
a preview image, which is what the admin shows, so that nobody has to open the PDF itself.

pypdf parses the structure (no content stream is decoded); pypdfium2 (PDFium, built without
a JavaScript engine) renders the first page at 72 dpi. Any parser error is a FAIL result,
never an exception.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accreditation import filetypes
from accreditation.checks.results import CheckResult, Outcome, interpolate
from accreditation.checks.sources import Source, read_source

logger = logging.getLogger(__name__)

FORMAT = "pdf.format"
READABLE = "pdf.readable"
ENCRYPTED = "pdf.encrypted"
PAGES = "pdf.pages"
JAVASCRIPT = "pdf.javascript"
LAUNCH = "pdf.launch"
EMBEDDED_FILES = "pdf.embedded_files"
PREVIEW = "pdf.preview"

DEFAULT_MAX_PAGES = 10
PREVIEW_DPI = 72
PREVIEW_MAX_SIDE = 1200  # pixels; a page larger than A3 is drawn smaller than 72 dpi
PREVIEW_JPEG_QUALITY = 80
# PDFium decodes an embedded picture in full whatever the rendering scale, so a picture that
# declares more pixels than this (an A4 page at 600 dpi is 35 MP) is not rendered.
MAX_IMAGE_PIXELS = 50_000_000
# Objects visited when looking for active content; a one-page letter has a few dozen.
MAX_OBJECTS = 50_000

_pdfium_lock = threading.Lock()  # PDFium is not thread-safe


@dataclass(frozen=True)
class PdfReport:
    results: list[CheckResult]
    preview_jpeg: bytes | None = field(default=None, repr=False)
    page_count: int = 0

    @property
    def ok(self) -> bool:
        return not any(result.failed for result in self.results)


@dataclass
class ActiveContent:
    """Where, in the object tree, each kind of active content was found."""

    javascript: list[str] = field(default_factory=list)
    launch: list[str] = field(default_factory=list)
    embedded_files: list[str] = field(default_factory=list)
    xfa: list[str] = field(default_factory=list)
    largest_image_pixels: int = 0
    complete: bool = True


def inspect_pdf(
    src: Source,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    preview_dpi: int = PREVIEW_DPI,
) -> PdfReport:
    """Check an uploaded PDF; render its first page when that is safe."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    try:
        data = read_source(src)
    except OSError as error:
        logger.info("PDF not readable: %r", error)
        return PdfReport([_unreadable(type(error).__name__)])
    mime = filetypes.sniff_bytes(data[:1024])
    if mime != filetypes.PDF:
        return PdfReport(
            [
                CheckResult(
                    FORMAT,
                    Outcome.FAIL,
                    _("The file is not a PDF, whatever its name says."),
                    mime or "unknown",
                )
            ]
        )
    results = [CheckResult(FORMAT, Outcome.PASS, _("The file is a PDF."), mime)]

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        if encrypted and not reader.decrypt(""):
            results.append(
                CheckResult(
                    ENCRYPTED,
                    Outcome.FAIL,
                    _("The PDF is protected by a password; send it without one."),
                    "password",
                )
            )
            return PdfReport(results)
        page_count = len(reader.pages)
        active = find_active_content(reader)
    except FileNotDecryptedError as error:
        results.append(
            CheckResult(
                ENCRYPTED,
                Outcome.FAIL,
                _("The PDF is protected by a password; send it without one."),
                type(error).__name__,
            )
        )
        return PdfReport(results)
    except Exception as error:  # any parser error on hostile input means "not readable"
        logger.info("PDF not readable: %r", error)
        results.append(_unreadable(type(error).__name__))
        return PdfReport(results)

    results.append(CheckResult(READABLE, Outcome.PASS, _("The PDF can be read.")))
    if encrypted:
        results.append(
            CheckResult(
                ENCRYPTED,
                Outcome.WARNING,
                _("The PDF is encrypted, but opens without a password."),
                "no user password",
            )
        )
    else:
        results.append(CheckResult(ENCRYPTED, Outcome.PASS, _("The PDF is not encrypted.")))
    results.append(_pages_result(page_count, max_pages))
    results.extend(_active_content_results(active))
    if page_count == 0:
        return PdfReport(results, page_count=0)

    if active.largest_image_pixels > MAX_IMAGE_PIXELS:
        results.append(
            CheckResult(
                PREVIEW,
                Outcome.WARNING,
                interpolate(
                    _(
                        "No preview was drawn: the PDF holds a picture of %(megapixels)s "
                        "megapixels."
                    ),
                    megapixels=active.largest_image_pixels // 1_000_000,
                ),
                str(active.largest_image_pixels),
            )
        )
        return PdfReport(results, page_count=page_count)
    try:
        preview = render_first_page(data, dpi=preview_dpi)
    except Exception as error:  # PDFium refuses what it cannot draw; we only lose the preview
        logger.info("PDF preview failed: %r", error)
        results.append(
            CheckResult(
                PREVIEW,
                Outcome.WARNING,
                _("No preview could be drawn of the first page."),
                type(error).__name__,
            )
        )
        return PdfReport(results, page_count=page_count)
    results.append(CheckResult(PREVIEW, Outcome.PASS, _("A preview of the first page was drawn.")))
    return PdfReport(results, preview_jpeg=preview, page_count=page_count)


def _unreadable(value: str) -> CheckResult:
    return CheckResult(
        READABLE, Outcome.FAIL, _("The PDF is damaged or incomplete and cannot be read."), value
    )


def _pages_result(page_count: int, max_pages: int) -> CheckResult:
    value = str(page_count)
    if page_count == 0:
        return CheckResult(PAGES, Outcome.FAIL, _("The PDF has no pages."), value)
    if page_count > max_pages:
        return CheckResult(
            PAGES,
            Outcome.FAIL,
            interpolate(
                ngettext_lazy(
                    "The PDF has %(count)s page; at most %(maximum)s are accepted.",
                    "The PDF has %(count)s pages; at most %(maximum)s are accepted.",
                    page_count,
                ),
                count=page_count,
                maximum=max_pages,
            ),
            value,
        )
    return CheckResult(PAGES, Outcome.PASS, _("The number of pages is acceptable."), value)


def _active_content_results(active: ActiveContent) -> list[CheckResult]:
    incomplete = _("The PDF is too complex to be inspected completely.")
    results = []
    if active.javascript:
        results.append(
            CheckResult(
                JAVASCRIPT,
                Outcome.FAIL,
                _("The PDF contains JavaScript; send a plain PDF or a scan."),
                ", ".join(active.javascript[:3]),
            )
        )
    elif active.xfa:
        results.append(
            CheckResult(
                JAVASCRIPT,
                Outcome.WARNING,
                _("The PDF contains an XFA form, which can carry scripts."),
                ", ".join(active.xfa[:3]),
            )
        )
    elif not active.complete:
        results.append(CheckResult(JAVASCRIPT, Outcome.WARNING, incomplete))
    else:
        results.append(CheckResult(JAVASCRIPT, Outcome.PASS, _("The PDF contains no JavaScript.")))
    if active.launch:
        results.append(
            CheckResult(
                LAUNCH,
                Outcome.FAIL,
                _("The PDF asks to launch a program; send a plain PDF or a scan."),
                ", ".join(active.launch[:3]),
            )
        )
    elif not active.complete:
        results.append(CheckResult(LAUNCH, Outcome.WARNING, incomplete))
    else:
        results.append(
            CheckResult(LAUNCH, Outcome.PASS, _("The PDF does not ask to launch programs."))
        )
    if active.embedded_files:
        results.append(
            CheckResult(
                EMBEDDED_FILES,
                Outcome.FAIL,
                _("The PDF has files attached inside it; send the document alone."),
                ", ".join(active.embedded_files[:3]),
            )
        )
    elif not active.complete:
        results.append(CheckResult(EMBEDDED_FILES, Outcome.WARNING, incomplete))
    else:
        results.append(
            CheckResult(EMBEDDED_FILES, Outcome.PASS, _("The PDF has no files attached."))
        )
    return results


def find_active_content(reader, *, max_objects: int = MAX_OBJECTS) -> ActiveContent:
    """Walk every object reachable from the document catalogue, following references once.

    Looks at dictionary keys and action types only, wherever they are: the catalogue's
    /OpenAction and /Names, page and form-field /AA, annotation /A, nested /Next actions.
    Names are compared after pypdf has decoded #-escapes, so /Java#53cript is /JavaScript.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found = ActiveContent()
    seen: set[tuple[int, int]] = set()
    root = reader.trailer.raw_get("/Root")
    stack: list[tuple[object, str]] = [(root, "/Root")]
    visited = 0
    while stack:
        item, path = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            visited += 1
            if visited > max_objects:
                found.complete = False
                break
            try:
                item = item.get_object()
            except Exception:  # a dangling or broken reference hides nothing we could see
                continue
        if isinstance(item, DictionaryObject):
            _inspect_dictionary(item, path, found)
            for name, value in item.items():
                if name != "/Parent":
                    stack.append((value, path + str(name)))
        elif isinstance(item, ArrayObject):
            for index, value in enumerate(item):
                stack.append((value, f"{path}[{index}]"))
    return found


def _inspect_dictionary(item, path: str, found: ActiveContent) -> None:
    action = _resolved(item.get("/S"))
    if "/JS" in item or action == "/JavaScript":
        found.javascript.append(path)
    if "/JavaScript" in item:  # the document-level scripts of a /Names dictionary
        found.javascript.append(path + "/JavaScript")
    if action == "/Launch":
        found.launch.append(path)
    if (
        "/EmbeddedFiles" in item
        or "/EF" in item
        or _resolved(item.get("/Type")) == "/EmbeddedFile"
        or _resolved(item.get("/Subtype")) == "/FileAttachment"
    ):
        found.embedded_files.append(path)
    if "/XFA" in item:
        found.xfa.append(path)
    if _resolved(item.get("/Subtype")) == "/Image":
        try:
            pixels = int(_resolved(item.get("/Width"))) * int(_resolved(item.get("/Height")))
        except (TypeError, ValueError):
            pixels = 0
        found.largest_image_pixels = max(found.largest_image_pixels, pixels)


def _resolved(value):
    try:
        return value.get_object() if hasattr(value, "get_object") else value
    except Exception:
        return None


def render_first_page(data: bytes, *, dpi: int = PREVIEW_DPI) -> bytes:
    """The first page as a JPEG at ``dpi`` (smaller if the page is larger than A3)."""
    import pypdfium2

    with _pdfium_lock:
        document = pypdfium2.PdfDocument(data)
        try:
            page = document[0]
            try:
                width, height = page.get_size()
                if not (width > 0 and height > 0):
                    raise ValueError(f"page size {width}×{height}")
                scale = min(dpi / 72, PREVIEW_MAX_SIDE / max(width, height))
                bitmap = page.render(scale=scale, may_draw_forms=False)
                image = bitmap.to_pil().convert("RGB")
            finally:
                page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=PREVIEW_JPEG_QUALITY)
    return buffer.getvalue()
