"""Tests for the on-call alert: a LINE push through the stand-in, and a webhook on a tiny server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import ACCESS_TOKEN, LinePlatform, user

from yorisoi.clock import FakeClock
from yorisoi.line.client import LineClient
from yorisoi.line.standin import PUSH_PATH
from yorisoi.safety.alerts import (
    RISK_ALERT,
    AlertNotDelivered,
    AlertPayloadInvalid,
    OnCall,
    OnCallNotConfigured,
    make_alert_handler,
    risk_alert_job,
)
from yorisoi.schedule import Scheduler
from yorisoi.store.ports import Store
from yorisoi.store.records import Job

STAFF = user(0xCA11)
PATIENT = user(0x7F3A)  # the person who wrote; their id must never reach staff
AT = datetime(2026, 11, 22, 18, 12, tzinfo=UTC)  # 03:12 on Monday 23 November in Tokyo
URL = "https://yorisoi.example.org/operators/c/{ref}"


def job(**overrides: Any) -> Job:
    """Return a risk_alert job as the conversation would book it."""
    values: dict[str, Any] = {
        "conversation_ref": "c-5d1e",
        "pseudonym": "相談者 7F3A",
        "level": "high",
        "at": AT,
        "event_id": "01JEVENT",
    }
    values.update(overrides)
    return risk_alert_job(**values)


@pytest.fixture
async def line_client(line: LinePlatform) -> AsyncIterator[LineClient]:
    """yorisoi's LINE client, talking to the stand-in."""
    client = LineClient(line.url, ACCESS_TOKEN, timeout=2.0)
    try:
        yield client
    finally:
        await client.close()


class Webhook:
    """A tiny webhook receiver that records what it is posted and answers `status`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.json_response({"ok": self.status < 300}, status=self.status)


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[Webhook, str]]:
    """A webhook receiver on loopback and its URL."""
    receiver = Webhook()
    app = web.Application()
    app.router.add_post("/hooks/oncall", receiver.handle)
    server = TestServer(app)
    await server.start_server()
    try:
        yield receiver, str(server.make_url("/hooks/oncall"))
    finally:
        await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp client session."""
    async with aiohttp.ClientSession() as session:
        yield session


def assert_safe_alert(text: str) -> None:
    """Check an alert names what staff need and nothing that identifies the person."""
    assert "相談者 7F3A" in text
    assert "2026-11-23 03:12" in text
    assert "https://yorisoi.example.org/operators/c/c-5d1e" in text
    assert PATIENT not in text and "U" + "0" * 28 not in text


async def test_the_alert_reaches_the_on_call_staff_member_through_line(
    line: LinePlatform, line_client: LineClient
) -> None:
    handler = make_alert_handler(OnCall(line_user_id=STAFF, conversation_url=URL), line=line_client)
    await handler(job())
    sent = line.standin.sent_messages(STAFF)
    assert len(sent) == 1 and sent[0].via == "push"
    assert_safe_alert(sent[0].message["text"])
    assert line.standin.sent_messages(PATIENT) == []


async def test_a_retried_alert_is_not_pushed_twice(
    line: LinePlatform, line_client: LineClient
) -> None:
    handler = make_alert_handler(OnCall(line_user_id=STAFF, conversation_url=URL), line=line_client)
    booked = job()
    await handler(booked)
    await handler(booked)  # a retry after a push LINE had accepted: 409, delivered once
    assert len(line.standin.sent_messages(STAFF)) == 1


async def test_a_failed_push_raises_so_the_scheduler_retries(
    line: LinePlatform, line_client: LineClient
) -> None:
    handler = make_alert_handler(OnCall(line_user_id=STAFF, conversation_url=URL), line=line_client)
    line.standin.fail_next(PUSH_PATH, 500)
    with pytest.raises(AlertNotDelivered, match="server_error"):
        await handler(job())
    line.standin.set_quota(0)
    with pytest.raises(AlertNotDelivered, match="monthly_limit"):
        await handler(job())
    assert line.standin.sent_messages(STAFF) == []


