"""The demo page's API, against the real app in demo mode served over loopback HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from harness import demo_settings

from yorisoi import keys
from yorisoi.app import create_app
from yorisoi.clock import FakeClock
from yorisoi.demo import routes
from yorisoi.line.standin import StandIn

MENU = ["よくある質問", "モヤモヤを話す", "相談員と話す"]


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[TestClient]:
    """The app in demo mode; TestServer is a real server, which the demo posts to."""
    app = create_app(demo_settings(tmp_path), clock=FakeClock())
    async with TestClient(TestServer(app)) as client:
        yield client


def standin_of(client: TestClient) -> StandIn:
    standin = client.app[keys.STANDIN]  # type: ignore[index]
    assert standin is not None
    return standin


async def new_user(client: TestClient) -> str:
    response = await client.post("/demo/api/users")
    assert response.status == 200
    return str((await response.json())["userId"])


async def send(client: TestClient, user_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/demo/api/events", json={"userId": user_id, "kind": kind, **fields}
    )
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    return body


async def messages_until(client: TestClient, user_id: str, count: int) -> list[dict[str, Any]]:
    """Long-poll from the start until ``count`` bot messages have arrived."""
    arrived: list[dict[str, Any]] = []
    cursor = 0
    while len(arrived) < count:
        response = await client.get(
            "/demo/api/messages", params={"user": user_id, "after": cursor, "wait": 5}
        )
        assert response.status == 200
        body = await response.json()
        assert body["messages"], f"no new message within 5 s; so far {arrived!r}"
        arrived += body["messages"]
        cursor = body["next"]
    assert cursor == len(arrived)
    return arrived


def text_of(item: dict[str, Any]) -> str:
    message = item["message"]
    if message["type"] == "template":
        return str(message["template"]["text"])
    return str(message["text"])


def quick_reply(item: dict[str, Any], label: str) -> dict[str, Any]:
    for choice in item["message"]["quickReply"]["items"]:
        if choice["action"]["label"] == label:
            return dict(choice["action"])
    raise AssertionError(f"no quick reply {label!r}")


async def test_a_new_user_is_followed_and_greeted(demo: TestClient) -> None:
    user = await new_user(demo)
    assert re.fullmatch(r"U[0-9a-f]{32}", user)

    answer = await send(demo, user, "follow")

    assert answer["status"] == 200 and answer["blocked"] is False
    assert answer["entry"]["text"] == "友だち追加しました"
    greeting = await messages_until(demo, user, 3)
    assert [m["seq"] for m in greeting] == [0, 1, 2]
    assert [m["via"] for m in greeting] == ["reply"] * 3
    assert "友だち追加" in text_of(greeting[0]) and "利用規約" in text_of(greeting[1])
    labels = [i["action"]["label"] for i in greeting[2]["message"]["quickReply"]["items"]]
    assert labels == MENU


async def test_text_shows_the_menu_again_and_the_thread_interleaves(demo: TestClient) -> None:
    user = await new_user(demo)
    await send(demo, user, "follow")
    await messages_until(demo, user, 3)

    await send(demo, user, "text", text="こんにちは\nはじめまして")

    arrived = await messages_until(demo, user, 4)
    assert text_of(arrived[3]).startswith("どうしますか")
    response = await demo.get("/demo/api/thread", params={"user": user})
    thread = await response.json()
    assert thread["known"] is True and thread["next"] == 4
    assert [(i["from"], i.get("kind")) for i in thread["items"]] == [
        ("user", "follow"),
        ("bot", None),
        ("bot", None),
        ("bot", None),
        ("user", "text"),
        ("bot", None),
    ]
    assert thread["items"][4]["text"] == "こんにちは\nはじめまして"


async def test_a_quick_reply_postback_gets_its_answer(demo: TestClient) -> None:
    user = await new_user(demo)
    await send(demo, user, "follow")
    greeting = await messages_until(demo, user, 3)
    action = quick_reply(greeting[2], "よくある質問")

    answer = await send(demo, user, "postback", data=action["data"], text=action["displayText"])

    assert answer["entry"] == {
        "from": "user",
        "kind": "postback",
        "text": "よくある質問",
        "at": answer["entry"]["at"],
    }
    arrived = await messages_until(demo, user, 4)
    assert "どんな ことを しらべますか" in text_of(arrived[3])


async def test_a_sticker_and_an_image_reach_the_webhook(demo: TestClient) -> None:
    user = await new_user(demo)
    await send(demo, user, "follow")
    await messages_until(demo, user, 3)

    sticker = await send(demo, user, "sticker", sticker="thanks")
    image = await send(demo, user, "image")

    assert sticker["entry"]["sticker"] == {
        "key": "thanks",
        "face": "m(_ _)m",
        "label": "ありがとう",
    }
    assert image["entry"]["text"] == "[画像]"
    response = await demo.get("/demo/api/thread", params={"user": user})
    kinds = [i.get("kind") for i in (await response.json())["items"] if i["from"] == "user"]
    assert kinds == ["follow", "sticker", "image"]


async def test_block_then_unblock_is_welcomed_back(demo: TestClient) -> None:
    user = await new_user(demo)
    await send(demo, user, "follow")
    await messages_until(demo, user, 3)

    blocked = await send(demo, user, "unfollow")
    refused = await demo.post(
        "/demo/api/events", json={"userId": user, "kind": "text", "text": "hi"}
    )
    unblocked = await send(demo, user, "follow", unblocked=True)

    assert blocked["blocked"] is True and blocked["entry"]["text"] == "ブロックしました"
    assert refused.status == 409 and (await refused.json())["error"] == "blocked"
    assert unblocked["blocked"] is False
    arrived = await messages_until(demo, user, 4)
    assert text_of(arrived[3]).startswith("おかえりなさい")
    thread = await (await demo.get("/demo/api/thread", params={"user": user})).json()
    assert thread["blocked"] is False
    assert thread["items"][-2]["text"] == "ブロックを解除しました"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"userId": "U123", "kind": "text", "text": "hi"}, "bad_user"),
        ({"userId": "U" + "A" * 32, "kind": "text", "text": "hi"}, "bad_user"),
        ({"userId": "U" + "a" * 32, "kind": "video"}, "bad_kind"),
        ({"userId": "U" + "a" * 32, "kind": "text", "text": "あ" * 5001}, "text_too_long"),
        ({"userId": "U" + "a" * 32, "kind": "text", "text": "  "}, "empty_text"),
        ({"userId": "U" + "a" * 32, "kind": "text", "text": 5}, "bad_text"),
        ({"userId": "U" + "a" * 32, "kind": "postback"}, "empty_data"),
        ({"userId": "U" + "a" * 32, "kind": "follow", "unblocked": "yes"}, "bad_unblocked"),
        ({"userId": "U" + "a" * 32, "kind": "sticker", "sticker": "nope"}, "bad_sticker"),
        (["not", "an", "object"], "bad_body"),
    ],
)
async def test_bad_events_are_refused(demo: TestClient, body: Any, error: str) -> None:
    response = await demo.post("/demo/api/events", json=body)

    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == error and answer["message"]
    assert standin_of(demo).sent_messages() == []


async def test_bad_reads_are_refused(demo: TestClient) -> None:
    user = "U" + "b" * 32
    bad_json = await demo.post(
        "/demo/api/events", data=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status == 400 and (await bad_json.json())["error"] == "bad_json"
    for path, params, error in [
        ("/demo/api/messages", {"user": "someone"}, "bad_user"),
        ("/demo/api/messages", {"user": user, "after": "-1"}, "bad_after"),
        ("/demo/api/messages", {"user": user, "after": "x"}, "bad_after"),
        ("/demo/api/messages", {"user": user, "wait": "soon"}, "bad_wait"),
        ("/demo/api/messages", {"user": user, "wait": "60"}, "bad_wait"),
        ("/demo/api/thread", {}, "bad_user"),
    ]:
        response = await demo.get(path, params=params)
        assert response.status == 400, (path, params)
        assert (await response.json())["error"] == error


async def test_a_poll_without_news_answers_empty_and_a_stale_cursor_resets(
    demo: TestClient,
) -> None:
    user = await new_user(demo)

    quiet = await demo.get("/demo/api/messages", params={"user": user, "after": 0, "wait": 0})
    stale = await demo.get("/demo/api/messages", params={"user": user, "after": 7, "wait": 0})

    assert await quiet.json() == {"messages": [], "next": 0}
    assert await stale.json() == {"messages": [], "next": 0, "reset": True}


async def test_shutdown_ends_open_long_polls(demo: TestClient) -> None:
    user = await new_user(demo)

    # What the app's on_shutdown hook does; without it this poll would be held for 20 s.
    demo.app[routes.JOURNAL].closing.set()  # type: ignore[index]
    response = await asyncio.wait_for(
        demo.get("/demo/api/messages", params={"user": user, "after": 0, "wait": 20}), 5
    )

    assert response.status == 200 and await response.json() == {"messages": [], "next": 0}


async def test_a_webhook_refusal_is_reported_as_502(
    demo: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await new_user(demo)
    monkeypatch.setattr(routes, "sign", lambda body, secret: "forged")

    response = await demo.post("/demo/api/events", json={"userId": user, "kind": "follow"})

    assert response.status == 502
    body = await response.json()
    assert body["status"] == 401 and "届けられませんでした" in body["message"]
    assert body["entry"]["failed"] is True


async def test_the_page_and_its_files_are_served(demo: TestClient) -> None:
    page = await demo.get("/demo")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    assert "よりそい（デモ）" in html and "LINE には 届きません" in html
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    for name, kind in [("demo.js", "javascript"), ("demo.css", "text/css")]:
        response = await demo.get(f"/demo/static/{name}")
        assert response.status == 200 and kind in response.content_type
    stickers = await (await demo.get("/demo/api/stickers")).json()
    assert [s["key"] for s in stickers["stickers"]] == list(routes.STICKERS)
    assert (await demo.get("/demo/static/../routes.py")).status in (403, 404)


async def test_demo_mode_sends_the_on_call_alert_to_a_stand_in_user(tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from yorisoi.config import DEMO_ONCALL_USER

    clock = FakeClock(datetime(2026, 11, 25, 3, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    app = create_app(demo_settings(tmp_path), clock=clock)
    async with TestClient(TestServer(app)) as client:
        user = await new_user(client)
        await send(client, user, "follow")
        await messages_until(client, user, 3)
        await send(client, user, "text", text="薬を全部飲んだ")
        arrived = await messages_until(client, user, 6)
        assert "安全なところにいますか" in text_of(arrived[3])
        await client.app[keys.SCHEDULER].run_due()  # type: ignore[index]
        alerts = standin_of(client).sent_messages(DEMO_ONCALL_USER)
        assert len(alerts) == 1 and "/operator/c/" in alerts[0].message["text"]
