"""``POST /callback``: verify LINE's signature, store the events, answer 200. Nothing else.

The handler stays thin so it answers well inside LINE's 2-second budget: the signature
is checked on the raw body bytes (line-bot-sdk's ``SignatureValidator``), the events are
kept as raw JSON in the inbox (one group-committed write), and processing continues in
the background. We do not build the SDK's pydantic event models here (FACTS.md: about a
millisecond per event).
"""

from __future__ import annotations

import json

import structlog
from aiohttp import web
from linebot.v3 import SignatureValidator

from yorisoi import keys
from yorisoi.line.events import MalformedEvent, to_inbound
from yorisoi.store.records import EventStatus

log = structlog.get_logger("yorisoi.webhook")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def callback(request: web.Request) -> web.Response:
    """Receive a LINE webhook request."""
    app = request.app
    limit = app[keys.SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _error(413, f"body larger than {limit} bytes")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, f"body larger than {limit} bytes")
    signature = request.headers.get("X-Line-Signature")
    if not signature:
        return _error(400, "missing X-Line-Signature header")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "body is not UTF-8")
    if not app[VALIDATOR].validate(text, signature):
        log.warning("webhook.bad_signature", remote=request.remote)
        return _error(401, "invalid X-Line-Signature")
    try:
        payload = json.loads(text)
    except ValueError:
        return _error(400, "body is not valid JSON")
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        return _error(400, "body has no 'events' list")
    if not events:
        return web.Response(text="OK")  # LINE's connectivity check
    now = app[keys.CLOCK].now()
    try:
        records = [to_inbound(event, now) for event in events]
    except MalformedEvent as exc:
        return _error(400, str(exc))
    store = app[keys.STORE]
    added = set(await store.add_events(records))
    for record in records:
        if record.user_id is None and record.event_id in added:
            # Group and room events carry no user to answer: kept, marked as handled.
            await store.finish_event(record.event_id, EventStatus.IGNORED, now)
    worker = app[keys.WORKER]
    if added and worker is not None:
        worker.notify({r.user_id for r in records if r.event_id in added and r.user_id})
    log.debug("webhook.stored", received=len(records), new=len(added))
    return web.Response(text="OK")


VALIDATOR = web.AppKey("signature_validator", SignatureValidator)


def setup(app: web.Application, channel_secret: str) -> None:
    """Add the webhook route to the app."""
    app[VALIDATOR] = SignatureValidator(channel_secret)
    app.router.add_post("/callback", callback)
