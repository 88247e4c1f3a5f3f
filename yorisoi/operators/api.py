"""The operator JSON API under ``/api/``: sign-in, the on-duty switch, the queue and cases.

The operator view (a browser page) and any other staff tool sit on this API. The work on
cases is done by ``yorisoi.operators.cases.CaseDesk``; the handlers here check roles,
read and validate the JSON, write the audit log (every read of a conversation by staff is
audited: who, which conversation, when) and turn ``CaseError`` into a JSON error.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from yorisoi import keys
from yorisoi.admin.staff import verify
from yorisoi.operators.auth import (
    BACKGROUND_HEADER,
    COOKIE,
    SESSION_HASH,
    STAFF,
    THROTTLE,
    LoginThrottle,
    api_error,
    audit,
    requires,
    set_cookie,
    start_session,
)
from yorisoi.operators.cases import CaseError, note_json, visible_to
from yorisoi.operators.hub import HUB
from yorisoi.operators.shifts import JAPAN, ShiftPattern
from yorisoi.store.port import CaseStatus, StaffMember

QUEUE_VIEWS = ("waiting", "active", "closed", "mine")
MAX_CLOSE_NOTE = 2000
MAX_REFERRALS = 20
SHIFT_DAYS = 7  # how far ahead staff see shifts


log = structlog.get_logger("yorisoi.operators.api")


def _me(member: StaffMember) -> dict[str, Any]:
    return {
        "login": member.login,
        "display_name": member.display_name,
        "role": member.role,
        "on_duty": member.on_duty,
    }


def _shift_fields(
    pattern: ShiftPattern | None, now: datetime, zone: ZoneInfo, key: str
) -> dict[str, Any]:
    """Return a member's planned shifts of the coming days, read in `zone`, under `key`.

    A shift in progress is included whole. The plan is for people to read; whether someone
    can take a handoff is their on-duty switch.
    """
    if pattern is None:
        return {"shift_timezone": None, "on_shift_now": False, key: []}
    coming = pattern.between(now, now + timedelta(days=SHIFT_DAYS))
    return {
        "shift_timezone": pattern.timezone.key,
        "on_shift_now": pattern.on_shift(now),
        key: [
            {
                "start": shift.start.astimezone(zone).isoformat(),
                "end": shift.end.astimezone(zone).isoformat(),
                "label": shift.label(zone),
            }
            for shift in coming
        ],
    }


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json(loads=json.loads)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def login(request: web.Request) -> web.StreamResponse:
    """Sign in with login and password; set the session cookie; return the CSRF token."""
    if request.content_type != "application/json":
        # A cross-site form can post text/plain without a preflight, and could sign a
        # staff browser into someone else's account; JSON cannot be sent that way.
        return api_error(415, "json_only", "Content-Type: application/json で送ってください。")
    body = await _json_object(request)
    if (
        body is None
        or not isinstance(body.get("login"), str)
        or not isinstance(body.get("password"), str)
    ):
        return api_error(400, "bad_request", "login と password を JSON で送ってください。")
    login_name = body["login"][:64]
    now = request.app[keys.CLOCK].now()
    throttle = request.app[THROTTLE]
    if throttle.blocked(login_name, now):
        await audit(request, login_name, "staff.login_throttled")
        return api_error(
            429,
            "too_many_attempts",
            "失敗が続いたため、しばらく サインインできません。15分後に もう一度 試してください。",
        )
    member = await request.app[keys.STORE].staff_by_login(login_name)
    # Verify against a real hash even for an unknown login, so timing tells nothing.
    ok = verify(member.password_hash if member else _DUMMY_HASH, body["password"]).ok
    if member is None or not member.active or not ok:
        throttle.failed(login_name, now)
        await audit(request, login_name, "staff.login_failed")
        return api_error(401, "wrong_credentials", "ログイン名かパスワードが違います。")
    throttle.succeeded(login_name)
    token, csrf = await start_session(request, member)
    await audit(request, member.login, "staff.login")
    response = web.json_response({"csrf_token": csrf, "staff": _me(member)})
    set_cookie(request, response, token)
    return response


@requires("responder")
async def logout(request: web.Request) -> web.StreamResponse:
    """End this session (and close its live connections)."""
    await request.app[HUB].disconnect(request[SESSION_HASH])
    await request.app[keys.STORE].delete_session(request[SESSION_HASH])
    # Signed out is off duty: nobody must count on a person who has left.
    await request.app[keys.STORE].set_on_duty(request[STAFF].id, False)
    await audit(request, request[STAFF].login, "staff.logout")
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE, path="/")
    return response


@requires("responder")
async def me(request: web.Request) -> web.StreamResponse:
    """Return the signed-in staff member, with their shifts in their own time zone."""
    member: StaffMember = request[STAFF]
    pattern = request.app[keys.CONTENT].shifts.of(member.login)
    zone = pattern.timezone if pattern else JAPAN
    now = request.app[keys.CLOCK].now()
    return web.json_response({**_me(member), **_shift_fields(pattern, now, zone, "shifts_local")})


@requires("responder")
async def duty(request: web.Request) -> web.StreamResponse:
    """Switch the signed-in staff member on or off duty."""
    body = await _json_object(request)
    if body is None or not isinstance(body.get("on_duty"), bool):
        return api_error(400, "bad_request", "on_duty を true か false で送ってください。")
    member: StaffMember = request[STAFF]
    await request.app[keys.STORE].set_on_duty(member.id, body["on_duty"])
    await audit(request, member.login, "staff.duty", on_duty=body["on_duty"])
    updated = await request.app[keys.STORE].staff_by_id(member.id)
    assert updated is not None
    return web.json_response(_me(updated))


def _case_error(exc: CaseError) -> web.Response:
    return api_error(exc.status, exc.code, exc.message)


@requires("responder")
async def conversations(request: web.Request) -> web.StreamResponse:
    """List the queue: waiting, active, closed, or mine; only cases this staff may see."""
    view = request.query.get("status", "waiting")
    if view not in QUEUE_VIEWS:
        return api_error(400, "bad_request", f"status は {', '.join(QUEUE_VIEWS)} のどれかです。")
    member: StaffMember = request[STAFF]
    store, desk = request.app[keys.STORE], request.app[keys.CASES]
    if view == "mine":
        found = [
            c
            for status in (CaseStatus.WAITING, CaseStatus.ACTIVE)
            for c in await store.list_cases(status)
            if c.case is not None and c.case.assigned_to == member.id
        ]
    else:
        found = await store.list_cases(CaseStatus(view), limit=100 if view == "closed" else 500)
    listed = [desk.summary(c) for c in found if visible_to(member, c)]
    return web.json_response({"conversations": listed})


@requires("responder")
async def conversation(request: web.Request) -> web.StreamResponse:
    """Return one conversation's thread; audited, and the user's messages marked as read."""
    member: StaffMember = request[STAFF]
    desk = request.app[keys.CASES]
    ref = request.match_info["ref"]
    try:
        found = await desk.find(ref, member)
    except CaseError as exc:
        await audit(request, member.login, "conversation.read_refused", ref, status=exc.status)
        return _case_error(exc)
    background = request.headers.get(BACKGROUND_HEADER) == "1"
    await audit(request, member.login, "conversation.read", ref, background=background)
    thread = await desk.thread(found)
    entries = await request.app[keys.STORE].conversation_messages(found.user_id, 50)
    token = desk.last_read_token(entries)
    if token is not None and not background:
        # The user sees 既読 only now that a person has opened the conversation.
        result = await request.app[keys.LINE].mark_as_read(token)
        if not result.delivered:
            log.warning("line.mark_as_read_failed", kind=result.kind)
    return web.json_response(thread)


@requires("responder")
async def claim(request: web.Request) -> web.StreamResponse:
    """Take a waiting case; a supervisor may take over with ``{"take_over": true}``."""
    body = await _json_object(request) if request.can_read_body else {}
    if body is None:
        return api_error(400, "bad_request", "JSON で送ってください。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    try:
        turn = await request.app[keys.CASES].claim(
            ref, member, take_over=body.get("take_over") is True
        )
    except CaseError as exc:
        return _case_error(exc)
    await audit(request, member.login, "case.claim", ref, take_over=body.get("take_over") is True)
    return web.json_response({"conversation": request.app[keys.CASES].summary(turn.conversation)})


@requires("responder")
async def send(request: web.Request) -> web.StreamResponse:
    """Send a responder's text to the user through the outbox."""
    body = await _json_object(request)
    if body is None or not isinstance(body.get("text"), str):
        return api_error(400, "bad_request", "text を JSON で送ってください。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    desk = request.app[keys.CASES]
    try:
        turn = await desk.send(
            ref, member, body["text"], confirm_other=body.get("confirm_other") is True
        )
    except CaseError as exc:
        return _case_error(exc)
    await audit(request, member.login, "case.message", ref)
    messages = await desk.thread(turn.conversation)
    sent = [m for m in messages["messages"] if m["id"] in {e.id for e in turn.logged}]
    return web.json_response(
        {"message": sent[0] if sent else None, "conversation": desk.summary(turn.conversation)}
    )


@requires("responder")
async def note(request: web.Request) -> web.StreamResponse:
    """Add an internal note (never sent to the user)."""
    body = await _json_object(request)
    if body is None or not isinstance(body.get("text"), str):
        return api_error(400, "bad_request", "text を JSON で送ってください。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    try:
        turn = await request.app[keys.CASES].note(ref, member, body["text"])
    except CaseError as exc:
        return _case_error(exc)
    await audit(request, member.login, "case.note", ref)
    return web.json_response({"note": note_json(turn.logged[0])})


@requires("supervisor")
async def assign(request: web.Request) -> web.StreamResponse:
    """A supervisor hands a case to a colleague: ``{"login": ...}``."""
    body = await _json_object(request)
    if body is None or not isinstance(body.get("login"), str):
        return api_error(400, "bad_request", "login を JSON で送ってください。")
    target = await request.app[keys.STORE].staff_by_login(body["login"])
    if target is None:
        return api_error(404, "unknown_staff", "その ログイン名の スタッフは いません。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    try:
        turn = await request.app[keys.CASES].assign(ref, member, target)
    except CaseError as exc:
        return _case_error(exc)
    await audit(request, member.login, "case.assign", ref, to=target.login)
    return web.json_response({"conversation": request.app[keys.CASES].summary(turn.conversation)})


@requires("responder")
async def close(request: web.Request) -> web.StreamResponse:
    """Close a case with its record: category, response type, note, referrals made."""
    body = await _json_object(request)
    if body is None:
        return api_error(400, "bad_request", "JSON で送ってください。")
    category, response_type = body.get("category"), body.get("response_type")
    note_text = body.get("note", "")
    referrals = body.get("referrals", [])
    catalog = request.app[keys.CONTENT].catalog
    if not isinstance(category, str) or catalog.category(category) is None:
        known = ", ".join(c.key for c in catalog.categories)
        return api_error(400, "bad_category", f"category は 次の どれかです: {known}")
    if not isinstance(response_type, str) or catalog.response_type(response_type) is None:
        known = ", ".join(c.key for c in catalog.response_types)
        return api_error(400, "bad_response_type", f"response_type は 次の どれかです: {known}")
    if not isinstance(note_text, str) or len(note_text) > MAX_CLOSE_NOTE:
        return api_error(400, "bad_note", f"note は {MAX_CLOSE_NOTE} 文字までの 文字列です。")
    if (
        not isinstance(referrals, list)
        or len(referrals) > MAX_REFERRALS
        or not all(isinstance(r, str) and 0 < len(r) <= 100 for r in referrals)
    ):
        return api_error(400, "bad_referrals", "referrals は 文字列の リストです。")
    member: StaffMember = request[STAFF]
    ref = request.match_info["ref"]
    record = {
        "category": category,
        "response_type": response_type,
        "note": note_text,
        "referrals": referrals,
    }
    try:
        turn = await request.app[keys.CASES].close(ref, member, record)
    except CaseError as exc:
        return _case_error(exc)
    await audit(
        request, member.login, "case.close", ref, category=category, response_type=response_type
    )
    return web.json_response({"conversation": request.app[keys.CASES].summary(turn.conversation)})


@requires("supervisor")
async def staff_list(request: web.Request) -> web.StreamResponse:
    """List staff with their role, on-duty switch and shifts of the coming week in Japan time."""
    members = [m for m in await request.app[keys.STORE].list_staff() if m.active]
    plan = request.app[keys.CONTENT].shifts
    now = request.app[keys.CLOCK].now()
    # shifts.yaml is checked without the store, so a misspelt login shows up here instead.
    known = {m.login for m in members}
    return web.json_response(
        {
            "staff": [
                {**_me(m), **_shift_fields(plan.of(m.login), now, JAPAN, "shifts_jst")}
                for m in members
            ],
            "shifts_without_staff": sorted(set(plan.patterns) - known),
        }
    )


async def openapi(request: web.Request) -> web.StreamResponse:
    """Return the OpenAPI description of this API."""
    return web.json_response(OPENAPI)


def setup(app: web.Application) -> None:
    """Add the operator API routes."""
    app[THROTTLE] = LoginThrottle()
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    app.router.add_put("/api/me/duty", duty)
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/api/conversations", conversations)
    app.router.add_get("/api/conversations/{ref}", conversation)
    app.router.add_post("/api/conversations/{ref}/claim", claim)
    app.router.add_post("/api/conversations/{ref}/messages", send)
    app.router.add_post("/api/conversations/{ref}/notes", note)
    app.router.add_post("/api/conversations/{ref}/assign", assign)
    app.router.add_post("/api/conversations/{ref}/close", close)
    app.router.add_get("/api/staff", staff_list)


# An argon2id hash of a random string: checked when the login is unknown (see ``login``).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$vNms/VDqkHiRF1jLgq9nrw$F/lbHT7Mr/YEgmu19QonzYoesdxOrh5OBYITbctHgMM"

_ERROR = {"$ref": "#/components/schemas/Error"}
_ME = {"$ref": "#/components/schemas/Me"}
_SHIFT = {
    "type": "object",
    "required": ["start", "end", "label"],
    "properties": {
        "start": {"type": "string", "format": "date-time"},
        "end": {"type": "string", "format": "date-time"},
        "label": {"type": "string", "description": "e.g. 11/24(火) 22:00–翌02:00"},
    },
}
_SHIFT_FIELDS = {
    "shift_timezone": {
        "type": ["string", "null"],
        "description": "the zone the shifts are written in (operators/shifts.yaml)",
    },
    "on_shift_now": {"type": "boolean", "description": "by the plan; on_duty decides handoffs"},
}


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": ok}}}
    }
    for status in errors:
        answers[str(status)] = {
            "description": "error",
            "content": {"application/json": {"schema": _ERROR}},
        }
    return answers


_CSRF = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"}}]
_REF = {"name": "ref", "in": "path", "required": True, "schema": {"type": "string"}}
_SUMMARY = {"$ref": "#/components/schemas/Conversation"}
_CONVERSATION = {"type": "object", "properties": {"conversation": _SUMMARY}}
_MESSAGE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "direction": {"enum": ["in", "out"]},
        "author": {"enum": ["user", "bot", "staff"]},
        "staff": {"type": ["string", "null"]},
        "kind": {"type": "string"},
        "text": {"type": ["string", "null"]},
        "at": {"type": "string", "format": "date-time"},
        "delivery": {
            "enum": ["queued", "sent", "failed", "waiting_quota", "uncertain", "skipped", None]
        },
    },
}
_NOTE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "author": {"type": ["string", "null"]},
        "text": {"type": "string"},
        "at": {"type": "string", "format": "date-time"},
    },
}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "staff-facing id; never the LINE user id"},
        "pseudonym": {"type": "string"},
        "topic": {"enum": ["youth", "mothers", "general"]},
        "mode": {"enum": ["handoff", "vent", "message"]},
        "status": {"enum": ["waiting", "active", "closed"]},
        "risk": {"enum": ["none", "concern", "high"]},
        "night": {"type": "boolean"},
        "opened_at": _TIME,
        "waiting_since": _TIME,
        "claimed_at": _TIME,
        "closed_at": _TIME,
        "last_message_at": _TIME,
        "assigned": {
            "type": ["object", "null"],
            "properties": {"id": {"type": "string"}, "display_name": {"type": "string"}},
        },
        "intake": {
            "type": "object",
            "properties": {
                "age_band": {"type": ["string", "null"]},
                "gender": {"type": ["string", "null"]},
                "prefecture": {"type": ["string", "null"]},
            },
        },
        "alerted": {"type": "boolean"},
        "blocked": {"type": "boolean"},
        "version": {"type": "integer"},
    },
}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": bool(required),
        "content": {
            "application/json": {
                "schema": {"type": "object", "required": required, "properties": properties}
            }
        },
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "yorisoi operator API", "version": "0.1.0"},
    "components": {
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": COOKIE}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
            "Conversation": _SUMMARY_SCHEMA,
            "Me": {
                "type": "object",
                "required": ["login", "display_name", "role", "on_duty"],
                "properties": {
                    "login": {"type": "string"},
                    "display_name": {"type": "string"},
                    "role": {"enum": ["responder", "supervisor", "admin"]},
                    "on_duty": {"type": "boolean"},
                },
            },
        },
    },
    "paths": {
        "/api/login": {
            "post": {
                "summary": "Sign in; sets the session cookie and returns the CSRF token",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["login", "password"],
                                "properties": {
                                    "login": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {"csrf_token": {"type": "string"}, "staff": _ME},
                    },
                    400,
                    401,
                    429,
                ),
            }
        },
        "/api/logout": {
            "post": {
                "summary": "End the session",
                "security": [{"session": []}],
                "parameters": _CSRF,
                "responses": _responses({"type": "object"}, 401, 403),
            }
        },
        "/api/me": {
            "get": {
                "summary": "The signed-in staff member, with their shifts of the coming 7 days",
                "security": [{"session": []}],
                "responses": _responses(
                    {
                        "allOf": [
                            _ME,
                            {
                                "type": "object",
                                "properties": {
                                    **_SHIFT_FIELDS,
                                    "shifts_local": {
                                        "type": "array",
                                        "items": _SHIFT,
                                        "description": "in the member's own time zone",
                                    },
                                },
                            },
                        ]
                    },
                    401,
                ),
            }
        },
        "/api/conversations": {
            "get": {
                "summary": "The queue: waiting, active, closed or mine (risk first, then waiting time)",
                "security": [{"session": []}],
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": list(QUEUE_VIEWS), "default": "waiting"},
                    }
                ],
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {"conversations": {"type": "array", "items": _SUMMARY}},
                    },
                    400,
                    401,
                ),
            }
        },
        "/api/conversations/{ref}": {
            "get": {
                "summary": "One conversation's thread and notes (audited; marks the user's messages read)",
                "security": [{"session": []}],
                "parameters": [_REF],
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {
                            "conversation": _SUMMARY,
                            "messages": {"type": "array", "items": _MESSAGE},
                            "notes": {"type": "array", "items": _NOTE},
                        },
                    },
                    401,
                    403,
                    404,
                ),
            }
        },
        "/api/conversations/{ref}/claim": {
            "post": {
                "summary": "Take a waiting case; a supervisor may take over with take_over",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body({"take_over": {"type": "boolean"}}, []),
                "responses": _responses(_CONVERSATION, 401, 403, 404, 409),
            }
        },
        "/api/conversations/{ref}/messages": {
            "post": {
                "summary": "Send a text to the user through the outbox (with the responder's name)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body(
                    {
                        "text": {"type": "string", "maxLength": 5000},
                        "confirm_other": {"type": "boolean"},
                    },
                    ["text"],
                ),
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {"message": _MESSAGE, "conversation": _SUMMARY},
                    },
                    400,
                    401,
                    403,
                    404,
                    409,
                ),
            }
        },
        "/api/conversations/{ref}/notes": {
            "post": {
                "summary": "Add an internal note (never sent to the user)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body({"text": {"type": "string", "maxLength": 5000}}, ["text"]),
                "responses": _responses(
                    {"type": "object", "properties": {"note": _NOTE}}, 400, 401, 403, 404
                ),
            }
        },
        "/api/conversations/{ref}/assign": {
            "post": {
                "summary": "Hand a case to a colleague (supervisor)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body({"login": {"type": "string"}}, ["login"]),
                "responses": _responses(_CONVERSATION, 400, 401, 403, 404, 409),
            }
        },
        "/api/conversations/{ref}/close": {
            "post": {
                "summary": "Close a case with its record (categories from operators/records.yaml)",
                "security": [{"session": []}],
                "parameters": [_REF, *_CSRF],
                "requestBody": _body(
                    {
                        "category": {"type": "string"},
                        "response_type": {"type": "string"},
                        "note": {"type": "string", "maxLength": MAX_CLOSE_NOTE},
                        "referrals": {"type": "array", "items": {"type": "string"}},
                    },
                    ["category", "response_type"],
                ),
                "responses": _responses(_CONVERSATION, 400, 401, 403, 404, 409),
            }
        },
        "/api/canned": {
            "get": {
                "summary": "Canned replies (operators/canned.yaml), optionally for one topic",
                "security": [{"session": []}],
                "parameters": [
                    {
                        "name": "topic",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["youth", "mothers", "general"]},
                    }
                ],
                "responses": _responses({"type": "object"}, 401),
            }
        },
        "/api/records": {
            "get": {
                "summary": "Close-form choices (operators/records.yaml)",
                "security": [{"session": []}],
                "responses": _responses({"type": "object"}, 401),
            }
        },
        "/api/staff": {
            "get": {
                "summary": "Staff, who is on duty, and their shifts of the coming 7 days (supervisor)",
                "security": [{"session": []}],
                "responses": _responses(
                    {
                        "type": "object",
                        "properties": {
                            "staff": {
                                "type": "array",
                                "items": {
                                    "allOf": [
                                        _ME,
                                        {
                                            "type": "object",
                                            "properties": {
                                                **_SHIFT_FIELDS,
                                                "shifts_jst": {
                                                    "type": "array",
                                                    "items": _SHIFT,
                                                    "description": "in Japan time",
                                                },
                                            },
                                        },
                                    ]
                                },
                            },
                            "shifts_without_staff": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "logins in operators/shifts.yaml with no active account",
                            },
                        },
                    },
                    401,
                    403,
                ),
            }
        },
        "/api/me/duty": {
            "put": {
                "summary": "Switch on or off duty",
                "security": [{"session": []}],
                "parameters": _CSRF,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["on_duty"],
                                "properties": {"on_duty": {"type": "boolean"}},
                            }
                        }
                    },
                },
                "responses": _responses(_ME, 400, 401, 403),
            }
        },
    },
}
