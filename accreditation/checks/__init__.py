"""Automated document checks: the pipeline a worker runs on each submitted request
(``pipeline``: ``checks_run``, ``checks_rerun``, ``checks_sweep``; it stores results and moves
the request on), and the pure checks it calls (the other modules here).

The pure checks have no models and no database: the pipeline stores what they return. Each check returns :class:`CheckResult` values carrying a stable
machine code (``image.pixels``, ``portrait.face_count``, ``pdf.javascript``, …), an
:class:`Outcome` and a lazily translated message; none raises on hostile input.

    photo = normalise_image(upload)              # decode safely, strip metadata, upright
    portrait = check_portrait(photo)             # one sharp frontal face, badge crop
    letter = inspect_pdf(upload, max_pages=10)   # scripts, launch actions, attachments
    results = photo.results + portrait.results
    worst(results)                               # Outcome.PASS / WARNING / FAIL
"""

from accreditation.checks.faces import PortraitReport, check_portrait
from accreditation.checks.hashing import hamming, perceptual_hash, sha256_of, similar
from accreditation.checks.identity import check_document_number, check_expiry
from accreditation.checks.images import NormalisedImage, normalise_image
from accreditation.checks.pdfs import PdfReport, inspect_pdf
from accreditation.checks.results import CheckResult, Outcome, worst

__all__ = [
    "CheckResult",
    "NormalisedImage",
    "Outcome",
    "PdfReport",
    "PortraitReport",
    "check_document_number",
    "check_expiry",
    "check_portrait",
    "hamming",
    "inspect_pdf",
    "normalise_image",
    "perceptual_hash",
    "sha256_of",
    "similar",
    "worst",
]
