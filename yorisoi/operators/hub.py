"""Live updates for the operator view: a websocket at ``/api/live`` fed by ``Hub.publish``.

Whoever commits a change to a case calls ``app[HUB].publish(event)`` afterwards (send on
commit, never before). An event is only a hint — "conversation X changed, refetch it" — so the
browser never trusts an event's content and a lost event costs nothing that a refetch does not
repair: after a reconnect the page refetches the queue and the open thread and merges them by
message id. Events:

    {"type": "conversation", "id": ref, "version": n, "status": ..., "risk": ...,
     "topic": ..., "assigned": {"login": ...} | None}
    {"type": "delivery", "id": ref, "message_id": ..., "delivery": "failed", ...}

``publish`` is synchronous, never blocks and never raises: each connection has a bounded
queue, and a connection that falls behind gets one ``{"type": "resync"}`` (refetch everything)
instead of an ever-growing backlog.

Who hears what. An event about a conversation goes only to staff allowed to see it, by the
rule of ``yorisoi.cases.rules.visible_to`` applied to what the event says: supervisors and
admins hear everything; a responder hears cases assigned to them (``assigned_to``: a staff id,
or ``assigned``: {"id"|"login", ...}) and cases of their topics (all topics when they have
none). An event without ``topic`` reaches a responder only if it is theirs. Events without
``topic`` or an assignee borrow them from the last event seen for the same conversation.

The socket is authenticated by the session cookie (as the API is) and refuses a foreign
``Origin``, so another site cannot open it with a visitor's cookie.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import WSMsgType, web
from yarl import URL

from yorisoi import keys
from yorisoi.domain.people import is_supervising, sees_topic
from yorisoi.operators.auth import note_presence, signed_in
from yorisoi.store.records import StaffMember

log = structlog.get_logger("yorisoi.hub")

QUEUE_SIZE = 256
HEARTBEAT = 25.0  # seconds; below common proxy idle timeouts, so an idle socket stays open
RECHECK = 60.0  # seconds between checks that the session behind a socket still holds
REMEMBERED = 10_000  # conversations whose topic and assignee the hub keeps for later events
RESYNC: dict[str, Any] = {"type": "resync"}

Visibility = Callable[[StaffMember, dict[str, Any]], bool]


ASSIGNEE_FIELDS = ("topic", "assigned", "assigned_to")


def assigned_to(staff: StaffMember, event: dict[str, Any]) -> bool:
    """True if the event names ``staff`` as the conversation's assignee."""
    if event.get("assigned_to") is not None:
        return bool(event["assigned_to"] == staff.id)
    assigned = event.get("assigned")
    if not isinstance(assigned, dict):
        return False
    if assigned.get("id") is not None:
        return bool(assigned["id"] == staff.id)
    return assigned.get("login") is not None and assigned["login"] == staff.login


def event_visible(staff: StaffMember, event: dict[str, Any]) -> bool:
    """``cases.rules.visible_to`` for an event: leads all; a responder their own and their
    topics. An event that names no topic reaches a responder only if the case is theirs."""
    if is_supervising(staff) or assigned_to(staff, event):
        return True
    topic = event.get("topic")
    return topic is not None and sees_topic(staff, str(topic))


@dataclass(eq=False)
class Subscriber:
    """One open websocket: whose it is, and the events waiting to be sent to it."""

    staff: StaffMember
    session_hash: str
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    behind: bool = False  # the queue overflowed; a resync is owed
    socket: web.WebSocketResponse | None = None


