"""The operator JSON API under ``/api/``: sign-in, who am I, the on-duty switch.

The operator view (a browser page) and any other staff tool sit on this API. Conversation
routes (queue, claim, reply, close) come with the handoff work; every read of a
conversation will be written to the audit log through ``auth.audit``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from yorisoi import keys
from yorisoi.admin.staff import verify
from yorisoi.operators.auth import (
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
from yorisoi.store.port import StaffMember


def _me(member: StaffMember) -> dict[str, Any]:
    return {
        "login": member.login,
        "display_name": member.display_name,
        "role": member.role,
        "on_duty": member.on_duty,
    }


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json(loads=json.loads)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def login(request: web.Request) -> web.StreamResponse:
    """Sign in with login and password; set the session cookie; return the CSRF token."""
    body = await _json_object(request)
    if body is None or not isinstance(body.get("login"), str) or not isinstance(body.get("password"), str):
        return api_error(400, "bad_request", "login と password を JSON で送ってください。")
    login_name = body["login"][:64]
    now = request.app[keys.CLOCK].now()
    throttle = request.app[THROTTLE]
    if throttle.blocked(login_name, now):
        await audit(request, login_name, "staff.login_throttled")
        return api_error(429, "too_many_attempts", "失敗が続いたため、しばらく サインインできません。15分後に もう一度 試してください。")
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
    """End this session."""
    await request.app[keys.STORE].delete_session(request[SESSION_HASH])
    await audit(request, request[STAFF].login, "staff.logout")
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE, path="/")
    return response


@requires("responder")
async def me(request: web.Request) -> web.StreamResponse:
    """Return the signed-in staff member."""
    return web.json_response(_me(request[STAFF]))


@requires("responder")
async def duty(request: web.Request) -> web.StreamResponse:
    """Switch the signed-in staff member on or off duty."""
    body = await _json_object(request)
    if body is None or not isinstance(body.get("on_duty"), bool):
        return api_error(400, "bad_request", 'on_duty を true か false で送ってください。')
    member: StaffMember = request[STAFF]
    await request.app[keys.STORE].set_on_duty(member.id, body["on_duty"])
    await audit(request, member.login, "staff.duty", on_duty=body["on_duty"])
    updated = await request.app[keys.STORE].staff_by_id(member.id)
    assert updated is not None
    return web.json_response(_me(updated))


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


# An argon2id hash of a random string: checked when the login is unknown (see ``login``).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$vNms/VDqkHiRF1jLgq9nrw$F/lbHT7Mr/YEgmu19QonzYoesdxOrh5OBYITbctHgMM"

_ERROR = {"$ref": "#/components/schemas/Error"}
_ME = {"$ref": "#/components/schemas/Me"}


def _responses(ok: dict[str, Any], *errors: int) -> dict[str, Any]:
    answers: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for status in errors:
        answers[str(status)] = {"description": "error", "content": {"application/json": {"schema": _ERROR}}}
    return answers


_CSRF = [{"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"}}]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "yorisoi operator API", "version": "0.1.0"},
    "components": {
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": COOKIE}},
        "schemas": {
            "Error": {"type": "object", "required": ["error", "message"],
                      "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
            "Me": {"type": "object", "required": ["login", "display_name", "role", "on_duty"],
                   "properties": {"login": {"type": "string"}, "display_name": {"type": "string"},
                                  "role": {"enum": ["responder", "supervisor", "admin"]},
                                  "on_duty": {"type": "boolean"}}},
        },
    },
    "paths": {
        "/api/login": {"post": {
            "summary": "Sign in; sets the session cookie and returns the CSRF token",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["login", "password"],
                "properties": {"login": {"type": "string"}, "password": {"type": "string"}}}}}},
            "responses": _responses({"type": "object", "properties": {
                "csrf_token": {"type": "string"}, "staff": _ME}}, 400, 401, 429),
        }},
        "/api/logout": {"post": {"summary": "End the session", "security": [{"session": []}],
                                 "parameters": _CSRF,
                                 "responses": _responses({"type": "object"}, 401, 403)}},
        "/api/me": {"get": {"summary": "The signed-in staff member", "security": [{"session": []}],
                            "responses": _responses(_ME, 401)}},
        "/api/me/duty": {"put": {
            "summary": "Switch on or off duty", "security": [{"session": []}], "parameters": _CSRF,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["on_duty"], "properties": {"on_duty": {"type": "boolean"}}}}}},
            "responses": _responses(_ME, 400, 401, 403),
        }},
    },
}
