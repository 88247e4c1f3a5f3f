"""yorisoi's LINE client against the stand-in over HTTP: every call reaches LINE_API_ENDPOINT."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from harness import ACCESS_TOKEN, LinePlatform, user

from yorisoi.line.client import LineClient


@pytest.fixture
async def client(line: LinePlatform) -> AsyncIterator[LineClient]:
    opened = LineClient(line.url, ACCESS_TOKEN, timeout=2.0)
    yield opened
    await opened.close()


async def test_reply_push_and_duplicate(client: LineClient, line: LinePlatform) -> None:
    u = user(1)
    token = line.standin.issue_reply_token(u)
    assert (await client.reply(token, [{"type": "text", "text": "a"}])).kind == "ok"
    assert (
        await client.reply(token, [{"type": "text", "text": "a"}])
    ).kind == "invalid_reply_token"
    key = str(uuid.uuid4())
    first = await client.push(u, [{"type": "text", "text": "b"}], key)
    again = await client.push(u, [{"type": "text", "text": "b"}], key)
    assert first.kind == "ok" and first.request_id
    assert again.kind == "duplicate" and again.request_id == first.request_id
    assert [m.message["text"] for m in line.standin.sent_messages(u)] == ["a", "b"]


async def test_errors_are_classified(client: LineClient, line: LinePlatform) -> None:
    u = user(2)
    line.standin.fail_next("/v2/bot/message/push", 503)
    assert (
        await client.push(u, [{"type": "text", "text": "x"}], str(uuid.uuid4()))
    ).kind == "server_error"
    line.standin.set_quota(0)
    limit = await client.push(u, [{"type": "text", "text": "x"}], str(uuid.uuid4()))
    assert limit.kind == "monthly_limit" and limit.status == 429
    line.standin.set_quota(None)
    bad = await client.push(u, [{"type": "text"}], str(uuid.uuid4()))  # no text
    assert bad.kind == "rejected" and bad.status == 400
    wrong = LineClient(line.url, "wrong-token", timeout=2.0)
    try:
        assert (
            await wrong.push(u, [{"type": "text", "text": "x"}], str(uuid.uuid4()))
        ).kind == "unauthorized"
    finally:
        await wrong.close()
    nowhere = LineClient("http://127.0.0.1:9", ACCESS_TOKEN, timeout=2.0)
    try:
        assert (
            await nowhere.push(u, [{"type": "text", "text": "x"}], str(uuid.uuid4()))
        ).kind == "unreachable"
    finally:
        await nowhere.close()


async def test_loading_mark_as_read_and_quota(client: LineClient, line: LinePlatform) -> None:
    u = user(3)
    assert (await client.show_loading(u, 20)).kind == "ok"
    assert (await client.mark_as_read("read-token")).kind == "ok"
    await client.push(u, [{"type": "text", "text": "x"}], str(uuid.uuid4()))
    assert await client.quota() == {"type": "limited", "limit": 200, "used": 1}
    paths = {r.path for r in line.standin.requests}
    assert {
        "/v2/bot/chat/loading/start",
        "/v2/bot/chat/markAsRead",
        "/v2/bot/message/quota",
        "/v2/bot/message/quota/consumption",
    } <= paths
