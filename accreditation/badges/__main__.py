"""``python -m accreditation.badges``: print a fresh Ed25519 badge key pair as environment lines.

Keep the private line secret (it signs badges); give the public line to the gates.
"""

from .signing import generate_keypair, private_key_b64, public_key_b64

private_key, public_key = generate_keypair()
print(f"BADGE_SIGNING_KEY={private_key_b64(private_key)}")
print(f"BADGE_PUBLIC_KEY={public_key_b64(public_key)}")
