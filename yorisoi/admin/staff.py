"""Staff accounts: responders, supervisors and admins, with argon2-hashed passwords.

Passwords are never stored or logged: only argon2id hashes (argon2-cffi's defaults, which
follow RFC 9106's recommendations). ``verify`` also says when a stored hash should be
upgraded because the parameters were raised since it was made.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yorisoi.domain.people import ROLES, TOPICS
from yorisoi.store.ports import Store
from yorisoi.store.records import StaffMember

LOGIN = re.compile(r"[a-z][a-z0-9_.-]{2,31}")
MIN_PASSWORD = 12

_hasher = PasswordHasher()


class StaffInputError(ValueError):
    """Raised when a login, role, display name or password is not acceptable."""


@dataclass(frozen=True, slots=True)
class Verified:
    """The outcome of a password check."""

    ok: bool
    needs_rehash: bool = False


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password that meets the minimum length."""
    if len(password) < MIN_PASSWORD:
        raise StaffInputError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> Verified:
    """Check a password against a stored hash, in constant time for wrong passwords."""
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return Verified(ok=False)
    return Verified(ok=True, needs_rehash=_hasher.check_needs_rehash(password_hash))


async def add_staff(
    store: Store,
    login: str,
    role: str,
    password: str,
    now: datetime,
    display_name: str | None = None,
    topics: list[str] | None = None,
) -> StaffMember:
    """Create a staff account; AlreadyExists if the login is taken.

    ``topics`` limits which cases a responder sees (youth, mothers, general); none: all.
    """
    if not LOGIN.fullmatch(login):
        raise StaffInputError(
            "a login is 3 to 32 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    if role not in ROLES:
        raise StaffInputError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    unknown = [t for t in topics or [] if t not in TOPICS]
    if unknown:
        raise StaffInputError(f"unknown topic {unknown[0]!r} (topics: {', '.join(TOPICS)})")
    name = (display_name or login).strip()
    if not name or len(name) > 20:
        raise StaffInputError("a display name is 1 to 20 characters (LINE shows up to 20)")
    member = StaffMember(
        id=uuid.uuid4().hex,
        login=login,
        display_name=name,
        role=role,
        password_hash=hash_password(password),
        created_at=now,
        topics=list(topics or []),
    )
    await store.add_staff(member)
    return member


DEMO_LOGIN = "demo"


def _demo_password(path: Path) -> str:
    """Read the demo password, or make one readable by this user only."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(password + "\n", encoding="utf-8")
    return password


async def ensure_demo_account(store: Store, var_dir: Path, now: datetime) -> tuple[str, str | None]:
    """Give demo mode an admin account; return its login and password (None if unknown).

    The password is generated once and kept in ``var/demo_password`` (mode 0600) so the
    console can show it on every start. Demo mode only: real accounts come from
    ``yorisoi staff add`` and their passwords are never stored. The account starts on
    duty, so that a handoff tried from the demo chat page reaches a person (in hours).
    """
    password = await asyncio.to_thread(_demo_password, var_dir / "demo_password")
    member = await store.staff_by_login(DEMO_LOGIN)
    if member is None:
        created = await add_staff(
            store, DEMO_LOGIN, "admin", password, now, display_name="デモ相談員"
        )
        await store.set_on_duty(created.id, True)
        return DEMO_LOGIN, password
    # The database may be older than the password file (or the other way round).
    return DEMO_LOGIN, password if verify(member.password_hash, password).ok else None
