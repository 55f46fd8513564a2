"""Unguessable, stateless links: an HMAC (keyed by SECRET_KEY) of the object and a stored nonce.

Neither the database nor the logs hold a usable link; rotating the nonce revokes every old link.
"""

from __future__ import annotations

import secrets

from django.utils.crypto import constant_time_compare, salted_hmac


def new_nonce() -> str:
    return secrets.token_hex(16)


def make_token(purpose: str, pk: int, nonce: str) -> str:
    return salted_hmac(f"presspass.{purpose}", f"{pk}:{nonce}", algorithm="sha256").hexdigest()[:40]


def check_token(purpose: str, pk: int, nonce: str, token: str) -> bool:
    return bool(token) and constant_time_compare(make_token(purpose, pk, nonce), token)
