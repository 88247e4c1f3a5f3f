"""Webhook load benchmark: yorisoi vs a bare line-bot-sdk bot, on this machine.

Each system runs as its own ``serve`` process; this process plays LINE twice over: it
posts signed webhooks (one text event each, ``--concurrency`` at a time) and serves the
Messaging API stand-in that receives the replies. Printed, and appended to RESULTS.md:

* webhook acknowledgement latency (p50/p95/p99/max): what LINE's 2-second budget is about;
* end-to-end throughput: events per second from the first post to the last reply received;
* idle reply latency: one event at a time, from the webhook post to the reply at "LINE".

The texts are everyday Japanese lines (TEXTS). Until round 6 they were "message N", which the
screener also reads as romaji (めっさげ) and so screens twice: that alone made yorisoi look about
a third slower than with the Japanese messages it gets.

Usage: .venv/bin/python bench/webhook_load.py [--events 2000] [--concurrency 50] [--users 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from yorisoi.line.eventgen import make_event, sign, webhook_body
from yorisoi.line.standin import StandIn

ROOT = Path(__file__).resolve().parent.parent

# Everyday lines, none of them risky: every event takes the ordinary path (always_open_content).
TEXTS = (
    "こんにちは",
    "今日は学校つかれた",
    "夜泣きで全然寝てない",
    "相談ってどうやってするの？",
    "バイト先の先輩がちょっと苦手",
    "離乳食を食べてくれない",
    "明日テストなんだよね",
    "ありがとう、少し落ち着いた",
)
SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(url: str, proc: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(400):
            if proc.returncode is not None:
                raise SystemExit(f"server exited: {proc.returncode}")
            try:
                async with session.post(
                    url,
                    data=b'{"events":[]}',
                    headers={"X-Line-Signature": sign(b'{"events":[]}', SECRET)},
                ) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("server did not start")


async def run_system(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    standin: StandIn,
    args: argparse.Namespace,
) -> dict[str, float]:
    proc = await asyncio.create_subprocess_exec(
        *command,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/callback"
    try:
        await wait_healthy(url, proc)
        standin.reset()
        # Idle latency: one follow at a time, from the webhook post to the reply at "LINE".
        idle: list[float] = []
        async with aiohttp.ClientSession() as session:
            for n in range(20):
                u = "U" + f"{10**6 + n:032x}"
                event = make_event(
                    "text",
                    u,
                    timestamp_ms=1_600_000_000_000 + n,
                    reply_token=standin.issue_reply_token(u),
                    text="hello",
                )
                body = webhook_body([event])
                t0 = time.perf_counter()
                async with session.post(
                    url,
                    data=body,
                    headers={
                        "X-Line-Signature": sign(body, SECRET),
                        "Content-Type": "application/json",
                    },
                ) as r:
                    assert r.status == 200
                await standin.wait_for_messages(u, 1, timeout=10)
                idle.append(time.perf_counter() - t0)
        standin.reset()
        users = ["U" + f"{n:032x}" for n in range(args.users)]
        bodies = []
        for i in range(args.events):
            u = users[i % len(users)]
            event = make_event(
                "text",
                u,
                timestamp_ms=1_700_000_000_000 + i,
                reply_token=standin.issue_reply_token(u),
                text=TEXTS[i % len(TEXTS)],
            )
            body = webhook_body([event])
            bodies.append((body, sign(body, SECRET)))
        latencies: list[float] = []
        queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
        for item in bodies:
            queue.put_nowait(item)
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker() -> None:
                while not queue.empty():
                    body, signature = queue.get_nowait()
                    t0 = time.perf_counter()
                    async with session.post(
                        url,
                        data=body,
                        headers={"X-Line-Signature": signature, "Content-Type": "application/json"},
                    ) as r:
                        await r.read()
                        assert r.status == 200, r.status
                    latencies.append(time.perf_counter() - t0)

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            acked = time.perf_counter()
            async with asyncio.timeout(300):
                while len(standin.sent_messages()) < args.events:  # noqa: ASYNC110 (all users)
                    await asyncio.sleep(0.01)
            done = time.perf_counter()
        latencies.sort()

        def q(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

        return {
            "idle_reply_p50_ms": statistics.median(idle) * 1000,
            "idle_reply_max_ms": max(idle) * 1000,
            "ack_p50_ms": q(0.50),
            "ack_p95_ms": q(0.95),
            "ack_p99_ms": q(0.99),
            "ack_max_ms": latencies[-1] * 1000,
            "ack_mean_ms": statistics.mean(latencies) * 1000,
            "acked_per_s": args.events / (acked - start),
            "end_to_end_per_s": args.events / (done - start),
            "replies": float(len(standin.sent_messages())),
        }
    finally:
        proc.terminate()
        await proc.wait()


ALWAYS_OPEN = """\
timezone: Asia/Tokyo
weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"],
         thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
public_holidays: open
"""


def always_open_content(tmp: Path) -> Path:
    """Return a copy of the content with hours that never close.

    Every event then takes the same path (a text in the menu gets the menu again), so the
    figures do not depend on the hour the benchmark runs at: at night the first text of a
    user opens a case and later ones get no bot reply, which this benchmark cannot count.
    """
    root = tmp / "content"
    for folder in ("states", "faq", "operators"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "operators" / "hours.yaml").write_text(ALWAYS_OPEN, encoding="utf-8")
    return root


async def main(args: argparse.Namespace) -> None:
    standin = StandIn(access_token=TOKEN, monthly_quota=None)
    runner = web.AppRunner(standin.make_app(), access_log=None)
    await runner.setup()
    line_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", line_port).start()
    endpoint = f"http://127.0.0.1:{line_port}"
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "YORISOI_"))}
        port = free_port()
        content = always_open_content(Path(tmp))
        yorisoi_env = {
            **base,
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "YORISOI_CONTENT_DIR": str(content),
            "LINE_API_ENDPOINT": endpoint,
            "YORISOI_SECRET_KEY": "b" * 40,
            "YORISOI_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "YORISOI_LOG_LEVEL": "WARNING",
            "PORT": str(port),
            "YORISOI_HOST": "127.0.0.1",
        }
        results["yorisoi"] = await run_system(
            "yorisoi", [sys.executable, "-m", "yorisoi", "serve"], yorisoi_env, port, standin, args
        )
        port = free_port()
        results["bare line-bot-sdk"] = await run_system(
            "bare",
            [
                sys.executable,
                str(ROOT / "bench" / "bare_sdk_bot.py"),
                str(port),
                SECRET,
                TOKEN,
                endpoint,
            ],
            base,
            port,
            standin,
            args,
        )
    await runner.cleanup()
    report(results, args)


def report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    header = (
        "| system | idle reply p50 / max ms | ack p50 ms | ack p95 ms | ack p99 ms | "
        "ack max ms | acked/s | end-to-end replies/s |"
    )
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['idle_reply_p50_ms']:.1f} / {r['idle_reply_max_ms']:.1f} | "
            f"{r['ack_p50_ms']:.1f} | {r['ack_p95_ms']:.1f} | "
            f"{r['ack_p99_ms']:.1f} | {r['ack_max_ms']:.1f} | {r['acked_per_s']:.0f} | "
            f"{r['end_to_end_per_s']:.0f} |"
        )
    table = "\n".join(lines)
    print(table)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write(
            f"\n## webhook_load — {stamp}\n\n{args.events} events, concurrency "
            f"{args.concurrency}, {args.users} users; {platform.python_version()}, "
            f"{os.cpu_count()} cores; SQLite synchronous=FULL; stand-in and load generator "
            f"in one process, server in another.\n\n{table}\n"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--users", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