class Hub:
    """Fans committed changes out to the operator view's open websockets."""

    def __init__(self, visible: Visibility | None = None) -> None:
        self._visible = visible or event_visible
        self._subscribers: set[Subscriber] = set()
        self._known: OrderedDict[str, dict[str, Any]] = OrderedDict()

    @property
    def connections(self) -> int:
        """Return how many websockets are open."""
        return len(self._subscribers)

    def publish(self, event: dict[str, Any]) -> None:
        """Queue ``event`` for every connection allowed to see it; never blocks or raises."""
        try:
            event = self._completed(dict(event))
            for subscriber in list(self._subscribers):
                if self._allowed(self._visible, subscriber.staff, event):
                    self._offer(subscriber, event)
        except Exception:  # a hint lost is repaired by the next refetch; a crash is not
            log.exception("hub.publish_failed", type=event.get("type"))

    def _completed(self, event: dict[str, Any]) -> dict[str, Any]:
        """Fill in topic and assignee from earlier events about the same conversation."""
        ref = event.get("id")
        if not isinstance(ref, str):
            return event
        known = self._known.pop(ref, {})
        if "assigned" in event or "assigned_to" in event:  # a new assignee replaces the old
            known.pop("assigned", None)
            known.pop("assigned_to", None)
        for name in ASSIGNEE_FIELDS:
            if name in event:
                known[name] = event[name]
            elif name in known:
                event[name] = known[name]
        self._known[ref] = known
        while len(self._known) > REMEMBERED:
            self._known.popitem(last=False)
        return event

    @staticmethod
    def _allowed(visible: Visibility, staff: StaffMember, event: dict[str, Any]) -> bool:
        if "id" not in event:  # not about one conversation (e.g. a staff change): everyone
            return True
        if "topic" not in event and not is_supervising(staff):
            # The rule cannot judge a conversation it knows nothing of; only its assignee may.
            return assigned_to(staff, event)
        try:
            return bool(visible(staff, event))
        except Exception:
            log.exception("hub.visibility_failed")
            return is_supervising(staff)

    @staticmethod
    def _offer(subscriber: Subscriber, event: dict[str, Any]) -> None:
        if subscriber.behind:
            return
        try:
            subscriber.queue.put_nowait(event)
        except asyncio.QueueFull:
            # Too far behind: drop the backlog, owe one resync (queued when there is room).
            subscriber.behind = True
            while not subscriber.queue.empty():
                subscriber.queue.get_nowait()
            subscriber.queue.put_nowait(RESYNC)

    @contextlib.asynccontextmanager
    async def subscribe(self, staff: StaffMember, session_hash: str) -> AsyncIterator[Subscriber]:
        """Register a connection for the time of the block."""
        subscriber = Subscriber(staff, session_hash)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    async def disconnect(self, session_hash: str | None = None) -> int:
        """Close the sockets of one session (sign-out), or all of them; return how many."""
        closing = [
            s
            for s in list(self._subscribers)
            if s.socket is not None and (session_hash is None or s.session_hash == session_hash)
        ]
        for subscriber in closing:
            assert subscriber.socket is not None
            # 1001 "going away": the page reconnects, and finds out then whether it may.
            await subscriber.socket.close(code=1001, message=b"closing")
        return len(closing)


HUB = web.AppKey("yorisoi.hub", Hub)


def _same_origin(request: web.Request) -> bool:
    """Return False when the browser says the socket is opened by another site's page."""
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser; the cookie still has to be valid
        return True
    try:
        url = URL(origin)
    except ValueError:
        return False
    return url.host is not None and url.authority == request.host


async def live(request: web.Request) -> web.StreamResponse:
    """Open the live-update websocket for the signed-in staff member."""
    if not _same_origin(request):
        return web.json_response(
            {"error": "forbidden", "message": "この画面からは接続できません。"}, status=403
        )
    found = await signed_in(request)
    if isinstance(found, str):
        return web.json_response(
            {"error": found, "message": "サインインしてください。"}, status=401
        )
    session, member = found
    socket = web.WebSocketResponse(heartbeat=HEARTBEAT)
    await socket.prepare(request)
    async with request.app[HUB].subscribe(member, session.token_hash) as subscriber:
        subscriber.socket = socket
        await socket.send_json({"type": "hello", "login": member.login})
        reader = asyncio.ensure_future(_until_closed(socket))
        try:
            while not reader.done():
                getter = asyncio.ensure_future(subscriber.queue.get())
                await asyncio.wait(
                    {getter, reader}, timeout=RECHECK, return_when=asyncio.FIRST_COMPLETED
                )
                if not getter.done():
                    getter.cancel()
                    if reader.done() or not await _still_allowed(request, subscriber):
                        break
                    continue
                event = getter.result()
                if event is RESYNC:
                    subscriber.behind = False
                await socket.send_json(event)
        except ConnectionError:
            pass  # the browser went away mid-send; it will reconnect and refetch
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    return socket


async def _still_allowed(request: web.Request, subscriber: Subscriber) -> bool:
    """Re-check the session behind an open socket: signed out, expired or deactivated staff
    stop getting events, and a changed role or topics apply to the events still to come."""
    store = request.app[keys.STORE]
    session = await store.get_session(subscriber.session_hash, request.app[keys.CLOCK].now())
    member = await store.staff_by_id(subscriber.staff.id) if session is not None else None
    if member is None or not member.active:
        return False
    subscriber.staff = member
    await note_presence(request.app, member)  # an open operator view is a person present
    return True


async def _until_closed(socket: web.WebSocketResponse) -> None:
    """Read (and ignore) what the browser sends until the socket closes."""
    async for message in socket:
        if message.type == WSMsgType.ERROR:
            break


async def _close_sockets(app: web.Application) -> None:
    await app[HUB].disconnect()


def setup(app: web.Application, visible: Visibility | None = None) -> None:
    """Create the hub, add the ``/api/live`` websocket route, and listen to case changes."""
    app[HUB] = Hub(visible)
    app.router.add_get("/api/live", live)
    app.on_shutdown.append(_close_sockets)
    # Every committed change to a case is told to the listeners (yorisoi.operators.notices).
    listeners = app.get(keys.LISTENERS)
    if listeners is not None and app[HUB].publish not in listeners:
        listeners.append(app[HUB].publish)
