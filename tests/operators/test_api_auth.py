"""The operator API's sign-in, sessions, CSRF and roles, through the real app."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from conftest import BotFactory
from harness import Bot

from yorisoi import keys
from yorisoi.admin.staff import add_staff
from yorisoi.operators.auth import COOKIE, requires

PASSWORD = "correct horse battery"


@pytest.fixture
async def staffed(make_bot: BotFactory) -> Bot:
    # The test client speaks plain HTTP, which never carries a Secure cookie back.
    bot = await make_bot(secure_cookies=False)
    store, now = bot.app[keys.STORE], bot.clock.now()
    await add_staff(store, "sato", "responder", PASSWORD, now, display_name="佐藤")
    await add_staff(store, "tanaka", "supervisor", PASSWORD, now)
    return bot


async def sign_in(bot: Bot, login: str = "sato", password: str = PASSWORD) -> tuple[int, Any]:
    response = await bot.client.post("/api/login", json={"login": login, "password": password})
    return response.status, await response.json()


async def test_sign_in_sets_a_strict_http_only_cookie(staffed: Bot) -> None:
    response = await staffed.client.post("/api/login", json={"login": "sato", "password": PASSWORD})
    assert response.status == 200
    body = await response.json()
    assert body["staff"] == {
        "login": "sato",
        "display_name": "佐藤",
        "role": "responder",
        "on_duty": False,
    }
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    stored = await staffed.app[keys.STORE].get_session(token, staffed.clock.now())
    assert stored is None  # only the hash is kept, never the token itself


async def test_cookies_are_secure_by_default_outside_demo_mode(bot: Bot) -> None:
    await add_staff(bot.app[keys.STORE], "abe", "admin", PASSWORD, bot.clock.now())
    response = await bot.client.post("/api/login", json={"login": "abe", "password": PASSWORD})
    assert response.status == 200 and "Secure" in response.headers["Set-Cookie"]


async def test_wrong_passwords_and_unknown_logins_get_the_same_answer(staffed: Bot) -> None:
    wrong = await sign_in(staffed, password="nope nope nope")
    unknown = await sign_in(staffed, login="nobody")
    assert wrong[0] == unknown[0] == 401 and wrong[1] == unknown[1]
    bad = await staffed.client.post(
        "/api/login", data=b"not json", headers={"Content-Type": "application/json"}
    )
    assert bad.status == 400
    # A cross-site form (text/plain) cannot sign anyone in.
    form = await staffed.client.post(
        "/api/login", data='{"login":"sato","password":"x"}', headers={"Content-Type": "text/plain"}
    )
    assert form.status == 415
    entries = await staffed.app[keys.STORE].audit_entries()
    assert [e.action for e in entries][:2] == ["staff.login_failed", "staff.login_failed"]


async def test_repeated_wrong_passwords_lock_the_login_for_a_while(staffed: Bot) -> None:
    for _ in range(5):
        assert (await sign_in(staffed, password="wrong password!"))[0] == 401
    status, body = await sign_in(staffed)  # even the right password, for now
    assert status == 429 and body["error"] == "too_many_attempts"
    assert (await sign_in(staffed, "tanaka"))[0] == 200  # other logins are not affected
    staffed.clock.advance(minutes=15)
    assert (await sign_in(staffed))[0] == 200


async def test_me_and_duty_need_a_session_and_writes_need_the_csrf_token(staffed: Bot) -> None:
    assert (await staffed.client.get("/api/me")).status == 401
    status, body = await sign_in(staffed)
    assert status == 200
    csrf = body["csrf_token"]
    me = await staffed.client.get("/api/me")
    assert me.status == 200 and (await me.json())["login"] == "sato"
    no_token = await staffed.client.put("/api/me/duty", json={"on_duty": True})
    assert no_token.status == 403 and (await no_token.json())["error"] == "csrf"
    wrong_token = await staffed.client.put(
        "/api/me/duty", json={"on_duty": True}, headers={"X-CSRF-Token": "guess"}
    )
    assert wrong_token.status == 403
    on = await staffed.client.put(
        "/api/me/duty", json={"on_duty": True}, headers={"X-CSRF-Token": csrf}
    )
    assert on.status == 200 and (await on.json())["on_duty"] is True
    bad = await staffed.client.put(
        "/api/me/duty", json={"on_duty": "yes"}, headers={"X-CSRF-Token": csrf}
    )
    assert bad.status == 400
    member = await staffed.app[keys.STORE].staff_by_login("sato")
    assert member is not None and member.on_duty


async def test_sessions_expire_and_sign_out_ends_them(staffed: Bot) -> None:
    _, body = await sign_in(staffed)
    staffed.clock.advance(hours=12, seconds=1)
    assert (await staffed.client.get("/api/me")).status == 401
    _, body = await sign_in(staffed)
    out = await staffed.client.post("/api/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status == 200
    assert (await staffed.client.get("/api/me")).status == 401


@requires("supervisor")
async def supervisors_only(request: web.Request) -> web.Response:
    """A handler guarded like the supervisor routes to come."""
    return web.json_response({"ok": True})


async def call_as(bot: Bot, login: str) -> int:
    """Sign in as ``login`` and call ``supervisors_only`` with that session's cookie."""
    await sign_in(bot, login)
    jar = bot.client.session.cookie_jar.filter_cookies(bot.client.make_url("/"))
    headers = {"Cookie": f"{COOKIE}={jar[COOKIE].value}"}
    response = await supervisors_only(
        make_mocked_request("GET", "/x", headers=headers, app=bot.app)
    )
    return response.status


async def test_roles_are_checked(staffed: Bot) -> None:
    assert await call_as(staffed, "sato") == 403  # a responder
    assert await call_as(staffed, "tanaka") == 200  # a supervisor


async def test_openapi_describes_the_routes(staffed: Bot) -> None:
    response = await staffed.client.get("/api/openapi.json")
    spec = await response.json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/login", "/api/logout", "/api/me", "/api/me/duty"} <= set(spec["paths"])


def test_every_api_route_is_described_in_openapi(tmp_path: Any) -> None:
    from harness import settings_for

    from yorisoi.app import create_app
    from yorisoi.operators.api import OPENAPI

    app = create_app(settings_for(tmp_path, "http://127.0.0.1:9"))
    routes = {
        (resource.canonical, route.method.lower())
        for resource in app.router.resources()
        for route in resource
        if resource.canonical.startswith("/api/") and route.method != "HEAD"
    }
    described = {(path, method) for path, item in OPENAPI["paths"].items() for method in item}
    undocumented = routes - described - {("/api/openapi.json", "get"), ("/api/live", "get")}
    assert undocumented == set()
    assert described - routes == set()
