"""Test helpers that act like LINE: sign and post webhooks, read what the stand-in received."""

from __future__ import annotations

import asyncio
import io
import json as _json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestClient

from yorisoi import keys
from yorisoi.clock import FakeClock
from yorisoi.config import REPO_ROOT, Settings, load_settings
from yorisoi.line.eventgen import make_event, sign, webhook_body
from yorisoi.line.standin import SentMessage, StandIn
from yorisoi.store.records import Case, CaseStatus, Conversation, LoggedMessage, TurnCommit
from yorisoi.turns.unit import new_ref

CHANNEL_SECRET = "test-channel-secret-0123456789abcdef"
ACCESS_TOKEN = "test-access-token"
SECRET_KEY = "test-secret-key-" + "x" * 32


def user(n: int) -> str:
    """Return a LINE-shaped user id."""
    return "U" + f"{n:032x}"


@dataclass
class LinePlatform:
    """The stand-in and the URL yorisoi reaches it at."""

    standin: StandIn
    url: str


def settings_for(tmp_path: Path, endpoint: str, **overrides: Any) -> Settings:
    """Settings for a production-mode app talking to ``endpoint``."""
    values: dict[str, Any] = {
        "line_channel_secret": CHANNEL_SECRET,
        "line_channel_access_token": ACCESS_TOKEN,
        "line_api_endpoint": endpoint,
        "database_url": f"sqlite:///{tmp_path}/yorisoi.sqlite3",
        "content_dir": REPO_ROOT,
        "secret_key": SECRET_KEY,
        "var_dir": tmp_path / "var",
        "line_timeout": 2.0,
    }
    values.update(overrides)
    return load_settings(**values)


def demo_settings(tmp_path: Path) -> Settings:
    """Settings for demo mode, whatever LINE credentials the environment holds."""
    return load_settings(
        line_channel_secret=None,
        line_channel_access_token=None,
        database_url=f"sqlite:///{tmp_path}/d.sqlite3",
        var_dir=tmp_path / "var",
        secret_key="x" * 40,
        content_dir=REPO_ROOT,
    )


@dataclass
class Bot:
    """yorisoi's real app under test, with helpers that act like LINE."""

    client: TestClient
    clock: FakeClock
    standin: StandIn
    secret: str = CHANNEL_SECRET
    timestamps: dict[str, int] = field(default_factory=dict)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def app(self) -> web.Application:
        return self.client.server.app  # type: ignore[return-value]

    def event(self, kind: str, user_id: str, **kwargs: Any) -> dict[str, Any]:
        """Return a LINE-shaped event with a reply token the stand-in will accept."""
        ts = self.timestamps.get(user_id, int(self.clock.now().timestamp() * 1000)) + 1
        self.timestamps[user_id] = ts
        kwargs.setdefault("reply_token", self.standin.issue_reply_token(user_id))
        return make_event(kind, user_id, timestamp_ms=kwargs.pop("timestamp_ms", ts), **kwargs)

    async def post(
        self,
        *events: dict[str, Any],
        secret: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        """Post a signed webhook (as LINE does) and return status and text."""
        raw = body if body is not None else webhook_body(list(events))
        sent_headers = {
            "Content-Type": "application/json",
            "X-Line-Signature": sign(raw, secret or self.secret),
        }
        sent_headers.update(headers or {})
        # aiohttp warns about large raw bytes bodies; a stream is what a real client sends
        data = io.BytesIO(raw) if len(raw) > 512 * 1024 else raw
        response = await self.client.post("/callback", data=data, headers=sent_headers)
        return response.status, await response.text()

    async def send(self, kind: str, user_id: str, **kwargs: Any) -> dict[str, Any]:
        """Post one event and check LINE would see 200."""
        event = self.event(kind, user_id, **kwargs)
        status, text = await self.post(event)
        assert status == 200, text
        return event

    async def say(self, kind: str, user_id: str, **kwargs: Any) -> str:
        """Post one event as the user and return the text of the next message they receive."""
        count = len(self.standin.sent_messages(user_id))
        await self.send(kind, user_id, **kwargs)
        await self.replies(user_id, count + 1)
        return self.texts(user_id)[count]

    async def settle(self) -> None:
        """Wait until every due inbox event is processed and every due outbox row handled."""
        worker = self.app[keys.WORKER]
        store = self.app[keys.STORE]

        async def due_users() -> list[str]:
            due = []
            for user_id in await store.users_with_pending_events():
                heads = await store.pending_events(user_id, limit=1)
                if heads and (
                    heads[0].not_before is None or heads[0].not_before <= self.clock.now()
                ):
                    due.append(user_id)
            return due

        for _ in range(100):
            if worker is not None:
                worker.notify(await due_users())
                await worker.idle()
            sender = self.app[keys.SENDER]
            await sender.idle()
            handled = await sender.run_once()
            if handled == 0 and (worker is None or not await due_users()):
                return
            await asyncio.sleep(0)
        raise AssertionError("the app did not settle")

    async def crash(self) -> None:
        """Stop the app the way a dying process does: deliveries in flight do not finish."""
        sender = self.app[keys.SENDER]
        stop = sender.stop

        async def die(grace: float = 0.0) -> None:
            await stop(grace=0.0)

        sender.stop = die  # type: ignore[method-assign]
        await self.client.close()

    async def wait_until(
        self, condition: Callable[[], Awaitable[bool]], limit: float = 5.0
    ) -> None:
        """Wait for background work to reach a state the test cannot be told about."""
        async with asyncio.timeout(limit):
            while not await condition():  # noqa: ASYNC110 (state lives in the store)
                await asyncio.sleep(0.005)

    async def replies(self, user_id: str, count: int) -> list[SentMessage]:
        """Wait for ``count`` messages to reach the user at the stand-in."""
        return await self.standin.wait_for_messages(user_id, count, timeout=5.0)

    def texts(self, user_id: str) -> list[str]:
        """Return the texts the user received, in order."""
        return [_text_of(m.message) for m in self.standin.sent_messages(user_id)]


def _text_of(message: dict[str, Any]) -> str:
    if message.get("type") == "template":
        return str(message["template"]["text"])
    return str(message.get("text", _json.dumps(message)))


@dataclass
class Staff:
    """A signed-in staff member using the operator API, with its own cookie jar."""

    session: ClientSession
    base: str
    csrf: str
    login: str

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.base + path) as response:
            return response.status, await response.json()

    async def post(
        self, path: str, body: dict[str, Any] | None = None, *, csrf: bool = True
    ) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        async with self.session.post(
            self.base + path, json=body or {}, headers=headers
        ) as response:
            return response.status, await response.json()

    async def put(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf}
        async with self.session.put(self.base + path, json=body, headers=headers) as response:
            return response.status, await response.json()

    async def queue(self, status: str = "waiting") -> list[dict[str, Any]]:
        code, body = await self.get(f"/api/conversations?status={status}")
        assert code == 200, body
        return list(body["conversations"])


