"""Badges without Django models: signed QR codes and fast PDF rendering.

Plain data in, bytes out; the accreditation services and tasks feed it from the models.

- ``signing``: ``BadgeClaims``, ``sign_claims``, ``verify_code`` (Ed25519; docs/badge-format.md)
- ``qr``: the QR code as one small 1-bit bitmap
- ``render``: ``BadgeData``, ``render_badges`` (streams a batch), ``render_badge``
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
