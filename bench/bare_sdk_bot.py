"""The baseline for bench/webhook_load.py: line-bot-sdk v3's own aiohttp echo-bot pattern.

Parses every webhook with WebhookParser (pydantic models) and replies inline before
answering 200, as the SDK's example does. Nothing is stored. Run by the benchmark as:
python bench/bare_sdk_bot.py PORT CHANNEL_SECRET ACCESS_TOKEN LINE_API_ENDPOINT
"""

from __future__ import annotations

import sys

from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent


def main() -> None:
    port, secret, token, endpoint = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    parser = WebhookParser(secret)
    app = web.Application()

    async def client_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        client = AsyncApiClient(Configuration(access_token=token, host=endpoint))
        app["api"] = AsyncMessagingApi(client)
        yield
        await client.close()

    async def callback(request: web.Request) -> web.Response:
        signature = request.headers["X-Line-Signature"]
        body = await request.text()
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            return web.Response(status=400, text="Invalid signature")
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                await request.app["api"].reply_message(
                    ReplyMessageRequest(
                        reply_token=event.reply_token,
                        messages=[TextMessage(text=event.message.text)],
                    )
                )
        return web.Response(text="OK")

    app.cleanup_ctx.append(client_ctx)
    app.router.add_post("/callback", callback)
    web.run_app(app, host="127.0.0.1", port=int(port), print=None, access_log=None)


if __name__ == "__main__":
    main()
