"""Staff sign-in for the operator API: server-side sessions, CSRF tokens and role checks.

The session cookie holds a random token; the store keeps only its SHA-256, so a copy of the
database does not let anyone sign in. The cookie is HttpOnly and SameSite=Strict, and Secure
outside demo mode unless ``YORISOI_SECURE_COOKIES`` says otherwise (serve the operator view
over HTTPS). Every write must also carry
the session's CSRF token in ``X-CSRF-Token``. Roles are ordered responder < supervisor <
admin; a route names the lowest role it accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web

from yorisoi import keys
from yorisoi.admin.staff import ROLES
from yorisoi.store.port import AuditEntry, StaffMember, StaffSession

COOKIE = "yorisoi_session"
SESSION_LIFETIME = timedelta(hours=12)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STAFF = web.RequestKey("staff", StaffMember)
SESSION_HASH = web.RequestKey("session_token_hash", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class LoginThrottle:
    """Refuse sign-in for a login after repeated wrong passwords, for a while.

    Kept in memory per process: it slows guessing without a store round trip; a restart
    forgets it, which costs an attacker nothing they could not get by waiting.
    """

    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = {}

    def blocked(self, login: str, now: datetime) -> bool:
        """Return True if ``login`` has failed too often lately."""
        recent = [t for t in self._failures.get(login, []) if now - t < FAILURE_WINDOW]
        self._failures[login] = recent
        return len(recent) >= MAX_FAILURES

    def failed(self, login: str, now: datetime) -> None:
        """Count one wrong password for ``login``."""
        self._failures.setdefault(login, []).append(now)
        if len(self._failures) > 10_000:  # bound memory against a flood of made-up logins
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, login: str) -> None:
        """Forget the failures of ``login``."""
        self._failures.pop(login, None)


THROTTLE = web.AppKey("login_throttle", LoginThrottle)


def api_error(status: int, code: str, message: str) -> web.Response:
    """Return the JSON error every API route answers with."""
    return web.json_response({"error": code, "message": message}, status=status)


def token_hash(token: str) -> str:
    """Return what the store keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(request: web.Request, member: StaffMember) -> tuple[str, str]:
    """Create a session for ``member``; return the cookie token and the CSRF token."""
    now = request.app[keys.CLOCK].now()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await request.app[keys.STORE].create_session(
        StaffSession(token_hash(token), member.id, csrf, now, now + SESSION_LIFETIME)
    )
    return token, csrf


def set_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """Attach the session cookie with the attributes the security rules ask for."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[keys.SETTINGS].cookies_secure,
    )


async def audit(request: web.Request, actor: str, action: str, target: str | None = None,
                **detail: object) -> None:
    """Write one entry to the audit log."""
    await request.app[keys.STORE].append_audit(
        AuditEntry(id=uuid.uuid4().hex, at=request.app[keys.CLOCK].now(), actor=actor,
                   action=action, target=target, detail=dict(detail))
    )


def requires(role: str) -> Callable[[Handler], Handler]:
    """Let a handler run only for a signed-in staff member of ``role`` or above."""
    minimum = ROLES.index(role)

    def decorate(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            token = request.cookies.get(COOKIE)
            store = request.app[keys.STORE]
            now = request.app[keys.CLOCK].now()
            session = await store.get_session(token_hash(token), now) if token else None
            member = await store.staff_by_id(session.staff_id) if session else None
            if session is None or member is None or not member.active:
                return api_error(401, "not_signed_in", "サインインしてください。")
            if request.method in UNSAFE_METHODS:
                sent = request.headers.get("X-CSRF-Token", "")
                if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                    return api_error(403, "csrf", "CSRF トークンがありません。ページを読み込み直してください。")
            if ROLES.index(member.role) < minimum:
                return api_error(403, "forbidden", f"この操作には {role} 以上の権限が必要です。")
            request[STAFF] = member
            request[SESSION_HASH] = session.token_hash
            return await handler(request)

        guarded.__doc__ = handler.__doc__
        return guarded

    return decorate
