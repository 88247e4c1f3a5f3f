"""Pseudonyms: how staff and logs refer to a user without the LINE user id."""

from __future__ import annotations

import hashlib
import hmac


def user_key(user_id: str, secret: str) -> str:
    """Return a stable 16-hex-digit key for a LINE user id (for logs and URLs)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()[:16]


def pseudonym(user_id: str, secret: str) -> str:
    """Return the name responders see, e.g. ``相談者 7F3A``."""
    return f"相談者 {user_key(user_id, secret)[:4].upper()}"
