"""The demo chat page's HTTP routes, and the small journal of what demo users sent.

Routes (registered only in demo mode, by ``yorisoi.demo.setup``):

- ``GET  /demo``                    the chat page; its files under ``/demo/static/``
- ``GET  /demo/api/stickers``       the stickers the page offers
- ``POST /demo/api/users``          a new pseudo user id (``U`` + 32 lowercase hex)
- ``POST /demo/api/events``         build a LINE-shaped event, sign it, POST it to ``/callback``
- ``GET  /demo/api/messages``       long-poll the bot's messages to a user after a cursor
- ``GET  /demo/api/thread``         the user's whole thread: what they sent and what the bot said

The page acts exactly like LINE would: each event goes over HTTP to the real webhook with
a valid signature and a reply token issued by the stand-in, so demo mode exercises the same
path as production. What the bot says is read back from the stand-in, which records every
message "delivered" to a user.

Cursors. The stand-in only appends, so "the n-th message to this user" is stable: a cursor
is the number of the user's messages the page has already shown. ``GET /demo/api/messages``
answers at once when there are newer ones, else waits (at most ``MAX_WAIT`` seconds, or
``wait=`` from the query, so tests need not wait) and answers with whatever arrived, possibly
nothing, and the next cursor.

The thread is kept by the demo's journal (``yorisoi.demo.journal``): what users sent,
interleaved with what the bot said, in the order it happened.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from yorisoi import keys
from yorisoi.clock import to_ms
from yorisoi.demo.journal import STICKERS, Entry, Journal, bot_item, merged_thread
from yorisoi.line.eventgen import make_event, sign, webhook_body
from yorisoi.line.standin import SentMessage, StandIn

log = structlog.get_logger("yorisoi.demo")

STATIC_DIR = Path(__file__).parent / "static"
PAGE = STATIC_DIR / "demo.html"

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
KINDS = frozenset({"follow", "unfollow", "text", "sticker", "image", "postback"})
# Kinds a user who has blocked the account cannot send: LINE offers no input to them.
SPEAKING_KINDS = frozenset({"text", "sticker", "image", "postback"})
MAX_TEXT = 5000  # LINE's limit for one text message
MAX_POSTBACK = 300  # LINE's limit for postback data and displayText
MAX_WAIT = 20.0  # seconds a long-poll is held; below common proxy idle timeouts
WEBHOOK_TIMEOUT = 15.0


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

JOURNAL = web.AppKey("demo_journal", Journal)
HTTP = web.AppKey("demo_http", aiohttp.ClientSession)


class BadInput(Exception):
    """Raised when a demo API request is malformed; carries a code and a Japanese message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _bad(code: str, message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _standin(request: web.Request) -> StandIn:
    standin = request.app[keys.STANDIN]
    if standin is None:  # setup() is only called in demo mode; this guards misuse
        raise web.HTTPNotFound()
    return standin


def _user_param(request: web.Request) -> str:
    user_id = request.query.get("user", "")
    if not USER_ID.match(user_id):
        raise BadInput(
            "bad_user", "利用者IDの形が正しくありません。「新しい利用者」を作りなおしてください。"
        )
    return user_id


PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}


async def page(request: web.Request) -> web.FileResponse:
    """Serve the chat page."""
    return web.FileResponse(PAGE, headers=PAGE_HEADERS)


async def stickers(request: web.Request) -> web.Response:
    """List the stickers the page offers."""
    return web.json_response(
        {"stickers": [{"key": s.key, "face": s.face, "label": s.label} for s in STICKERS.values()]}
    )


# -- users and events -------------------------------------------------------------------------


async def new_user(request: web.Request) -> web.Response:
    """Make a new pseudo user id, shaped like LINE's."""
    user_id = "U" + secrets.token_hex(16)
    request.app[JOURNAL].user(user_id)
    return web.json_response({"userId": user_id})


@dataclass(frozen=True)
class EventRequest:
    """A validated ``POST /demo/api/events`` body."""

    user_id: str
    kind: str
    text: str
    data: str
    unblocked: bool
    sticker: str | None


