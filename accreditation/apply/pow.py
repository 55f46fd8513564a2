"""A self-hosted proof of work on the address step (SECURITY.md row 22), in the ALTCHA format.

The page carries a challenge signed with a key derived from SECRET_KEY; the browser
(static/js/pow.js) finds the number whose SHA-256 with the salt gives it — about a second on a
phone, with nothing for the person to read, type or solve (WCAG 2.2 "accessible
authentication") — and sends it back. The server checks the signature and the expiry with the
`altcha` library, and takes each challenge once (a replay is refused and logged). One address
step costs a robot that work, each time.

ALTCHA's own widget is not used: it injects inline styles, which the pages' Content Security
Policy (style-src 'self') refuses.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

VALID = dt.timedelta(minutes=20)


def _key() -> str:
    return salted_hmac("presspass.pow", "altcha", algorithm="sha256").hexdigest()


def pow_enabled() -> bool:
    return settings.PRESSPASS_POW_MAX_NUMBER > 0


def pow_challenge() -> str:
    """A fresh challenge, as the JSON the page gives the browser."""
    challenge = altcha.create_challenge_v1(
        hmac_key=_key(),
        max_number=settings.PRESSPASS_POW_MAX_NUMBER,
        expires=timezone.now() + VALID,
    )
    return json.dumps(challenge.to_dict())


def pow_check(payload: str) -> str | None:
    """None if ``payload`` solves a challenge of ours that was not used before (it is used
    now); otherwise what is wrong with it, for the security log."""
    if not payload:
        return "missing"
    try:
        verified, _error = altcha.verify_solution_v1(payload, _key(), check_expires=True)
        challenge = json.loads(base64.b64decode(payload))["challenge"]
    except (ValueError, TypeError, KeyError):
        return "malformed"
    if not verified:
        return "wrong"
    # Single use: the first to record it wins (the cache is Redis, shared, in production).
    seen = "pow:" + hashlib.sha256(str(challenge).encode()).hexdigest()
    if not cache.add(seen, 1, timeout=int(VALID.total_seconds()) + 60):
        return "replayed"
    return None
