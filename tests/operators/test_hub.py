"""Live updates: who hears which event, a slow listener, and the websocket through the real app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from harness import LinePlatform, settings_for

from yorisoi import keys
from yorisoi.admin.staff import add_staff
from yorisoi.clock import FakeClock
from yorisoi.operators.hub import HUB, QUEUE_SIZE, RESYNC, Hub
from yorisoi.store.records import StaffMember

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def member(login: str, role: str = "responder") -> StaffMember:
    return StaffMember(
        id=login, login=login, display_name=login, role=role, password_hash="-", created_at=NOW
    )


def by_topic(staff: StaffMember, summary: dict[str, Any]) -> bool:
    """A stand-in for cases.visible_to: sato works on youth only."""
    if staff.role != "responder":
        return True
    assigned = summary.get("assigned") or {}
    return summary.get("topic") == "youth" or assigned.get("login") == staff.login


def drained(queue: asyncio.Queue[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_events_reach_only_staff_who_may_see_the_case() -> None:
    hub = Hub(by_topic)
    async with (
        hub.subscribe(member("sato"), "s1") as sato,
        hub.subscribe(member("ito"), "s2") as ito,
        hub.subscribe(member("boss", "supervisor"), "s3") as boss,
    ):
        hub.publish({"type": "conversation", "id": "c1", "topic": "youth", "assigned": None})
        hub.publish({"type": "conversation", "id": "c2", "topic": "mothers", "assigned": None})
        hub.publish(
            {"type": "conversation", "id": "c3", "topic": "mothers", "assigned": {"login": "ito"}}
        )

        assert [e["id"] for e in drained(sato.queue)] == ["c1"]
        assert [e["id"] for e in drained(ito.queue)] == ["c1", "c3"]  # by_topic lets ito see youth
        assert [e["id"] for e in drained(boss.queue)] == ["c1", "c2", "c3"]


async def test_a_later_event_borrows_topic_and_assignee_from_an_earlier_one() -> None:
    hub = Hub(by_topic)
    async with hub.subscribe(member("sato"), "s1") as sato:
        hub.publish(
            {"type": "conversation", "id": "c2", "topic": "mothers", "assigned": {"login": "sato"}}
        )
        hub.publish({"type": "delivery", "id": "c2", "message_id": "m1", "delivery": "failed"})
        hub.publish({"type": "delivery", "id": "c9", "message_id": "m2", "delivery": "failed"})

        events = drained(sato.queue)

    # c9 was never seen: nothing says sato may see it, so sato does not hear of it.
    assert [(e["type"], e["id"]) for e in events] == [("conversation", "c2"), ("delivery", "c2")]
    assert events[1]["topic"] == "mothers"


async def test_the_default_rule_follows_topics_and_assignment() -> None:
    hub = Hub()
    youth_only = member("sato")
    youth_only.topics = ["youth"]
    async with (
        hub.subscribe(youth_only, "s1") as sato,
        hub.subscribe(member("ito"), "s2") as ito,  # no topics: all of them
        hub.subscribe(member("abe", "admin"), "s3") as abe,
    ):
        hub.publish({"type": "conversation", "id": "c1", "topic": "youth", "assigned_to": None})
        hub.publish({"type": "conversation", "id": "c2", "topic": "mothers", "assigned_to": None})
        hub.publish(
            {"type": "conversation", "id": "c3", "topic": "mothers", "assigned_to": "sato"}
        )  # staff ids: member() uses the login as id
        hub.publish({"type": "delivery", "id": "c3", "message_id": "m1", "delivery": "failed"})
        hub.publish({"type": "conversation", "id": "c3", "assigned": {"id": "ito"}})
        hub.publish({"type": "delivery", "id": "c4", "message_id": "m2", "delivery": "failed"})

        assert [e["id"] for e in drained(sato.queue)] == ["c1", "c3", "c3"]
        assert [e["id"] for e in drained(ito.queue)] == ["c1", "c2", "c3", "c3", "c3"]
        assert [e["id"] for e in drained(abe.queue)] == ["c1", "c2", "c3", "c3", "c3", "c4"]


async def test_a_listener_that_falls_behind_gets_one_resync() -> None:
    hub = Hub(by_topic)
    async with hub.subscribe(member("boss", "supervisor"), "s") as boss:
        for n in range(QUEUE_SIZE + 50):
            hub.publish({"type": "conversation", "id": f"c{n}", "topic": "youth"})

        assert drained(boss.queue) == [RESYNC]
        assert boss.behind  # until the resync is sent, nothing more piles up


async def test_publish_never_raises() -> None:
    def broken(staff: StaffMember, summary: dict[str, Any]) -> bool:
        raise RuntimeError("boom")

    hub = Hub(broken)
    async with (
        hub.subscribe(member("sato"), "s1") as sato,
        hub.subscribe(member("boss", "supervisor"), "s2") as boss,
    ):
        hub.publish({"type": "conversation", "id": "c1", "topic": "youth"})
        hub.publish({"id": object()})  # not even JSON: still no exception

        assert drained(sato.queue) == []  # when in doubt, a responder hears nothing
        assert [e["id"] for e in drained(boss.queue) if e.get("type")] == ["c1"]


# --- through the real app ------------------------------------------------------------------


@pytest.fixture
async def app_client(
    line: LinePlatform, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[TestClient]:
    from yorisoi.app import create_app

    app = create_app(settings_for(tmp_path, line.url, secure_cookies=False), clock=clock)
    client = TestClient(TestServer(app))
    await client.start_server()
    store = app[keys.STORE]
    await add_staff(store, "sato", "responder", PASSWORD, clock.now(), display_name="佐藤")
    await add_staff(store, "tanaka", "supervisor", PASSWORD, clock.now(), display_name="田中")
    try:
        yield client
    finally:
        await client.close()


async def signed_in_client(client: TestClient, login: str) -> aiohttp.ClientSession:
    """A browser of its own (own cookie jar) signed in as ``login``."""
    other = aiohttp.ClientSession(
        base_url=str(client.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    response = await other.post("/api/login", json={"login": login, "password": PASSWORD})
    assert response.status == 200
    return other


async def test_the_socket_needs_a_session_and_this_site(app_client: TestClient) -> None:
    anonymous = await app_client.get("/api/live")
    assert anonymous.status == 401
    tanaka = await signed_in_client(app_client, "tanaka")
    try:
        foreign = await tanaka.get("/api/live", headers={"Origin": "https://evil.example"})
        assert foreign.status == 403
    finally:
        await tanaka.close()


async def test_events_arrive_over_the_socket_and_shutdown_closes_it(app_client: TestClient) -> None:
    tanaka = await signed_in_client(app_client, "tanaka")
    sato = await signed_in_client(app_client, "sato")
    try:
        origin = str(app_client.make_url("/")).rstrip("/")
        lead_ws = await tanaka.ws_connect("/api/live", headers={"Origin": origin})
        sato_ws = await sato.ws_connect("/api/live")
        assert (await lead_ws.receive_json(timeout=5))["type"] == "hello"
        assert (await sato_ws.receive_json(timeout=5)) == {"type": "hello", "login": "sato"}
        hub = app_client.server.app[HUB]  # type: ignore[union-attr]
        assert hub.connections == 2

        hub.publish(
            {
                "type": "conversation",
                "id": "c1",
                "version": 2,
                "status": "waiting",
                "risk": "high",
                "topic": "mothers",
                "assigned": None,
            }
        )
        hub.publish(
            {
                "type": "conversation",
                "id": "c2",
                "version": 1,
                "status": "active",
                "risk": "none",
                "topic": "youth",
                "assigned": {"login": "sato"},
            }
        )

        assert (await lead_ws.receive_json(timeout=5))["id"] == "c1"
        assert (await lead_ws.receive_json(timeout=5))["id"] == "c2"
        # sato has no topics set, so every topic is theirs (topic filtering: the tests above)
        assert (await sato_ws.receive_json(timeout=5))["id"] == "c1"
        assert (await sato_ws.receive_json(timeout=5))["id"] == "c2"

        assert await hub.disconnect() == 2
        closed = await sato_ws.receive(timeout=5)
        assert closed.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        await lead_ws.close()
        await sato_ws.close()
    finally:
        await tanaka.close()
        await sato.close()


async def test_a_socket_whose_session_ended_is_closed(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yorisoi.operators import hub as hub_module
    from yorisoi.operators.auth import COOKIE, token_hash

    monkeypatch.setattr(hub_module, "RECHECK", 0.05)
    sato = await signed_in_client(app_client, "sato")
    try:
        ws = await sato.ws_connect("/api/live")
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        cookie = next(c for c in sato.cookie_jar if c.key == COOKIE)
        store = app_client.server.app[keys.STORE]  # type: ignore[union-attr]
        await store.delete_session(token_hash(cookie.value))  # e.g. signed out elsewhere
        closed = await ws.receive(timeout=5)
        assert closed.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        await ws.close()
    finally:
        await sato.close()