def parse_event_request(payload: Any) -> EventRequest:
    """Validate the body of ``POST /demo/api/events``, or raise ``BadInput``."""
    if not isinstance(payload, dict):
        raise BadInput("bad_body", "送る内容は JSON のオブジェクトにしてください。")
    user_id = payload.get("userId")
    if not isinstance(user_id, str) or not USER_ID.match(user_id):
        raise BadInput(
            "bad_user", "利用者IDの形が正しくありません。「新しい利用者」を作りなおしてください。"
        )
    kind = payload.get("kind")
    if kind not in KINDS:
        raise BadInput("bad_kind", "送る種類がわかりません。")
    text = payload.get("text", "")
    data = payload.get("data", "")
    unblocked = payload.get("unblocked", False)
    sticker = payload.get("sticker")
    if not isinstance(text, str) or not isinstance(data, str):
        raise BadInput("bad_text", "text と data は文字列にしてください。")
    if not isinstance(unblocked, bool):
        raise BadInput("bad_unblocked", "unblocked は true か false にしてください。")
    if kind == "text":
        if not text.strip():
            raise BadInput("empty_text", "メッセージが空です。")
        if len(text) > MAX_TEXT:
            raise BadInput("text_too_long", f"メッセージが長すぎます（{MAX_TEXT}文字まで）。")
    if kind == "postback":
        if not data:
            raise BadInput("empty_data", "ボタンのデータ（data）がありません。")
        if len(data) > MAX_POSTBACK or len(text) > MAX_POSTBACK:
            raise BadInput(
                "data_too_long", f"ボタンのデータが長すぎます（{MAX_POSTBACK}文字まで）。"
            )
    if kind == "sticker":
        sticker = sticker or next(iter(STICKERS))
        if sticker not in STICKERS:
            raise BadInput("bad_sticker", "そのスタンプはありません。")
    else:
        sticker = None
    return EventRequest(user_id, kind, text, data, unblocked, sticker)


def _shown_text(wanted: EventRequest) -> str:
    """Return what the user's side of the thread shows for an event."""
    if wanted.kind == "text":
        return wanted.text
    if wanted.kind == "sticker":
        return "[スタンプ]"
    if wanted.kind == "image":
        return "[画像]"
    if wanted.kind == "postback":
        return wanted.text  # LINE shows the action's displayText, or nothing
    if wanted.kind == "unfollow":
        return "ブロックしました"
    return "ブロックを解除しました" if wanted.unblocked else "友だち追加しました"


def _line_event(request: web.Request, wanted: EventRequest, timestamp_ms: int) -> dict[str, Any]:
    """Build the LINE webhook event for a validated request."""
    reply_token = None
    if wanted.kind != "unfollow":  # unfollow events carry no reply token
        reply_token = _standin(request).issue_reply_token(wanted.user_id)
    event = make_event(
        wanted.kind,
        wanted.user_id,
        timestamp_ms=timestamp_ms,
        reply_token=reply_token,
        text=wanted.text,
        data=wanted.data,
        unblocked=wanted.unblocked,
    )
    if wanted.sticker is not None:
        sticker = STICKERS[wanted.sticker]
        event["message"].update(packageId=sticker.package_id, stickerId=sticker.sticker_id)
    return event


async def post_event(request: web.Request) -> web.Response:
    """Send one event as LINE would: signed, over HTTP, to this server's ``/callback``."""
    try:
        payload = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadInput("bad_json", "送る内容が JSON として読めません。") from None
    wanted = parse_event_request(payload)
    app = request.app
    user = app[JOURNAL].user(wanted.user_id)
    if user.blocked and wanted.kind in SPEAKING_KINDS:
        return _bad("blocked", "ブロック中は送れません。「ブロック解除」をしてください。", 409)

    now = app[keys.CLOCK].now()
    # Events of one user are processed in timestamp order; an injected clock may stand
    # still, so keep this user's timestamps strictly increasing.
    timestamp_ms = max(to_ms(now), user.last_timestamp_ms + 1)
    user.last_timestamp_ms = timestamp_ms
    bots_before = len(_standin(request).sent_messages(wanted.user_id))
    event = _line_event(request, wanted, timestamp_ms)
    body = webhook_body([event])
    headers = {
        "Content-Type": "application/json",
        "X-Line-Signature": sign(body, app[keys.CHANNEL_SECRET]),
    }
    # The real webhook, reached the way LINE reaches it: over HTTP, at this very server.
    callback = request.url.with_path("/callback")
    status: int | None = None
    try:
        async with app[HTTP].post(callback, data=body, headers=headers) as response:
            status = response.status
            await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("demo.webhook_failed", error=type(exc).__name__)

    delivered = status is not None and 200 <= status < 300
    entry = Entry(
        wanted.kind,
        _shown_text(wanted),
        now,
        bots_before,
        sticker=wanted.sticker,
        failed=not delivered,
    )
    user.entries.append(entry)
    if not delivered:
        return web.json_response(
            {
                "error": "webhook_failed",
                "message": "ボットに届けられませんでした。少し待ってから、もう一度ためしてください。",
                "status": status,
                "entry": entry.item(),
            },
            status=502,
        )
    if wanted.kind == "unfollow":
        user.blocked = True
    elif wanted.kind == "follow":
        user.blocked = False
    return web.json_response({"status": status, "entry": entry.item(), "blocked": user.blocked})


