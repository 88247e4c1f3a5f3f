"""Fixtures shared by every test folder: the injected clock and the stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from harness import ACCESS_TOKEN, Bot, LinePlatform, settings_for

from yorisoi.clock import FakeClock
from yorisoi.content import kinds
from yorisoi.faq.library import FaqLibrary
from yorisoi.line.standin import StandIn
from yorisoi.store.ports import Store

STORE_KINDS = ["sqlite", "mongomock"]
if os.environ.get("YORISOI_TEST_MONGODB_URI"):
    STORE_KINDS.append("mongodb")


@pytest.fixture(scope="session", autouse=True)
def faq_built_once() -> Iterator[None]:
    """Let every app of the test session share the FAQ library built from the same files.

    Building one embeds every phrasing (about half a second) and the tests start hundreds
    of apps; yorisoi itself keeps no such cache across apps.
    """
    built: dict[str, tuple[FaqLibrary | None, list[Any]]] = {}

    class SharedFaq:
        @staticmethod
        def load(faq_dir: Path) -> tuple[FaqLibrary | None, list[Any]]:
            digest = kinds.folder_digest(faq_dir)
            if digest not in built:
                built[digest] = FaqLibrary.load(faq_dir)
            return built[digest]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kinds, "FaqLibrary", SharedFaq)
        yield


@pytest.fixture
def clock() -> FakeClock:
    """A frozen clock the test moves by hand."""
    return FakeClock()


async def make_store(kind: str, tmp_path: Path) -> Store:
    """Open an empty store of the given kind."""
    if kind == "sqlite":
        from yorisoi.store.sqlite import SQLiteStore

        return await SQLiteStore.open(tmp_path / "test.sqlite3")
    from yorisoi.store.mongo import MongoStore

    if kind == "mongomock":
        from mongomock_motor import AsyncMongoMockClient

        return await MongoStore.with_client(AsyncMongoMockClient(), "yorisoi_test")
    uri = os.environ["YORISOI_TEST_MONGODB_URI"]
    return await MongoStore.connect(
        uri, database=f"yorisoi_test_{uuid.uuid4().hex[:8]}", drop_on_close=True
    )


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """Each storage adapter in turn, empty."""
    opened = await make_store(request.param, tmp_path)
    try:
        yield opened
    finally:
        await opened.close()


# --- the real app against the Messaging API stand-in ---------------------------------


@pytest.fixture
async def line(clock: FakeClock) -> AsyncIterator[LinePlatform]:
    """The Messaging API stand-in, served over HTTP on loopback."""
    standin = StandIn(access_token=ACCESS_TOKEN, clock=clock)
    server = TestServer(standin.make_app())
    await server.start_server()
    try:
        yield LinePlatform(standin, str(server.make_url("")).rstrip("/"))
    finally:
        await server.close()


BotFactory = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(
    line: LinePlatform, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[BotFactory]:
    """Start real yorisoi apps (production mode, talking to the stand-in) with settings overrides.

    Apps started with the same ``tmp_path`` share one SQLite file, like restarts of one server.
    """
    from yorisoi.app import create_app

    clients: list[TestClient] = []
    bots: list[Bot] = []

    async def start(store: Store | None = None, **overrides: Any) -> Bot:
        app = create_app(settings_for(tmp_path, line.url, **overrides), clock=clock, store=store)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        bots.append(Bot(client=client, clock=clock, standin=line.standin))
        return bots[-1]

    try:
        yield start
    finally:
        for started in bots:
            for close in started.closers:
                await close()
        for client in clients:
            await client.close()


@pytest.fixture
async def bot(make_bot: BotFactory) -> Bot:
    """The real yorisoi app, production mode, talking to the stand-in."""
    return await make_bot()
