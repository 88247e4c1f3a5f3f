"""Pseudonyms: how staff and logs refer to a user without the LINE user id."""

from __future__ import annotations

import hashlib
import hmac

# Crockford's base32: no I, L, O or U, so a name read aloud over the phone is not misheard.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PSEUDONYM_LENGTH = 6
"""30 bits: two of 4,600 users share a name with odds of 1 in 100 (4 hex digits: 1 in 100
at 36 users, even odds at 300), small enough that a responder is not asked to tell apart
two people with the same name."""


def user_key(user_id: str, secret: str) -> str:
    """Return a stable 16-hex-digit key for a LINE user id (for logs and URLs)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:16]


def pseudonym(user_id: str, secret: str) -> str:
    """Return the name responders see, e.g. ``相談者 7F3A2K``: stable per user and secret."""
    number = int(user_key(user_id, secret), 16)
    letters = []
    for _ in range(PSEUDONYM_LENGTH):
        number, digit = divmod(number, len(_ALPHABET))
        letters.append(_ALPHABET[digit])
    return f"相談者 {''.join(letters)}"