# -- reading the thread -----------------------------------------------------------------------


def _int_param(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"bad_{name}", f"{name} は 0 以上の整数にしてください。") from None
    if value < 0:
        raise BadInput(f"bad_{name}", f"{name} は 0 以上の整数にしてください。")
    return value


def _wait_param(request: web.Request) -> float:
    raw = request.query.get("wait")
    if raw is None:
        return MAX_WAIT
    try:
        wait = float(raw)
    except ValueError:
        raise BadInput("bad_wait", "wait は秒数（数字）にしてください。") from None
    if not 0 <= wait <= MAX_WAIT:  # also refuses nan
        raise BadInput("bad_wait", f"wait は 0 から {MAX_WAIT:g} 秒までにしてください。")
    return wait


async def _long_poll(
    journal: Journal, standin: StandIn, user_id: str, after: int, wait: float
) -> list[SentMessage]:
    """Wait for messages after the cursor, but give up at once when the app shuts down."""
    # Shutdown runs on_shutdown before it waits for open requests: ending polls here
    # keeps a 20-second poll from holding the server's shutdown.
    poll = asyncio.ensure_future(standin.messages_after(user_id, after, wait))
    closing = asyncio.ensure_future(journal.closing.wait())
    try:
        await asyncio.wait({poll, closing}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closing.cancel()
        poll.cancel()
    if poll.done() and not poll.cancelled():
        return poll.result()
    return standin.sent_messages(user_id)[after:]


async def messages(request: web.Request) -> web.Response:
    """Long-poll the bot's messages to a user after the ``after`` cursor."""
    user_id = _user_param(request)
    after = _int_param(request, "after", 0)
    wait = _wait_param(request)
    standin = _standin(request)
    count = len(standin.sent_messages(user_id))
    if after > count:
        # The cursor is from before a restart: tell the page to re-read the thread.
        return web.json_response({"messages": [], "next": count, "reset": True})
    arrived = await _long_poll(request.app[JOURNAL], standin, user_id, after, wait)
    items = [bot_item(after + i, m) for i, m in enumerate(arrived)]
    return web.json_response({"messages": items, "next": after + len(arrived)})


async def thread(request: web.Request) -> web.Response:
    """Return the user's whole thread and the cursor to long-poll from."""
    user_id = _user_param(request)
    bots = _standin(request).sent_messages(user_id)
    user = request.app[JOURNAL].get(user_id)
    entries = list(user.entries) if user is not None else []
    return web.json_response(
        {
            "userId": user_id,
            "known": user is not None,
            "blocked": user.blocked if user is not None else False,
            "items": merged_thread(entries, bots),
            "next": len(bots),
        }
    )


def _answering_bad_input(handler: _Handler) -> _Handler:
    """Wrap an API handler so that ``BadInput`` becomes a 400 with a JSON error."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadInput as exc:
            return _bad(exc.code, exc.message)

    return wrapped


def add_routes(app: web.Application) -> None:
    """Add the demo page and its API to ``app``."""
    app.router.add_get("/demo", page)
    app.router.add_get("/demo/", page)
    app.router.add_static("/demo/static", STATIC_DIR)
    app.router.add_get("/demo/api/stickers", stickers)
    app.router.add_post("/demo/api/users", new_user)
    app.router.add_post("/demo/api/events", _answering_bad_input(post_event))
    app.router.add_get("/demo/api/messages", _answering_bad_input(messages))
    app.router.add_get("/demo/api/thread", _answering_bad_input(thread))
