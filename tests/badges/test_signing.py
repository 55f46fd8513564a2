"""Signed badge codes: what a gate accepts, and everything it must refuse."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from accreditation.badges.signing import (
    B45_ALPHABET,
    PREFIX,
    BadgeClaims,
    BadgeCodeError,
    b45decode,
    b45encode,
    claims_to_body,
    generate_keypair,
    load_private_key,
    load_public_key,
    load_public_keys,
    private_key_b64,
    public_key_b64,
    sign_claims,
    verify_code,
)

# The test vector published in docs/badge-format.md.
VECTOR_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
VECTOR_CLAIMS = BadgeClaims(badge_id=1042, version=2, event_id=93, session_ids=(7, 3), key_id=1)
VECTOR_CODE = (
    "PP1:V50V500003YB400IC2JB0000300000700DMPTXP0:RL9N8Y4F+UOZ8I1QJBVM5E/:0IJ8-3PHROP4RCC1"
    ".5OW-ROT1S493MO2BPH.M7RPHUOW+J.VF:-424Q5KTIAGCU3"
)

KEY, PUBLIC = generate_keypair()
KEYS = {1: PUBLIC}
CLAIMS = BadgeClaims(badge_id=123_456, version=3, event_id=93, session_ids=(11, 12, 15), key_id=1)
CODE = sign_claims(CLAIMS, KEY)


def error_code(text: str, keys=KEYS) -> str:
    with pytest.raises(BadgeCodeError) as caught:
        verify_code(text, keys)
    return caught.value.code


def recode(raw: bytes) -> str:
    return PREFIX + b45encode(raw)


# --- what is accepted ---------------------------------------------------------------------------


def test_a_signed_code_verifies_to_the_same_claims():
    assert verify_code(CODE, KEYS) == CLAIMS


def test_the_code_uses_only_the_qr_alphanumeric_alphabet_and_is_short():
    assert CODE.startswith("PP1:")
    assert set(CODE) <= set(B45_ALPHABET)
    assert len(CODE) == 4 + (14 + 3 * 4 + 64) * 3 // 2


def test_sessions_are_kept_sorted_and_unique_so_each_badge_has_one_encoding():
    claims = BadgeClaims(badge_id=1, version=1, event_id=1, session_ids=(9, 2, 9, 5), key_id=1)
    assert claims.session_ids == (2, 5, 9)
    assert verify_code(sign_claims(claims, KEY), KEYS).session_ids == (2, 5, 9)


def test_a_badge_without_sessions_is_still_a_valid_code():
    claims = BadgeClaims(badge_id=1, version=1, event_id=1, session_ids=(), key_id=1)
    assert verify_code(sign_claims(claims, KEY), KEYS) == claims


def test_the_published_test_vector_is_reproduced_exactly():
    assert public_key_b64(VECTOR_KEY.public_key()) == "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
    assert claims_to_body(VECTOR_CLAIMS).hex() == "0100010000005d000004120002020000000300000007"
    assert sign_claims(VECTOR_CLAIMS, VECTOR_KEY) == VECTOR_CODE
    assert verify_code(VECTOR_CODE, {1: VECTOR_KEY.public_key()}) == VECTOR_CLAIMS


def test_the_byte_layout_is_fixed_width_big_endian():
    raw = b45decode(CODE[len(PREFIX) :])
    assert len(raw) == 14 + 4 * 3 + 64
    assert struct.unpack(">BHIIHB", raw[:14]) == (1, 1, 93, 123_456, 3, 3)
    assert struct.unpack(">3I", raw[14:26]) == (11, 12, 15)
    PUBLIC.verify(raw[-64:], raw[:-64])  # the signature covers exactly the preceding bytes


@settings(max_examples=50, deadline=None)
@given(
    badge_id=st.integers(0, 2**32 - 1),
    version=st.integers(0, 2**16 - 1),
    event_id=st.integers(0, 2**32 - 1),
    sessions=st.lists(st.integers(0, 2**32 - 1), max_size=12),
    key_id=st.integers(0, 2**16 - 1),
)
def test_any_claims_within_range_round_trip(badge_id, version, event_id, sessions, key_id):
    claims = BadgeClaims(
        badge_id=badge_id,
        version=version,
        event_id=event_id,
        session_ids=tuple(sessions),
        key_id=key_id,
    )
    assert verify_code(sign_claims(claims, KEY), {key_id: PUBLIC}) == claims


# --- what is refused ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_flipping_any_byte_of_the_decoded_payload_is_refused(data):
    raw = bytearray(b45decode(CODE[len(PREFIX) :]))
    position = data.draw(st.integers(0, len(raw) - 1), label="position")
    flip = data.draw(st.integers(1, 255), label="xor")
    raw[position] ^= flip
    assert error_code(recode(bytes(raw))) in {
        "malformed",
        "unsupported_format",
        "unknown_key",
        "bad_signature",
    }


def test_every_single_byte_flip_is_refused_exhaustively_for_one_bit():
    raw = b45decode(CODE[len(PREFIX) :])
    for position in range(len(raw)):
        damaged = bytearray(raw)
        damaged[position] ^= 0x01
        with pytest.raises(BadgeCodeError):
            verify_code(recode(bytes(damaged)), KEYS)


def test_a_changed_signature_or_field_is_a_bad_signature():
    raw = bytearray(b45decode(CODE[len(PREFIX) :]))
    raw[7 + 3] ^= 0x01  # badge_id's last byte: another badge
    assert error_code(recode(bytes(raw))) == "bad_signature"
    raw = bytearray(b45decode(CODE[len(PREFIX) :]))
    raw[-1] ^= 0x80
    assert error_code(recode(bytes(raw))) == "bad_signature"


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_changing_any_character_of_the_text_is_refused(data):
    position = data.draw(st.integers(0, len(CODE) - 1), label="position")
    replacement = data.draw(st.sampled_from(B45_ALPHABET + "abcé#"), label="char")
    if replacement == CODE[position]:
        return
    with pytest.raises(BadgeCodeError):
        verify_code(CODE[:position] + replacement + CODE[position + 1 :], KEYS)


# The order of the Ed25519 group: S and S + L verify the same equation.
ED25519_L = 2**252 + 27742317777372353535851937790883648493


def test_a_second_signature_made_from_a_genuine_one_is_refused():
    """Adding the group order to the signature's S gives another string that a lax verifier
    accepts: a copied badge would then exist under two codes (two scan histories). The code
    is refused, and the original still verifies."""
    raw = b45decode(CODE[len(PREFIX) :])
    body, signature = raw[:-64], raw[-64:]
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + ED25519_L).to_bytes(32, "little")
    assert malleated != signature
    assert error_code(recode(body + malleated)) == "bad_signature"
    assert verify_code(CODE, KEYS) == CLAIMS


def test_a_signature_under_a_small_order_public_key_is_refused():
    """The identity point as a public key with the identity as R and S = 0 satisfies the
    verification equation for any message under a lax verifier: anyone could forge."""
    identity = (1).to_bytes(32, "little")
    weak = load_public_key(base64.b64encode(identity).decode())
    body = b45decode(CODE[len(PREFIX) :])[:-64]
    forged = identity + bytes(32)
    assert error_code(recode(body + forged), {1: weak}) == "bad_signature"


def test_an_unknown_key_id_is_refused():
    assert error_code(CODE, {2: PUBLIC}) == "unknown_key"
    other = BadgeClaims(badge_id=1, version=1, event_id=93, session_ids=(1,), key_id=7)
    assert error_code(sign_claims(other, KEY)) == "unknown_key"


def test_a_code_signed_with_another_key_under_a_known_id_is_a_bad_signature():
    intruder, _ = generate_keypair()
    assert error_code(sign_claims(CLAIMS, intruder)) == "bad_signature"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PP1:",
        "PP1",
        "https://example.org/badge/1",
        CODE.lower(),
        CODE[:-1],  # truncated
        CODE[:-3],  # truncated by whole base45 groups
        CODE + "00",  # one byte too many
        " " + CODE,
        CODE[len(PREFIX) :],  # no prefix
        "PP1:" + "Z" * 3000,  # absurdly long
        "PP1:GGW",  # base45 group above 65535
    ],
)
def test_malformed_texts_are_refused_before_any_key_is_used(text):
    assert error_code(text) == "malformed"


def test_another_format_version_is_reported_as_such():
    assert error_code("PP2:" + CODE[4:]) == "unsupported_format"
    raw = bytearray(b45decode(CODE[len(PREFIX) :]))
    raw[0] = 2
    assert error_code(recode(bytes(raw))) == "unsupported_format"


def test_a_signed_but_non_canonical_session_list_is_refused():
    body = struct.pack(">BHIIHB", 1, 1, 93, 5, 1, 2) + struct.pack(">2I", 9, 3)
    assert error_code(recode(body + KEY.sign(body))) == "malformed"


def test_claims_out_of_range_cannot_be_signed():
    with pytest.raises(ValueError):
        BadgeClaims(badge_id=2**32, version=1, event_id=1, session_ids=(), key_id=1)
    with pytest.raises(ValueError):
        BadgeClaims(badge_id=1, version=-1, event_id=1, session_ids=(), key_id=1)
    with pytest.raises(ValueError):
        BadgeClaims(badge_id=1, version=1, event_id=1, session_ids=tuple(range(256)), key_id=1)
    with pytest.raises(ValueError):
        BadgeClaims(badge_id=1, version=1, event_id=1, session_ids=(), key_id=True)


def test_the_error_carries_a_code_and_a_message():
    with pytest.raises(BadgeCodeError) as caught:
        verify_code(CODE, {})
    assert caught.value.code == "unknown_key"
    assert caught.value.message  # a lazy translation; the screens show it
    assert str(caught.value) == "unknown_key"


# --- base45 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
    ],
)
def test_base45_matches_rfc_9285(raw, text):
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@given(st.binary(max_size=200))
def test_base45_round_trips(raw):
    assert b45decode(b45encode(raw)) == raw


@pytest.mark.parametrize("text", ["GGW", "A", "ABCD", "ab", "Z:"])
def test_base45_decoding_is_strict(text):
    with pytest.raises(ValueError):
        b45decode(text)


# --- keys as strings --------------------------------------------------------------------------


def test_a_private_key_loads_from_raw_base64_and_from_pem():
    as_b64 = private_key_b64(KEY)
    assert len(base64.b64decode(as_b64)) == 32
    pem = KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    for text in (
        as_b64,
        f"  {as_b64}\n",
        as_b64.rstrip("=").replace("+", "-").replace("/", "_"),
        pem,
    ):
        loaded = load_private_key(text)
        assert verify_code(sign_claims(CLAIMS, loaded), KEYS) == CLAIMS


def test_a_public_key_is_32_raw_bytes_in_base64_and_loads_back():
    as_b64 = public_key_b64(PUBLIC)
    assert len(base64.b64decode(as_b64)) == 32
    assert verify_code(CODE, {1: load_public_key(as_b64)}) == CLAIMS
    assert verify_code(CODE, load_public_keys({"1": as_b64})) == CLAIMS
    pem = PUBLIC.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert verify_code(CODE, {1: load_public_key(pem)}) == CLAIMS


@pytest.mark.parametrize("text", ["", "not base64!", base64.b64encode(b"x" * 31).decode(), "QUJD"])
def test_a_bad_key_string_fails_loudly(text):
    with pytest.raises(ValueError):
        load_private_key(text)
    with pytest.raises(ValueError):
        load_public_key(text)
