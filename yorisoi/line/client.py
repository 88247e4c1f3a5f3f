"""The outbound LINE client: line-bot-sdk v3's async Messaging API, with outcomes classified.

Every Messaging API call goes to ``LINE_API_ENDPOINT`` (the SDK's ``Configuration.host``),
so the stand-in can take LINE's place. Calls never raise for LINE's answers: they return
a ``CallResult`` saying what happened; the outbox sender decides from that.

Reply and push, the hot path, go through the SDK's ``AsyncApiClient.call_api`` with the
JSON body we already have: building and re-serialising the SDK's pydantic request models
took about 60 % of the event loop's time per delivery under load (bench/webhook_load.py).
Our messages come from ``yorisoi.line.messages`` and validated flows, and the tests check
every request the stand-in receives against the SDK's own request models. The rarer calls
(loading animation, mark-as-read, quota) use the SDK's typed methods.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    MarkMessagesAsReadByTokenRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

MONTHLY_LIMIT = "You have reached your monthly limit."
INVALID_REPLY_TOKEN = "Invalid reply token"


@dataclass(frozen=True, slots=True)
class CallResult:
    """What LINE answered, in the terms the sender acts on.

    kind is one of: ok, duplicate (409 on a retry key: delivered before),
    invalid_reply_token, monthly_limit, rate_limited, server_error (5xx or a dropped
    connection: LINE may have acted), unauthorized, rejected (4xx we cannot fix by
    retrying), timeout (LINE may have acted), unreachable (never connected).
    """

    kind: str
    status: int | None = None
    detail: str | None = None
    request_id: str | None = None

    @property
    def delivered(self) -> bool:
        """True if LINE has the messages."""
        return self.kind in ("ok", "duplicate")


class LineClient:
    """Calls the Messaging API through the SDK; one instance per app, opened in the loop."""

    def __init__(self, endpoint: str, access_token: str, timeout: float) -> None:
        # AsyncApiClient opens its aiohttp session in __init__: build it inside the loop.
        self._api_client = AsyncApiClient(Configuration(host=endpoint, access_token=access_token))
        self._api = AsyncMessagingApi(self._api_client)
        self._timeout = timeout

    async def close(self) -> None:
        """Close the SDK's HTTP session."""
        await self._api_client.close()

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> CallResult:
        """Send messages with a reply token (free; the token works once, for about a minute)."""
        body = {"replyToken": reply_token, "messages": messages}
        return await self._post("/v2/bot/message/reply", body)

    async def push(
        self, user_id: str, messages: list[dict[str, Any]], retry_key: str
    ) -> CallResult:
        """Push messages; LINE answers 409 if a request with this retry key was accepted."""
        body = {"to": user_id, "messages": messages}
        return await self._post("/v2/bot/message/push", body, {"X-Line-Retry-Key": retry_key})

    async def _post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> CallResult:
        return await self._call(
            self._api_client.call_api(
                path,
                "POST",
                header_params={"Content-Type": "application/json", **(headers or {})},
                body=body,
                response_types_map={},
                auth_settings=["Bearer"],
                _request_timeout=self._timeout,
            )
        )

    async def show_loading(self, user_id: str, seconds: int = 20) -> CallResult:
        """Show the typing animation in the user's chat (only while they have it open)."""
        request = ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds)
        return await self._call(
            self._api.show_loading_animation_with_http_info(request, _request_timeout=self._timeout)
        )

    async def mark_as_read(self, mark_as_read_token: str) -> CallResult:
        """Mark the user's messages up to this one as read."""
        request = MarkMessagesAsReadByTokenRequest(markAsReadToken=mark_as_read_token)
        return await self._call(
            self._api.mark_messages_as_read_by_token_with_http_info(
                request, _request_timeout=self._timeout
            )
        )

    async def quota(self) -> dict[str, Any]:
        """Return this month's push quota and usage (``limit`` is None when unlimited)."""
        quota = await self._api.get_message_quota(_request_timeout=self._timeout)
        usage = await self._api.get_message_quota_consumption(_request_timeout=self._timeout)
        limit = quota.value if quota.type == "limited" else None
        return {"type": quota.type, "limit": limit, "used": usage.total_usage}

    async def _call(self, request: Any) -> CallResult:
        try:
            response = await request
        except ApiException as exc:
            return _classify(exc)
        except TimeoutError:
            return CallResult("timeout", detail="no answer within the timeout")
        except aiohttp.ClientConnectorError as exc:
            # The connection was never made: LINE cannot have seen the request.
            return CallResult("unreachable", detail=str(exc))
        except aiohttp.ClientError as exc:
            # Disconnected mid-request: LINE may or may not have processed it.
            return CallResult("server_error", detail=f"{type(exc).__name__}: {exc}")
        headers = response.headers or {}
        return CallResult(
            "ok", status=response.status_code, request_id=headers.get("x-line-request-id")
        )


def _classify(exc: ApiException) -> CallResult:
    status = int(exc.status or 0)
    headers = exc.headers or {}
    message = _error_message(exc.body)
    request_id = headers.get("x-line-request-id")
    if status == 409:
        accepted = headers.get("x-line-accepted-request-id")
        return CallResult("duplicate", status, message, accepted or request_id)
    if status == 400 and INVALID_REPLY_TOKEN.lower() in message.lower():
        return CallResult("invalid_reply_token", status, message, request_id)
    if status == 429:
        kind = "monthly_limit" if "monthly limit" in message.lower() else "rate_limited"
        return CallResult(kind, status, message, request_id)
    if status in (401, 403):
        return CallResult("unauthorized", status, message, request_id)
    if status >= 500:
        return CallResult("server_error", status, message, request_id)
    return CallResult("rejected", status, message, request_id)


def _error_message(body: Any) -> str:
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(parsed, dict):
        details = parsed.get("details") or []
        extra = "; ".join(str(d.get("message", "")) for d in details if isinstance(d, dict))
        message = str(parsed.get("message", ""))
        return f"{message} ({extra})" if extra else message
    return text[:500]
