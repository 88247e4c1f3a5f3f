"""A real ``yorisoi serve`` process, killed after storing an event and started again."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from harness import ACCESS_TOKEN, CHANNEL_SECRET, SECRET_KEY, LinePlatform, user

from yorisoi.config import REPO_ROOT
from yorisoi.line.eventgen import make_event, sign, webhook_body
from yorisoi.store.records import EventStatus, OutboxStatus
from yorisoi.store.sqlite import SQLiteStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve(env: dict[str, str], port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start ``python -m yorisoi serve`` and wait until /healthz answers."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "yorisoi",
        "serve",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            while True:
                if proc.returncode is not None:
                    raise AssertionError((await proc.stderr.read()).decode())  # type: ignore[union-attr]
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()


async def post(port: int, event: dict[str, object]) -> int:
    body = webhook_body([event])
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"http://127.0.0.1:{port}/callback",
            data=body,
            headers={
                "X-Line-Signature": sign(body, CHANNEL_SECRET),
                "Content-Type": "application/json",
            },
        ) as response,
    ):
        return response.status


async def test_killed_after_inbox_write_then_restarted_processes_once(
    line: LinePlatform, tmp_path: Path
) -> None:
    port = free_port()
    db = tmp_path / "yorisoi.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "YORISOI_"))},
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN,
        "LINE_API_ENDPOINT": line.url,
        "YORISOI_DATABASE_URL": f"sqlite:///{db}",
        "YORISOI_SECRET_KEY": SECRET_KEY,
        "YORISOI_VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        "YORISOI_HOST": "127.0.0.1",
    }
    u = user(1)
    event = make_event(
        "follow", u, timestamp_ms=1_700_000_000_000, reply_token=line.standin.issue_reply_token(u)
    )

    # 1. stored, acknowledged, then the process is killed before it processes anything
    async with serve({**env, "YORISOI_PROCESSING": "paused"}, port) as proc:
        assert await post(port, event) == 200
        proc.kill()
        await proc.wait()
    store = await SQLiteStore.open(db)
    stored = await store.get_event(str(event["webhookEventId"]))
    assert stored is not None and stored.status is EventStatus.PENDING
    assert line.standin.sent_messages(u) == []

    # 2. restarted: the stored event is processed, once; LINE's redelivery changes nothing
    async with serve(env, port):
        sent = await line.standin.wait_for_messages(u, 3, timeout=20)
        assert "友だち追加" in sent[0].message["text"]
        event["deliveryContext"] = {"isRedelivery": True}
        assert await post(port, event) == 200

        async def all_sent() -> bool:
            rows = await store.outbox_rows(u)
            return bool(rows) and all(r.status is OutboxStatus.SENT for r in rows)

        async with asyncio.timeout(20):
            while not await all_sent():  # noqa: ASYNC110 (state lives in the other process)
                await asyncio.sleep(0.05)
    stored = await store.get_event(str(event["webhookEventId"]))
    assert stored is not None and stored.status is EventStatus.DONE
    assert len(await store.outbox_rows(u)) == 1
    assert len(line.standin.sent_messages(u)) == 3
    assert len([r for r in line.standin.requests if r.path == "/v2/bot/message/reply"]) == 1
    await store.close()
