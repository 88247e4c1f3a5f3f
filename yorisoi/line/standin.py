"""A local stand-in for the LINE Messaging API, served as a small aiohttp app.

Demo mode and the tests point the real SDK client (``AsyncApiClient(Configuration(host=...))``)
at this app, so everything yorisoi sends crosses real HTTP and the SDK's own serialisation,
and can then be inspected: what was delivered to whom, every request received, and how the
client coped with injected failures, hangs, spent reply tokens and an exhausted quota.

It mirrors the behaviour of the endpoints yorisoi uses (answers, status codes and error bodies
as documented at https://developers.line.biz/en/reference/messaging-api/); requests are
validated with the SDK's own request models. All state lives in the ``StandIn`` object; time
comes from the injected clock, so tests never sleep.

The ``/_standin/...`` control routes have no authentication: bind the app to loopback only.

This module is longer than the others (about 540 lines) on purpose: it is one fake of one
outside service, read side by side with LINE's reference, and splitting its endpoints from
the state they share would make that comparison harder.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from aiohttp import web
from linebot.v3.messaging import (
    MarkMessagesAsReadByTokenRequest,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)

from yorisoi.clock import Clock, SystemClock

__all__ = ["RecordedRequest", "SentMessage", "StandIn"]

REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
LOADING_PATH = "/v2/bot/chat/loading/start"
# The path AsyncMessagingApi.mark_messages_as_read_by_token posts to (SDK 3.27).
MARK_AS_READ_PATH = "/v2/bot/chat/markAsRead"
QUOTA_PATH = "/v2/bot/message/quota"
CONSUMPTION_PATH = "/v2/bot/message/quota/consumption"
PROFILE_PATH = "/v2/bot/profile/{userId}"
CONTROL_PREFIX = "/_standin/"

# LINE keeps an accepted retry key for 24 hours.
RETRY_KEY_TTL = timedelta(hours=24)
DEFAULT_FAILURE_BODY: dict[str, Any] = {"message": "stand-in failure"}
# Not a LINE status: what nginx logs when the client hung up before the answer.
CLIENT_CLOSED_REQUEST = 499

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
RETRY_KEY = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

REQUEST_ID = web.RequestKey("request_id", str)

_Handler = Callable[[web.Request], Any]


@dataclass(frozen=True)
class SentMessage:
    """One message object LINE would have delivered."""

    user_id: str
    via: str
    message: dict[str, Any]
    at: datetime
    request_id: str
    retry_key: str | None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stand-in received, with the status it answered."""

    method: str
    path: str
    status: int
    body: Any
    headers: dict[str, str]
    at: datetime


@dataclass(frozen=True)
class _Fault:
    """An injected failure waiting for the next request to its path."""

    status: int
    body: dict[str, Any]
    deliver: bool
    hang: bool


@dataclass(frozen=True)
class _Accepted:
    """What a retry key was first accepted with."""

    request_id: str
    sent_messages: list[dict[str, str]]
    at: datetime


class _BadRequest(Exception):
    """Raised when a request body fails validation; carries LINE's error body."""

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.body: dict[str, Any] = {"message": message}
        if details:
            self.body["details"] = details


