"""Pseudonyms: stable per user and secret, short, and not the LINE user id."""

from __future__ import annotations

import re

from yorisoi.identity import pseudonym, user_key

A = "U" + "a" * 32
B = "U" + "b" * 32


def test_pseudonym_is_stable_and_keyed() -> None:
    assert pseudonym(A, "k" * 40) == pseudonym(A, "k" * 40)
    assert re.fullmatch(r"相談者 [0-9A-HJKMNP-TV-Z]{6}", pseudonym(A, "k" * 40))
    assert user_key(A, "k" * 40) != user_key(A, "j" * 40)  # another deployment, other names
    assert user_key(A, "k" * 40) != user_key(B, "k" * 40)
    assert A not in pseudonym(A, "k" * 40) and len(user_key(A, "k" * 40)) == 16


def test_pseudonyms_of_many_users_rarely_collide() -> None:
    """4 hex digits collided among a few hundred users; 6 base32 letters do not among 2,000."""
    names = {pseudonym(f"U{i:032x}", "k" * 40) for i in range(2000)}
    assert len(names) == 2000
