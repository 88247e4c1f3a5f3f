"""Staff sign-in for the operator API: server-side sessions, CSRF tokens and role checks.

The session cookie holds a random token; the store keeps only its SHA-256, so a copy of the
database does not let anyone sign in. The cookie is HttpOnly and SameSite=Strict, and Secure
outside demo mode unless ``YORISOI_SECURE_COOKIES`` says otherwise (serve the operator view
over HTTPS). Every write must also carry
the session's CSRF token in ``X-CSRF-Token``. Roles are ordered responder < supervisor <
admin; a route names the lowest role it accepts.

Idle sign-out. A session that has seen no request from its staff member for ``IDLE``
(``app[IDLE]``, default 30 minutes) ends at the next request. The time of the last activity
rides in a second HttpOnly cookie signed with the app's secret key, so every worker process
agrees on it without a store write per request. Requests the operator view makes on its own
(refetches after a live update) carry ``X-Yorisoi-Background: 1`` and do not count as activity.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from yorisoi import keys
from yorisoi.domain.people import ROLES, at_least
from yorisoi.store.records import AuditEntry, StaffMember, StaffSession

COOKIE = "yorisoi_session"
ACTIVITY_COOKIE = "yorisoi_active"
BACKGROUND_HEADER = "X-Yorisoi-Background"
SESSION_LIFETIME = timedelta(hours=12)
DEFAULT_IDLE = timedelta(minutes=30)
IDLE = web.AppKey("operator_idle", timedelta)
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
    await request.app[keys.STORE].touch_staff(member.id, now)
    return token, csrf


PRESENCE_EVERY = timedelta(minutes=1)


async def note_presence(app: web.Application, member: StaffMember) -> None:
    """Record that the person is at the operator view (at most one write a minute each).

    Being on duty counts only while someone is present: a laptop closed without signing
    out must not let the bot tell a person in crisis that a responder is reading.
    """
    now = app[keys.CLOCK].now()
    if member.last_seen_at is None or now - member.last_seen_at >= PRESENCE_EVERY:
        await app[keys.STORE].touch_staff(member.id, now)


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


async def audit(
    request: web.Request, actor: str, action: str, target: str | None = None, **detail: object
) -> None:
    """Write one entry to the audit log."""
    await request.app[keys.STORE].append_audit(
        AuditEntry(
            id=uuid.uuid4().hex,
            at=request.app[keys.CLOCK].now(),
            actor=actor,
            action=action,
            target=target,
            detail=dict(detail),
        )
    )


def idle_limit(app: web.Application) -> timedelta:
    """Return how long a session may go without activity."""
    return app.get(IDLE, DEFAULT_IDLE)


def _activity_mac(app: web.Application, session_hash: str, stamp: int) -> str:
    secret = app[keys.SETTINGS].secret_key
    key = secret.get_secret_value().encode() if secret is not None else b""
    return hmac.new(key, f"{session_hash}:{stamp}".encode(), hashlib.sha256).hexdigest()[:32]


def _last_activity(request: web.Request, session: StaffSession) -> datetime:
    """Return when the session was last used, from the signed cookie (else its start)."""
    stamp, _, mac = request.cookies.get(ACTIVITY_COOKIE, "").partition(".")
    if stamp.isdigit() and hmac.compare_digest(
        mac, _activity_mac(request.app, session.token_hash, int(stamp))
    ):
        return max(session.created_at, datetime.fromtimestamp(int(stamp), UTC))
    return session.created_at


def mark_activity(request: web.Request, response: web.StreamResponse, session_hash: str) -> None:
    """Note on ``response`` that the staff member was active now (unless a background call)."""
    if request.headers.get(BACKGROUND_HEADER) == "1" or response.prepared:
        return
    stamp = int(request.app[keys.CLOCK].now().timestamp())
    response.set_cookie(
        ACTIVITY_COOKIE,
        f"{stamp}.{_activity_mac(request.app, session_hash, stamp)}",
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[keys.SETTINGS].cookies_secure,
    )


async def signed_in(request: web.Request) -> tuple[StaffSession, StaffMember] | str:
    """Return the request's session and staff member, or why there is none.

    The reason is ``not_signed_in`` or ``idle`` (the session was ended just now because
    nothing happened in it for longer than the idle limit).
    """
    token = request.cookies.get(COOKIE)
    store = request.app[keys.STORE]
    now = request.app[keys.CLOCK].now()
    session = await store.get_session(token_hash(token), now) if token else None
    member = await store.staff_by_id(session.staff_id) if session else None
    if session is None or member is None or not member.active:
        return "not_signed_in"
    if now - _last_activity(request, session) > idle_limit(request.app):
        await store.delete_session(session.token_hash)
        await store.set_on_duty(member.id, False)  # gone idle is gone off duty
        await audit(request, member.login, "staff.idle_sign_out")
        return "idle"
    return session, member


IDLE_MESSAGE = "しばらく操作がなかったため、サインアウトしました。もう一度サインインしてください。"


def requires(role: str) -> Callable[[Handler], Handler]:
    """Let a handler run only for a signed-in staff member of ``role`` or above."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorate(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            found = await signed_in(request)
            if found == "idle":
                return api_error(401, "idle", IDLE_MESSAGE)
            if isinstance(found, str):
                return api_error(401, "not_signed_in", "サインインしてください。")
            session, member = found
            if request.method in UNSAFE_METHODS:
                sent = request.headers.get("X-CSRF-Token", "")
                if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
                    return api_error(
                        403, "csrf", "CSRF トークンがありません。ページを読み込み直してください。"
                    )
            if not at_least(member.role, role):
                return api_error(403, "forbidden", f"この操作には {role} 以上の権限が必要です。")
            request[STAFF] = member
            request[SESSION_HASH] = session.token_hash
            await note_presence(request.app, member)
            response = await handler(request)
            mark_activity(request, response, session.token_hash)
            return response

        guarded.__doc__ = handler.__doc__
        return guarded

    return decorate