STAFF_PASSWORD = "correct horse battery"


async def to_menu(bot: Bot, user_id: str) -> None:
    """Follow the bot and wait for its greeting and menu (three messages)."""
    await bot.send("follow", user_id)
    await bot.replies(user_id, 3)


async def sign_in_staff(
    bot: Bot,
    login: str,
    role: str = "responder",
    *,
    on_duty: bool = True,
    display_name: str | None = None,
    topics: list[str] | None = None,
) -> Staff:
    """Create a staff account (if new) and sign it in with its own cookie jar."""
    from yorisoi.admin.staff import add_staff

    store = bot.app[keys.STORE]
    if await store.staff_by_login(login) is None:
        await add_staff(
            store,
            login,
            role,
            STAFF_PASSWORD,
            bot.clock.now(),
            display_name=display_name or login,
            topics=topics,
        )
    session = ClientSession(cookie_jar=CookieJar(unsafe=True))
    bot.closers.append(session.close)
    base = str(bot.client.make_url("")).rstrip("/")
    async with session.post(
        base + "/api/login", json={"login": login, "password": STAFF_PASSWORD}
    ) as response:
        assert response.status == 200, await response.text()
        csrf = (await response.json())["csrf_token"]
    staff = Staff(session=session, base=base, csrf=csrf, login=login)
    if on_duty:
        code, body = await staff.put("/api/me/duty", {"on_duty": True})
        assert code == 200, body
    return staff


async def run_jobs(bot: Bot) -> int:
    """Run the timed jobs due at the fake clock's time, then let the app settle.

    The app's own scheduler loop may be running jobs at the same moment (a commit that
    books a job wakes it): wait for it too, so what the jobs sent has arrived.
    """
    scheduler = bot.app[keys.SCHEDULER]
    await scheduler.idle()
    ran = await scheduler.run_due()
    await scheduler.idle()
    await bot.settle()
    return ran


CASE_TOPICS = ("youth", "mothers", "general")
CASE_RISKS = ("none", "concern", "high")


async def seed_open_cases(bot: Bot, count: int, assignee: tuple[str, str]) -> list[Conversation]:
    """Commit ``count`` open cases across topics and risks; every fifth is active with
    ``assignee`` (id, name), whatever its topic."""
    store, now = bot.app[keys.STORE], bot.clock.now()
    made = []
    for n in range(count):
        opened = now - timedelta(minutes=count - n)
        active = n % 5 == 0
        case = Case(
            id=uuid.uuid4().hex,
            status=CaseStatus.ACTIVE if active else CaseStatus.WAITING,
            topic=CASE_TOPICS[n % 3],
            mode="handoff",
            opened_at=opened,
            waiting_since=opened,
            risk=CASE_RISKS[n % 7 % 3],
            assigned_to=assignee[0] if active else None,
            assigned_name=assignee[1] if active else None,
            claimed_at=now if active else None,
        )
        conversation = Conversation(
            user_id=f"U{n:032x}", flow="default", state="menu", ref=new_ref(), case=case
        )
        assert await store.commit_turn(TurnCommit(conversation=conversation, now=now))
        made.append(conversation)
    return made


def user_text(
    user_id: str, text: str, at: datetime, event_id: str, line_message_id: str | None = None
) -> LoggedMessage:
    """Return the log entry of a user's text message, as a bot turn writes it."""
    return LoggedMessage(
        id=f"in:{event_id}",
        user_id=user_id,
        direction="in",
        kind="text",
        text=text,
        at=at,
        event_id=event_id,
        line_message_id=line_message_id,
    )