async def test_the_alert_is_posted_to_the_webhook(
    webhook: tuple[Webhook, str], http: aiohttp.ClientSession
) -> None:
    receiver, url = webhook
    handler = make_alert_handler(OnCall(webhook_url=url, conversation_url=URL), http=http)
    booked = job()
    await handler(booked)
    assert len(receiver.received) == 1
    body = receiver.received[0]
    assert set(body) == {"type", "alert_id", "pseudonym", "level", "at", "url", "text"}
    assert body["type"] == RISK_ALERT and body["alert_id"] == booked.id
    assert body["pseudonym"] == "相談者 7F3A" and body["level"] == "high"
    assert body["url"] == "https://yorisoi.example.org/operators/c/c-5d1e"
    assert_safe_alert(body["text"])


async def test_a_webhook_error_raises_without_naming_the_url(
    webhook: tuple[Webhook, str], http: aiohttp.ClientSession
) -> None:
    receiver, url = webhook
    receiver.status = 503
    handler = make_alert_handler(OnCall(webhook_url=url, conversation_url=URL), http=http)
    with pytest.raises(AlertNotDelivered, match="webhook answered 503") as caught:
        await handler(job())
    assert url not in str(caught.value)


async def test_both_targets_get_the_alert(
    line: LinePlatform,
    line_client: LineClient,
    webhook: tuple[Webhook, str],
    http: aiohttp.ClientSession,
) -> None:
    receiver, url = webhook
    oncall = OnCall(line_user_id=STAFF, webhook_url=url, conversation_url=URL)
    handler = make_alert_handler(oncall, http=http, line=line_client)
    await handler(job())
    assert len(line.standin.sent_messages(STAFF)) == 1 and len(receiver.received) == 1


async def test_a_payload_with_a_line_user_id_or_a_gap_is_refused(
    webhook: tuple[Webhook, str], http: aiohttp.ClientSession
) -> None:
    receiver, url = webhook
    handler = make_alert_handler(OnCall(webhook_url=url, conversation_url=URL), http=http)
    with pytest.raises(AlertPayloadInvalid, match="LINE user id"):
        await handler(job(pseudonym=PATIENT))
    with pytest.raises(AlertPayloadInvalid, match="LINE user id"):
        await handler(job(conversation_ref=PATIENT))
    broken = job()
    with pytest.raises(AlertPayloadInvalid, match="level"):
        await handler(replace(broken, payload={**broken.payload, "level": "urgent"}))
    with pytest.raises(AlertPayloadInvalid, match="conversation_ref is missing"):
        await handler(replace(broken, payload={"level": "high"}))
    assert receiver.received == []


def test_an_unusable_configuration_is_refused_at_once() -> None:
    with pytest.raises(OnCallNotConfigured, match="neither"):
        make_alert_handler(OnCall(conversation_url=URL))
    with pytest.raises(OnCallNotConfigured, match="not a LINE user id"):
        make_alert_handler(OnCall(line_user_id="@staff", conversation_url=URL), line=object())  # type: ignore[arg-type]
    with pytest.raises(OnCallNotConfigured, match="no LINE client"):
        make_alert_handler(OnCall(line_user_id=STAFF, conversation_url=URL))
    with pytest.raises(OnCallNotConfigured, match="no HTTP session"):
        make_alert_handler(OnCall(webhook_url="https://hooks.example.org/x", conversation_url=URL))
    with pytest.raises(OnCallNotConfigured, match=r"\{ref\}"):
        make_alert_handler(OnCall(line_user_id=STAFF, conversation_url="https://x/"), line=object())  # type: ignore[arg-type]


def test_a_redelivered_event_books_the_same_alert_key() -> None:
    assert job().key == job().key == "risk_alert:c-5d1e:01JEVENT"
    assert job(event_id=None).key is None


async def test_the_scheduler_runs_the_alert_job(
    store: Store, line: LinePlatform, line_client: LineClient, clock: FakeClock
) -> None:
    clock.set(AT)
    handler = make_alert_handler(OnCall(line_user_id=STAFF, conversation_url=URL), line=line_client)
    scheduler = Scheduler(store, clock, {RISK_ALERT: handler}, owner="test")
    await store.schedule_job(job())
    line.standin.fail_next(PUSH_PATH, 500)
    assert await scheduler.run_due() == 1  # failed once: booked again with backoff
    assert line.standin.sent_messages(STAFF) == []
    clock.advance(minutes=5)
    assert await scheduler.run_due() == 1
    assert len(line.standin.sent_messages(STAFF)) == 1
    clock.advance(hours=1)
    assert await scheduler.run_due() == 0  # done: nothing further is due
