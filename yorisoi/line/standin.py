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

LINE's paths, the records kept and the LINE-shaped request helpers are in
``yorisoi.line.standin_wire``; the endpoints and the state they share are here.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections import deque
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
from yorisoi.line.standin_control import add_control_routes
from yorisoi.line.standin_wire import (
    CLIENT_CLOSED_REQUEST,
    CONSUMPTION_PATH,
    CONTROL_PREFIX,
    DEFAULT_FAILURE_BODY,
    LOADING_PATH,
    MARK_AS_READ_PATH,
    PROFILE_PATH,
    PUSH_PATH,
    QUOTA_PATH,
    REPLY_PATH,
    REQUEST_ID,
    RETRY_KEY,
    RETRY_KEY_TTL,
    USER_ID,
    Accepted,
    BadRequest,
    Fault,
    Handler,
    RecordedRequest,
    SentMessage,
    error_response,
    json_object,
    record,
    run_handler,
    validate,
)

__all__ = ["PUSH_PATH", "RecordedRequest", "SentMessage", "StandIn"]


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
        self._accepted_keys: dict[str, Accepted] = {}
        self._faults: dict[str, deque[Fault]] = {}
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
        add_control_routes(app, self)
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
        fault = Fault(status, body or DEFAULT_FAILURE_BODY, deliver=deliver, hang=False)
        self._faults.setdefault(path, deque()).extend([fault] * times)

    def hang_next(self, path: str, *, times: int = 1, deliver: bool = False) -> None:
        """Hold the next ``times`` requests to ``path`` until ``release_hung`` is called."""
        # A client that gives up ends its hung request only under a runner started with
        # handler_cancellation=True (TestServer does that); it is then recorded as 499.
        # App shutdown releases whatever is still hung.
        fault = Fault(500, DEFAULT_FAILURE_BODY, deliver=deliver, hang=True)
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
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
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
                self.requests.append(record(request, raw, status, received_at))
        response.headers["x-line-request-id"] = request_id
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Answer in LINE's order: authentication, then injected failure, then the route."""
        if request.path.startswith("/v2/"):
            if request.headers.get("Authorization") != f"Bearer {self._access_token}":
                return error_response(
                    401,
                    "Authentication failed. Confirm that the access token in the authorization "
                    "header is valid.",
                )
        queue = self._faults.get(request.path)
        fault = queue.popleft() if queue else None
        if fault is None:
            return await run_handler(handler, request)
        if fault.deliver:
            # LINE processed the request; only the answer goes wrong.
            await run_handler(handler, request)
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
        payload = await json_object(request)
        if "X-Line-Retry-Key" in request.headers:
            # LINE accepts retry keys only on push, multicast, narrowcast and broadcast.
            raise BadRequest("The retry key is not supported for this API")
        validate(ReplyMessageRequest, payload)
        token = payload["replyToken"]
        issued = self._reply_tokens.pop(token, None)
        # LINE answers the same way for an unknown, a spent and an expired token.
        if issued is None or self._clock.now() >= issued[1]:
            raise BadRequest("Invalid reply token")
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
        payload = await json_object(request)
        validate(PushMessageRequest, payload)
        to = payload["to"]
        if not USER_ID.match(to):
            raise BadRequest(
                "The request body has 1 error(s)",
                [{"message": "Invalid user ID", "property": "to"}],
            )
        retry_key = request.headers.get("X-Line-Retry-Key")
        now = self._clock.now()
        if retry_key is not None:
            if not RETRY_KEY.match(retry_key):
                raise BadRequest("The value of the retry key is not a valid UUID")
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
            return error_response(429, "You have reached your monthly limit.")
        request_id = request[REQUEST_ID]
        sent = self._sent_messages_body(len(payload["messages"]))
        if retry_key is not None:
            self._accepted_keys[retry_key] = Accepted(request_id, sent, now)
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
        payload = await json_object(request)
        validate(ShowLoadingAnimationRequest, payload)
        if not USER_ID.match(payload["chatId"]):
            raise BadRequest(
                "The request body has 1 error(s)",
                [{"message": "Invalid user ID", "property": "chatId"}],
            )
        # The SDK model checks 5..60 only; LINE also wants a multiple of 5 (default 20).
        if (payload.get("loadingSeconds") or 20) % 5:
            raise BadRequest(
                "The request body has 1 error(s)",
                [{"message": "Must be a multiple of 5", "property": "loadingSeconds"}],
            )
        return web.json_response({}, status=202)

    async def _mark_as_read(self, request: web.Request) -> web.Response:
        """Answer POST /v2/bot/chat/markAsRead."""
        validate(MarkMessagesAsReadByTokenRequest, await json_object(request))
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
        return error_response(404, "Not found")
