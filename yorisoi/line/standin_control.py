"""The stand-in's control routes under ``/_standin/``: what tests and the demo read back.

No authentication: the stand-in is bound to loopback only. Each route reads the stand-in's
public API (``sent_messages``, ``issue_reply_token``, ``requests``), nothing private.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from aiohttp import web

from yorisoi.line.standin_wire import (
    CONTROL_PREFIX,
    BadRequest,
    error_response,
    json_object,
    jsonable,
)

if TYPE_CHECKING:
    from yorisoi.line.standin import StandIn


def add_control_routes(app: web.Application, standin: StandIn) -> None:
    """Add the control routes of ``standin`` to its app."""

    async def messages(request: web.Request) -> web.Response:
        """List delivered messages with their global ``seq``, from ``after`` on."""
        user = request.query.get("user")
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return error_response(400, "after must be an integer")
        listed = [
            {"seq": seq, **jsonable(asdict(message))}
            for seq, message in enumerate(standin.sent_messages())
            if seq >= after and (user is None or message.user_id == user)
        ]
        return web.json_response({"messages": listed})

    async def reply_token(request: web.Request) -> web.Response:
        """Issue a reply token for the posted ``userId``."""
        payload = await json_object(request)
        user_id = payload.get("userId")
        if not isinstance(user_id, str) or not user_id:
            raise BadRequest("userId is required")
        return web.json_response({"replyToken": standin.issue_reply_token(user_id)})

    async def requests(request: web.Request) -> web.Response:
        """List every recorded LINE request."""
        return web.json_response({"requests": [jsonable(asdict(r)) for r in standin.requests]})

    app.router.add_get(CONTROL_PREFIX + "messages", messages)
    app.router.add_post(CONTROL_PREFIX + "reply-tokens", reply_token)
    app.router.add_get(CONTROL_PREFIX + "requests", requests)
