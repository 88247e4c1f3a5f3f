"""``yorisoi simulate``: post one signed LINE event to a running yorisoi, as LINE would."""

from __future__ import annotations

import argparse
import os
import sys
import time

import aiohttp

from yorisoi.line.eventgen import make_event, sign, webhook_body


async def simulate(args: argparse.Namespace) -> int:
    """Build, sign and post the event; print the answer."""
    secret = os.environ.get("LINE_CHANNEL_SECRET")
    if not secret:
        print("yorisoi: LINE_CHANNEL_SECRET: set it to the secret the server uses", file=sys.stderr)
        return 2
    async with aiohttp.ClientSession() as session:
        reply_token = None
        if args.standin:
            async with session.post(
                f"{args.standin.rstrip('/')}/_standin/reply-tokens", json={"userId": args.user}
            ) as response:
                reply_token = (await response.json())["replyToken"]
        event = make_event(
            args.event,
            args.user,
            timestamp_ms=int(time.time() * 1000),
            reply_token=reply_token,
            text=args.text,
            data=args.data,
            unblocked=args.unblocked,
        )
        body = webhook_body([event])
        signature = sign(body, "forged-" + secret if args.forge else secret)
        async with session.post(
            args.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Line-Signature": signature,
            },
        ) as response:
            print(f"{response.status} {await response.text()}")
            return 0 if response.status == 200 else 1