class StandIn:
    """Plays the LINE Messaging API for one channel, recording everything it is sent."""

    def __init__(
        self,
        *,
        access_token: str,
        clock: Clock | None = None,
        reply_token_ttl: float = 60.0,
        monthly_quota: int | None = 200,
    ) -> None:
        self._access_token = access_token
        self._clock: Clock = clock or SystemClock()
        self._reply_token_ttl = timedelta(seconds=reply_token_ttl)
        self._quota = monthly_quota
        self.requests: list[RecordedRequest] = []
        self.push_consumption = 0
        self._sent: list[SentMessage] = []
        self._reply_tokens: dict[str, tuple[str, datetime]] = {}
        self._accepted_keys: dict[str, _Accepted] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._hung: set[asyncio.Future[None]] = set()
        self._message_ids = count(600_000_000_000_000_001)
        self._delivered: tuple[asyncio.AbstractEventLoop, asyncio.Condition] | None = None

    # -- the test-facing API -------------------------------------------------------------------

    def make_app(self) -> web.Application:
        """Build a fresh app serving the LINE routes and the control routes."""
        app = web.Application(middlewares=[self._middleware])
        app.router.add_post(REPLY_PATH, self._reply)
        app.router.add_post(PUSH_PATH, self._push)
        app.router.add_post(LOADING_PATH, self._loading)
        app.router.add_post(MARK_AS_READ_PATH, self._mark_as_read)
        app.router.add_get(QUOTA_PATH, self._quota_limit)
        app.router.add_get(CONSUMPTION_PATH, self._quota_consumption)
        app.router.add_get(PROFILE_PATH, self._profile)
        app.router.add_get(CONTROL_PREFIX + "messages", self._control_messages)
        app.router.add_post(CONTROL_PREFIX + "reply-tokens", self._control_reply_token)
        app.router.add_get(CONTROL_PREFIX + "requests", self._control_requests)
        # Hung handlers would otherwise hold up the runner's shutdown for its whole timeout.
        app.on_shutdown.append(self._release_on_shutdown)
        return app

    def issue_reply_token(self, user_id: str) -> str:
        """Issue a single-use reply token for ``user_id``, as a webhook event would carry."""
        token = secrets.token_hex(16)
        self._reply_tokens[token] = (user_id, self._clock.now() + self._reply_token_ttl)
        return token

    def sent_messages(self, user_id: str | None = None) -> list[SentMessage]:
        """Return the messages delivered (to ``user_id``, if given), in delivery order."""
        return [m for m in self._sent if user_id is None or m.user_id == user_id]

    # The timeout is part of the API on purpose: a test should fail fast, naming what arrived.
    async def wait_for_messages(
        self,
        user_id: str,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until at least ``count`` messages were delivered to ``user_id``; return them."""
        delivered = self._condition()
        try:
            async with asyncio.timeout(timeout), delivered:
                await delivered.wait_for(lambda: len(self.sent_messages(user_id)) >= count)
        except TimeoutError:
            arrived = [m.message for m in self.sent_messages(user_id)]
            raise AssertionError(
                f"expected {count} message(s) for {user_id} within {timeout}s, "
                f"{len(arrived)} arrived: {arrived!r}"
            ) from None
        return self.sent_messages(user_id)

    # A long-poll primitive: unlike wait_for_messages, running out of time is a normal answer.
    async def messages_after(
        self,
        user_id: str,
        after: int,
        timeout: float,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Return ``user_id``'s messages from index ``after`` on, waiting up to ``timeout`` s."""
        if timeout > 0:
            delivered = self._condition()
            try:
                async with asyncio.timeout(timeout), delivered:
                    await delivered.wait_for(lambda: len(self.sent_messages(user_id)) > after)
            except TimeoutError:
                pass
        return self.sent_messages(user_id)[after:]

    def fail_next(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        deliver: bool = False,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status``."""
        fault = _Fault(status, body or DEFAULT_FAILURE_BODY, deliver=deliver, hang=False)
        self._faults.setdefault(path, deque()).extend([fault] * times)

    def hang_next(self, path: str, *, times: int = 1, deliver: bool = False) -> None:
        """Hold the next ``times`` requests to ``path`` until ``release_hung`` is called."""
        # A client that gives up ends its hung request only under a runner started with
        # handler_cancellation=True (TestServer does that); it is then recorded as 499.
        # App shutdown releases whatever is still hung.
        fault = _Fault(500, DEFAULT_FAILURE_BODY, deliver=deliver, hang=True)
        self._faults.setdefault(path, deque()).extend([fault] * times)

    def read_tokens(self) -> list[str]:
        """Return the mark-as-read tokens accepted so far, in order."""
        return [
            str(r.body.get("markAsReadToken"))
            for r in self.requests
            if r.path == MARK_AS_READ_PATH and r.status == 200 and isinstance(r.body, dict)
        ]

    @property
    def hung_requests(self) -> int:
        """Return how many requests are being held by ``hang_next`` right now."""
        return sum(1 for waiter in self._hung if not waiter.done())

    def release_hung(self) -> None:
        """Let every hung request answer 500."""
        for waiter in self._hung:
            if not waiter.done():
                waiter.set_result(None)
        self._hung.clear()

    def set_quota(self, limit: int | None) -> None:
        """Set the monthly push quota; ``None`` means unlimited."""
        self._quota = limit

    def reset(self) -> None:
        """Forget records, injected failures, tokens, retry keys and consumption."""
        self.release_hung()
        self.requests.clear()
        self._sent.clear()
        self._reply_tokens.clear()
        self._accepted_keys.clear()
        self._faults.clear()
        self.push_consumption = 0

    # -- plumbing ------------------------------------------------------------------------------

    def _condition(self) -> asyncio.Condition:
        """Return the delivery condition, bound to the running loop."""
        # A Condition binds to the first loop that waits on it, and pytest-asyncio runs each
        # test in its own loop: keep one per loop.
        loop = asyncio.get_running_loop()
        if self._delivered is None or self._delivered[0] is not loop:
            self._delivered = (loop, asyncio.Condition())
        return self._delivered[1]

    async def _release_on_shutdown(self, app: web.Application) -> None:
        """Release hung requests when the app shuts down."""
        self.release_hung()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Tag, authenticate, inject failures into and record every request."""
        request_id = str(uuid.uuid4())
        request[REQUEST_ID] = request_id
        received_at = self._clock.now()
        raw = await request.read()
        status = 500
        try:
            response = await self._answer(request, handler)
            status = response.status
        except asyncio.CancelledError:
            status = CLIENT_CLOSED_REQUEST
            raise
        finally:
            # The control routes are not LINE traffic; keep them out of the record.
            if not request.path.startswith(CONTROL_PREFIX):
                self.requests.append(_record(request, raw, status, received_at))
        response.headers["x-line-request-id"] = request_id
        return response

    async def _answer(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        """Answer in LINE's order: authentication, then injected failure, then the route."""
        if request.path.startswith("/v2/"):
            if request.headers.get("Authorization") != f"Bearer {self._access_token}":
                return _error(
                    401,
                    "Authentication failed. Confirm that the access token in the authorization "
                    "header is valid.",
                )
        queue = self._faults.get(request.path)
        fault = queue.popleft() if queue else None
        if fault is None:
            return await _run(handler, request)
        if fault.deliver:
            # LINE processed the request; only the answer goes wrong.
            await _run(handler, request)
        if fault.hang:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._hung.add(waiter)
            try:
                await waiter
            finally:
                self._hung.discard(waiter)
        return web.json_response(fault.body, status=fault.status)

    async def _deliver(self, messages: list[SentMessage]) -> None:
        """Record delivered messages and wake anyone waiting for them."""
        self._sent.extend(messages)
        delivered = self._condition()
        async with delivered:
            delivered.notify_all()

    def _sent_messages_body(self, count: int) -> list[dict[str, str]]:
        """Return LINE's ``sentMessages`` entries for ``count`` messages."""
        return [
            {"id": str(next(self._message_ids)), "quoteToken": secrets.token_urlsafe(24)}
            for _ in range(count)
        ]

    # -- LINE routes ---------------------------------------------------------------------------

    async def _reply(self, request: web.Request) -> web.Response:
        """Answer POST /v2/bot/message/reply."""
        payload = await _json_object(request)
        if "X-Line-Retry-Key" in request.headers:
            # LINE accepts retry keys only on push, multicast, narrowcast and broadcast.
            raise _BadRequest("The retry key is not supported for this API")
        _validate(ReplyMessageRequest, payload)
        token = payload["replyToken"]
        issued = self._reply_tokens.pop(token, None)
        # LINE answers the same way for an unknown, a spent and an expired token.
        if issued is None or self._clock.now() >= issued[1]:
            raise _BadRequest("Invalid reply token")
        user_id = issued[0]
        now = self._clock.now()
        await self._deliver(
            [
                SentMessage(user_id, "reply", message, now, request[REQUEST_ID], None)
                for message in payload["messages"]
            ]
        )
        sent = self._sent_messages_body(len(payload["messages"]))
        return web.json_response({"sentMessages": sent})

    async def _push(self, request: web.Request) -> web.Response:
        """Answer POST /v2/bot/message/push."""
        payload = await _json_object(request)
        _validate(PushMessageRequest, payload)
        to = payload["to"]
        if not USER_ID.match(to):
            raise _BadRequest(
                "The request body has 1 error(s)",
                [{"message": "Invalid user ID", "property": "to"}],
            )
        retry_key = request.headers.get("X-Line-Retry-Key")
        now = self._clock.now()
        if retry_key is not None:
            if not RETRY_KEY.match(retry_key):
                raise _BadRequest("The value of the retry key is not a valid UUID")
            accepted = self._accepted_keys.get(retry_key)
            if accepted is not None and now - accepted.at < RETRY_KEY_TTL:
                # A retry of an accepted push: LINE answers 409 with the original answer
                # and delivers nothing again.
                return web.json_response(
                    {
                        "message": "The retry key is already accepted",
                        "sentMessages": accepted.sent_messages,
                    },
                    status=409,
                    headers={"x-line-accepted-request-id": accepted.request_id},
                )
        if self._quota is not None and self.push_consumption >= self._quota:
            return _error(429, "You have reached your monthly limit.")
        request_id = request[REQUEST_ID]
        sent = self._sent_messages_body(len(payload["messages"]))
        if retry_key is not None:
            self._accepted_keys[retry_key] = _Accepted(request_id, sent, now)
        # A push counts once against the quota however many messages it bundles.
        self.push_consumption += 1
        await self._deliver(
            [
                SentMessage(to, "push", message, now, request_id, retry_key)
                for message in payload["messages"]
            ]
        )
        return web.json_response({"sentMessages": sent})

    async def _loading(self, request: web.Request) -> web.Response:
        """Answer POST /v2/bot/chat/loading/start."""
        payload = await _json_object(request)
        _validate(ShowLoadingAnimationRequest, payload)
        if not USER_ID.match(payload["chatId"]):
            raise _BadRequest(
                "The request body has 1 error(s)",
                [{"message": "Invalid user ID", "property": "chatId"}],
            )
        # The SDK model checks 5..60 only; LINE also wants a multiple of 5 (default 20).
        if (payload.get("loadingSeconds") or 20) % 5:
            raise _BadRequest(
                "The request body has 1 error(s)",
                [{"message": "Must be a multiple of 5", "property": "loadingSeconds"}],
            )
        return web.json_response({}, status=202)

    async def _mark_as_read(self, request: web.Request) -> web.Response:
        """Answer POST /v2/bot/chat/markAsRead."""
        _validate(MarkMessagesAsReadByTokenRequest, await _json_object(request))
        return web.json_response({})

    async def _quota_limit(self, request: web.Request) -> web.Response:
        """Answer GET /v2/bot/message/quota."""
        if self._quota is None:
            return web.json_response({"type": "none"})
        return web.json_response({"type": "limited", "value": self._quota})

    async def _quota_consumption(self, request: web.Request) -> web.Response:
        """Answer GET /v2/bot/message/quota/consumption."""
        return web.json_response({"totalUsage": self.push_consumption})

    async def _profile(self, request: web.Request) -> web.Response:
        """Answer GET /v2/bot/profile/{userId}: yorisoi must never ask, so nobody is found."""
        return _error(404, "Not found")

    # -- control routes (no auth: loopback only) -----------------------------------------------

    async def _control_messages(self, request: web.Request) -> web.Response:
        """List delivered messages with their global ``seq``, from ``after`` on."""
        user = request.query.get("user")
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return _error(400, "after must be an integer")
        messages = [
            {"seq": seq, **_jsonable(asdict(message))}
            for seq, message in enumerate(self._sent)
            if seq >= after and (user is None or message.user_id == user)
        ]
        return web.json_response({"messages": messages})

    async def _control_reply_token(self, request: web.Request) -> web.Response:
        """Issue a reply token for the posted ``userId``."""
        payload = await _json_object(request)
        user_id = payload.get("userId")
        if not isinstance(user_id, str) or not user_id:
            raise _BadRequest("userId is required")
        return web.json_response({"replyToken": self.issue_reply_token(user_id)})

    async def _control_requests(self, request: web.Request) -> web.Response:
        """List every recorded LINE request."""
        return web.json_response({"requests": [_jsonable(asdict(r)) for r in self.requests]})


async def _run(handler: _Handler, request: web.Request) -> web.StreamResponse:
    """Run a route handler, turning validation and routing errors into LINE-shaped JSON."""
    try:
        response: web.StreamResponse = await handler(request)
    except _BadRequest as exc:
        return web.json_response(exc.body, status=400)
    except web.HTTPException as exc:
        if exc.status == 404:
            return _error(404, "Not found")
        return _error(exc.status, exc.reason)
    return response


async def _json_object(request: web.Request) -> dict[str, Any]:
    """Return the request body as a JSON object, or raise ``_BadRequest``."""
    try:
        payload = json.loads(await request.read())
    except ValueError:
        raise _BadRequest("The request body could not be parsed as JSON") from None
    if not isinstance(payload, dict):
        raise _BadRequest("The request body must be a JSON object")
    return payload


def _validate(model: Any, payload: dict[str, Any]) -> None:
    """Validate ``payload`` with the SDK's request ``model``, or raise ``_BadRequest``."""
    try:
        model.from_dict(payload)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # pydantic.v1's ValidationError is a ValueError; the SDK's hand-written from_dict
        # raises the others for a message without a known "type" or of the wrong shape.
        errors = getattr(exc, "errors", None)
        details = (
            [
                {"message": e["msg"], "property": ".".join(str(p) for p in e["loc"])}
                for e in errors()
            ]
            if callable(errors)
            else [{"message": str(exc) or type(exc).__name__, "property": ""}]
        )
        raise _BadRequest(f"The request body has {len(details)} error(s)", details) from None


def _error(status: int, message: str) -> web.Response:
    """Return LINE's error body with ``status``."""
    return web.json_response({"message": message}, status=status)


def _record(request: web.Request, raw: bytes, status: int, at: datetime) -> RecordedRequest:
    """Make the record of one request, with the access token masked."""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    headers = {name.lower(): value for name, value in request.headers.items()}
    if "authorization" in headers:
        headers["authorization"] = "Bearer ***"
    return RecordedRequest(request.method, request.path, status, body, headers, at)


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    """Return ``fields`` with datetimes as ISO 8601 strings."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
