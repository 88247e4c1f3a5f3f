"""Staff handlers of the operator API: sign-in and out, the on-duty switch, the staff list."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from yorisoi import keys
from yorisoi.admin.staff import verify
from yorisoi.operators.api.openapi import OPENAPI
from yorisoi.operators.api.shapes import me_json, shift_fields
from yorisoi.operators.auth import (
    COOKIE,
    SESSION_HASH,
    STAFF,
    THROTTLE,
    api_error,
    audit,
    requires,
    set_cookie,
    start_session,
)
from yorisoi.operators.hub import HUB
from yorisoi.operators.shifts import JAPAN
from yorisoi.store.records import StaffMember


async def json_object(request: web.Request) -> dict[str, Any] | None:
    """Return the request's JSON body if it is an object, else None."""
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
    body = await json_object(request)
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
    response = web.json_response({"csrf_token": csrf, "staff": me_json(member)})
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
    return web.json_response(
        {**me_json(member), **shift_fields(pattern, now, zone, "shifts_local")}
    )


@requires("responder")
async def duty(request: web.Request) -> web.StreamResponse:
    """Switch the signed-in staff member on or off duty."""
    body = await json_object(request)
    if body is None or not isinstance(body.get("on_duty"), bool):
        return api_error(400, "bad_request", "on_duty を true か false で送ってください。")
    member: StaffMember = request[STAFF]
    await request.app[keys.STORE].set_on_duty(member.id, body["on_duty"])
    await audit(request, member.login, "staff.duty", on_duty=body["on_duty"])
    updated = await request.app[keys.STORE].staff_by_id(member.id)
    assert updated is not None
    return web.json_response(me_json(updated))


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
                {**me_json(m), **shift_fields(plan.of(m.login), now, JAPAN, "shifts_jst")}
                for m in members
            ],
            "shifts_without_staff": sorted(set(plan.patterns) - known),
        }
    )


async def openapi(request: web.Request) -> web.StreamResponse:
    """Return the OpenAPI description of this API."""
    return web.json_response(OPENAPI)


# An argon2id hash of a random string: checked when the login is unknown (see ``login``).
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$vNms/VDqkHiRF1jLgq9nrw$F/lbHT7Mr/YEgmu19QonzYoesdxOrh5OBYITbctHgMM"
