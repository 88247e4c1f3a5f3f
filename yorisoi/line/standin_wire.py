"""The wire side of the Messaging API stand-in: LINE's paths, what it records, its errors.

Kept apart from ``yorisoi.line.standin`` (the endpoints and their shared state): the paths
and patterns LINE documents, the records the stand-in keeps of what it received and
"delivered", and the request helpers that make every answer LINE-shaped (bodies validated
with the SDK's own request models, errors as ``{"message": ...}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

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

Handler = Callable[[web.Request], Any]


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
class Fault:
    """An injected failure waiting for the next request to its path."""

    status: int
    body: dict[str, Any]
    deliver: bool
    hang: bool


@dataclass(frozen=True)
class Accepted:
    """What a retry key was first accepted with."""

    request_id: str
    sent_messages: list[dict[str, str]]
    at: datetime


class BadRequest(Exception):
    """Raised when a request body fails validation; carries LINE's error body."""

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.body: dict[str, Any] = {"message": message}
        if details:
            self.body["details"] = details


async def run_handler(handler: Handler, request: web.Request) -> web.StreamResponse:
    """Run a route handler, turning validation and routing errors into LINE-shaped JSON."""
    try:
        response: web.StreamResponse = await handler(request)
    except BadRequest as exc:
        return web.json_response(exc.body, status=400)
    except web.HTTPException as exc:
        if exc.status == 404:
            return error_response(404, "Not found")
        return error_response(exc.status, exc.reason)
    return response


async def json_object(request: web.Request) -> dict[str, Any]:
    """Return the request body as a JSON object, or raise ``BadRequest``."""
    try:
        payload = json.loads(await request.read())
    except ValueError:
        raise BadRequest("The request body could not be parsed as JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest("The request body must be a JSON object")
    return payload


def validate(model: Any, payload: dict[str, Any]) -> None:
    """Validate ``payload`` with the SDK's request ``model``, or raise ``BadRequest``."""
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
        raise BadRequest(f"The request body has {len(details)} error(s)", details) from None


def error_response(status: int, message: str) -> web.Response:
    """Return LINE's error body with ``status``."""
    return web.json_response({"message": message}, status=status)


def record(request: web.Request, raw: bytes, status: int, at: datetime) -> RecordedRequest:
    """Make the record of one request, with the access token masked."""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    headers = {name.lower(): value for name, value in request.headers.items()}
    if "authorization" in headers:
        headers["authorization"] = "Bearer ***"
    return RecordedRequest(request.method, request.path, status, body, headers, at)


def jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    """Return ``fields`` with datetimes as ISO 8601 strings."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
