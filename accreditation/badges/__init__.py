"""Badges: issued after approval, printed in batches, handed over at the desk.

With the models (Django):
- ``issuing``: ``badge_issue``, ``badge_reissue`` (a new version), ``badge_handover``
- ``printing``: ``batch_create`` (no same-code copy after handover), ``batch_render``, ``batch_purge``
- ``desk``, ``urls``: the badge desk's pages (print queue, batches, handover, reprint/reissue)

Without Django models (plain data in, bytes out; importing this package loads only these):
- ``signing``: ``BadgeClaims``, ``sign_claims``, ``verify_code`` (Ed25519; docs/badge-format.md)
- ``qr``: the QR code as one small 1-bit bitmap
- ``render``: ``BadgeData``, ``render_badges`` (streams a batch), ``render_badge``

May import: accreditation.models, .errors, .workflow, .roles, .notify, .storage, events.models.
"""

from .render import LAYOUTS, BadgeData, render_badge, render_badges
from .signing import BadgeClaims, BadgeCodeError, sign_claims, verify_code

__all__ = [
    "LAYOUTS",
    "BadgeClaims",
    "BadgeCodeError",
    "BadgeData",
    "render_badge",
    "render_badges",
    "sign_claims",
    "verify_code",
]
