"""Scale through the running app: `yorisoi serve` on stores of three sizes, and an empty one.

Issue 20's scale bench, end to end. For each size a fresh SQLite file is filled through the
store port (``scale_store.fill``: one ``commit_turn`` per user, ~10 % of users with an open
case, ~20 % with a closed one, and ``--messages-per-user`` logged messages each), two staff
accounts are added (a supervisor, and a responder who sees youth cases only), and then
``yorisoi serve`` runs as its own process in production mode (LINE credentials set,
LINE_API_ENDPOINT at the Messaging API stand-in served by this process). Measured per size:

* event -> reply for EXISTING users (menu state, no case): signed text webhooks, one at a
  time, from the post to the reply arriving at the stand-in;
* the queue list over HTTP, signed in: GET /api/conversations?status=waiting (first page,
  and a page deep in it via next_cursor), ?status=closed, the youth responder's waiting
  queue, and GET /api/queue/counts; every ``total`` is checked against a direct SQL count on
  the SQLite file;
* the server's RSS (VmRSS, and its peak VmHWM) after the measurements; start-up time.

Event -> reply is timed twice per size: alone (the absolute figure), then interleaved for the
growth (large ÷ empty): the empty store's server stays up, and a second text to each of the
same users alternates with a text to it, so a busy machine slows both alike. (Interleaved,
both medians are higher than alone: two servers' after-reply work and fsyncs overlap.)

The baseline ("empty") store holds only the few hundred users the event -> reply part needs.
Hours are always open (as in webhook_load.py), so a text in the menu always gets a reply.
All traffic goes to 127.0.0.1. Prints a table and appends it to RESULTS.md (--no-record: not).

Usage: .venv/bin/python bench/scale_app.py [--sizes 10000,30000,100000] [--events 200]
       [--runs 50] [--messages-per-user 10] [--no-record]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from scale_store import fill
from webhook_load import SECRET, TEXTS, TOKEN, always_open_content, free_port

from yorisoi.admin.staff import add_staff
from yorisoi.line.eventgen import make_event, sign, webhook_body
from yorisoi.line.standin import StandIn
from yorisoi.store import open_store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-0123"
SUPERVISOR = "bench-super"
YOUTH = "bench-youth"
WARMUP_EVENTS = 10
START_TIMEOUT_S = 180.0
REPLY_TIMEOUT_S = 10.0
SIZE_TIMEOUT_S = 1800.0
START_ATTEMPTS = 2  # a port taken between free_port() and bind: try once more
DEEP_PAGES = 20  # the deep page: as far as next_cursor goes, at most this many pages in


def quantiles(samples: list[float]) -> tuple[float, float]:
    """Return the median and p95 (nearest rank) in milliseconds of samples in seconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * 95 // 100) - 1))]
    return statistics.median(ordered) * 1000, p95 * 1000


class Direct:
    """Counts read straight from the SQLite file, as the check on the API's totals."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return db.execute(sql, params).fetchone()[0]
        finally:
            db.close()

    def count(self, status: str, topic: str | None = None, viewer: str | None = None) -> int:
        if topic is None:
            return int(
                self.one("SELECT COUNT(*) FROM conversations WHERE case_status = ?", (status,))
            )
        return int(
            self.one(
                "SELECT COUNT(*) FROM conversations WHERE case_status = ? "
                "AND (case_topic = ? OR case_assigned = ?)",
                (status, topic, viewer),
            )
        )

    def idle_users(self, n: int, seed: int) -> list[str]:
        """Return ``n`` existing users without a case, spread over the whole store."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            users = [
                r[0]
                for r in db.execute(
                    "SELECT user_id FROM conversations WHERE case_status IS NULL "
                    "AND state = 'menu' ORDER BY user_id"
                )
            ]
        finally:
            db.close()
        if len(users) < n:
            raise SystemExit(f"only {len(users)} users without a case; need {n}")
        return random.Random(seed).sample(users, n)


async def prepare(path: Path, users: int, messages_per_user: int) -> dict[str, Any]:
    """Fill a fresh store, add the two staff accounts; return what was made."""
    store = await open_store(f"sqlite:///{path}")
    try:
        fill_s = await fill(store, users, messages_per_user=messages_per_user)
        now = datetime.now(UTC)
        await add_staff(store, SUPERVISOR, "supervisor", PASSWORD, now, "ベンチ 統括")
        youth = await add_staff(
            store, YOUTH, "responder", PASSWORD, now, "ベンチ 若者", topics=["youth"]
        )
    finally:
        await store.close()
    return {"fill_s": fill_s, "youth_id": youth.id}


async def wait_started(base: str, proc: asyncio.subprocess.Process) -> float:
    """Wait (bounded) until the webhook answers a signed empty post; return seconds waited."""
    began = time.perf_counter()
    body = b'{"events":[]}'
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - began < START_TIMEOUT_S:
            if proc.returncode is not None:
                raise SystemExit(f"server exited: {proc.returncode}")
            try:
                async with session.post(
                    f"{base}/callback", data=body, headers={"X-Line-Signature": sign(body, SECRET)}
                ) as r:
                    if r.status == 200:
                        return time.perf_counter() - began
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


async def sign_in(session: aiohttp.ClientSession, base: str, login: str) -> dict[str, str]:
    """Sign in; return the Cookie header to send (IP hosts get no cookie jar)."""
    async with session.post(f"{base}/api/login", json={"login": login, "password": PASSWORD}) as r:
        assert r.status == 200, (login, r.status, await r.text())
        morsels = r.cookies
    return {"Cookie": "; ".join(f"{k}={m.value}" for k, m in morsels.items())}


async def get_json(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> dict[str, Any]:
    async with session.get(url, headers=headers) as r:
        assert r.status == 200, (url, r.status, await r.text())
        return dict(await r.json())


async def queue_views(
    base: str, direct: Direct, youth_id: str, runs: int
) -> dict[str, tuple[float, float]]:
    """Time each queue view over HTTP (``runs`` times each) and check its total."""
    timings: dict[str, tuple[float, float]] = {}
    async with aiohttp.ClientSession() as session:
        sup = await sign_in(session, base, SUPERVISOR)
        youth = await sign_in(session, base, YOUTH)
        api = f"{base}/api/conversations"
        # The deep page: follow next_cursor, bounded.
        after, page_no = None, 1
        for _ in range(DEEP_PAGES - 1):
            url = f"{api}?status=waiting" + (f"&after={after}" if after else "")
            page = await get_json(session, url, sup)
            if page["next_cursor"] is None:
                break
            after, page_no = page["next_cursor"], page_no + 1
        views = {
            "waiting, first page": (f"{api}?status=waiting", sup, direct.count("waiting")),
            f"waiting, page {page_no}": (
                f"{api}?status=waiting" + (f"&after={after}" if after else ""),
                sup,
                direct.count("waiting"),
            ),
            "closed, first page": (f"{api}?status=closed", sup, direct.count("closed")),
            "waiting, youth-only responder": (
                f"{api}?status=waiting",
                youth,
                direct.count("waiting", "youth", youth_id),
            ),
        }
        for name, (url, headers, expected) in views.items():
            await get_json(session, url, headers)  # warm
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                body = await get_json(session, url, headers)
                samples.append(time.perf_counter() - t0)
                assert body["total"] == expected, (name, body["total"], expected)
            assert body["conversations"] or expected == 0, name
            timings[name] = quantiles(samples)
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            counts = await get_json(session, f"{base}/api/queue/counts", sup)
            samples.append(time.perf_counter() - t0)
        assert counts["waiting"]["total"] == direct.count("waiting"), counts
        assert counts["active"]["total"] == direct.count("active"), counts
        timings["queue counts"] = quantiles(samples)
    return timings


async def event_to_reply(
    targets: list[tuple[str, str]], standin: StandIn, seen: Counter[str] | None = None
) -> list[float]:
    """Post one signed text per (server, user), one at a time; return post -> reply seconds.

    ``seen`` counts how each first reply went (reply or push) and the start of its text.
    """
    samples = []
    async with aiohttp.ClientSession() as session:
        for n, (base, user) in enumerate(targets):
            event = make_event(
                "text",
                user,
                timestamp_ms=int(time.time() * 1000),
                reply_token=standin.issue_reply_token(user),
                text=TEXTS[n // 2 % len(TEXTS)],
            )
            body = webhook_body([event])
            headers = {"X-Line-Signature": sign(body, SECRET), "Content-Type": "application/json"}
            before = len(standin.sent_messages(user))
            t0 = time.perf_counter()
            async with session.post(f"{base}/callback", data=body, headers=headers) as r:
                assert r.status == 200, r.status
            sent = await standin.wait_for_messages(user, before + 1, timeout=REPLY_TIMEOUT_S)
            samples.append(time.perf_counter() - t0)
            if seen is not None:
                first = sent[before]
                seen[
                    f"{first.via}: {str(first.message.get('text', first.message['type']))[:24]}"
                ] += 1
    return samples


def rss_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


class Server:
    """One size: a filled store and the `yorisoi serve` process running on it."""

    def __init__(self, label: str, users: int, args: argparse.Namespace, tmp: Path) -> None:
        self.label, self.users, self.args, self.tmp = label, users, args, tmp
        self.path = tmp / f"scale-{users}.sqlite3"
        self.log = tmp / f"serve-{users}.log"
        self.direct = Direct(self.path)
        self.proc: asyncio.subprocess.Process | None = None
        self.log_file: Any = None
        self.base = ""
        self.facts: dict[str, Any] = {"label": label}
        self.youth_id = ""
        self.users_idle: list[str] = []

    async def start(self, endpoint: str) -> None:
        made = await prepare(self.path, self.users, self.args.messages_per_user)
        self.youth_id = made["youth_id"]
        direct = self.direct
        self.users_idle = direct.idle_users(self.args.events + WARMUP_EVENTS, seed=self.users)
        self.facts.update(
            {
                "users": int(direct.one("SELECT COUNT(*) FROM conversations")),
                "messages": int(direct.one("SELECT COUNT(*) FROM messages")),
                "waiting": direct.count("waiting"),
                "active": direct.count("active"),
                "closed": direct.count("closed"),
                "fill_s": made["fill_s"],
                "db_mb": self.path.stat().st_size / 2**20,
            }
        )
        print(f"[{self.label}] filled: {self.facts}", flush=True)
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                await self.spawn(endpoint)
                return
            except SystemExit:
                await self.stop_process()
                tail = self.log.read_text(errors="replace").splitlines()[-15:]
                print(f"[{self.label}] start attempt {attempt} failed:", file=sys.stderr)
                print("\n".join(tail), file=sys.stderr)
                self.facts["failed_starts"] = attempt
                if attempt == START_ATTEMPTS:
                    raise

    async def spawn(self, endpoint: str) -> None:
        """Start `yorisoi serve` on a free port; wait until it answers webhooks."""
        if self.log_file is not None:
            self.log_file.close()
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "YORISOI_"))}
        env.update(
            {
                "LINE_CHANNEL_SECRET": SECRET,
                "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                "LINE_API_ENDPOINT": endpoint,
                "YORISOI_CONTENT_DIR": str(self.args.content),
                "YORISOI_SECRET_KEY": "b" * 40,
                "YORISOI_DATABASE_URL": f"sqlite:///{self.path}",
                "YORISOI_PROCESSING": "on",
                "YORISOI_LOG_LEVEL": "WARNING",
                "YORISOI_VAR_DIR": str(self.tmp / f"var-{self.users}"),
                "PORT": str(port),
                "YORISOI_HOST": "127.0.0.1",
            }
        )
        self.log_file = self.log.open("wb")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "yorisoi",
            "serve",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self.log_file,
        )
        self.facts["start_s"] = await wait_started(self.base, self.proc)

    async def stop(self) -> None:
        await self.stop_process()
        if self.log_file is not None:
            self.log_file.close()
        remove_store(self.path)

    async def stop_process(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                async with asyncio.timeout(30):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    def targets(self, users: list[str]) -> list[tuple[str, str]]:
        return [(self.base, u) for u in users]


async def measure(
    server: Server, baseline: Server | None, standin: StandIn, args: argparse.Namespace
) -> dict[str, Any]:
    """Measure one running server; with ``baseline``, interleave its events with the other's.

    Interleaving (one event to the baseline, one to this size, ...) puts both under the same
    load from the rest of the machine, so their ratio is the growth and not the weather.
    """
    assert server.proc is not None
    facts = server.facts
    label = server.label
    await event_to_reply(server.targets(server.users_idle[:WARMUP_EVENTS]), standin)
    facts["queue"] = await queue_views(server.base, server.direct, server.youth_id, args.runs)
    timed = server.targets(server.users_idle[WARMUP_EVENTS:])
    seen: Counter[str] = Counter()
    facts["reply"] = quantiles(await event_to_reply(timed, standin, seen))
    if baseline is not None:
        # The same users again (a second text each), alternating with the empty store's.
        base_users = baseline.targets(baseline.users_idle[WARMUP_EVENTS:])
        pairs = [t for pair in zip(base_users, timed, strict=True) for t in pair]
        samples = await event_to_reply(pairs, standin)
        facts["paired_baseline"] = quantiles(samples[0::2])
        facts["paired"] = quantiles(samples[1::2])
    facts["events"] = sum(seen.values())
    facts["via_reply"] = sum(n for k, n in seen.items() if k.startswith("reply:"))
    print(f"[{label}] first replies: {dict(seen.most_common(4))}", flush=True)
    # Nothing the events did may have changed the queue the API totals were checked on.
    assert facts["waiting"] == server.direct.count("waiting"), "an event opened a case"
    facts["rss"] = rss_kb(server.proc.pid)
    print(f"[{label}] done", flush=True)
    return facts


def remove_store(path: Path) -> None:
    """Delete a SQLite file with its WAL and shared-memory files."""
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        Path(name).unlink(missing_ok=True)


def table(results: list[dict[str, Any]]) -> str:
    def row(name: str, cells: list[str]) -> str:
        return f"| {name} | " + " | ".join(cells) + " |"

    lines = [
        row("", [f"{r['label']}" for r in results]),
        "|---" * (len(results) + 1) + "|",
        row("users / logged messages", [f"{r['users']:,} / {r['messages']:,}" for r in results]),
        row(
            "cases waiting / active / closed",
            [f"{r['waiting']:,} / {r['active']:,} / {r['closed']:,}" for r in results],
        ),
        row("fill through commit_turn (s)", [f"{r['fill_s']:.1f}" for r in results]),
        row("SQLite file (MB)", [f"{r['db_mb']:.0f}" for r in results]),
        row("start-up (s)", [f"{r['start_s']:.1f}" for r in results]),
        row(
            "**event → reply**, existing user, alone (ms p50 / p95)",
            [_ms(r["reply"]) for r in results],
        ),
        row(
            "event → reply interleaved: this store / the empty one (ms p50)",
            ["—"] + [f"{r['paired'][0]:.1f} / {r['paired_baseline'][0]:.1f}" for r in results[1:]],
        ),
        row(
            "**growth** of event → reply p50 (÷ empty, interleaved)",
            ["1.00×"] + [f"{growth(r):.2f}×" for r in results[1:]],
        ),
        row(
            "growth from the alone runs (÷ empty alone; load-sensitive)",
            [f"{r['reply'][0] / results[0]['reply'][0]:.2f}×" for r in results],
        ),
        row(
            "first replies sent with the reply token",
            [f"{r['via_reply']} / {r['events']}" for r in results],
        ),
    ]
    for name in ("waiting, first page",):
        lines.append(row(f"GET {name} (ms p50 / p95)", [_ms(r["queue"][name]) for r in results]))
    lines.append(
        row(
            "GET waiting, deep page via next_cursor (ms p50 / p95)",
            [_ms(_deep(r["queue"])[1]) + f" (page {_deep(r['queue'])[0]})" for r in results],
        )
    )
    for name in ("closed, first page", "waiting, youth-only responder", "queue counts"):
        lines.append(row(f"GET {name} (ms p50 / p95)", [_ms(r["queue"][name]) for r in results]))
    lines.append(
        row(
            "server RSS after (MB; peak)",
            [f"{r['rss']['VmRSS'] / 1024:.0f}; {r['rss']['VmHWM'] / 1024:.0f}" for r in results],
        )
    )
    return "\n".join(lines)


def _ms(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.1f} / {pair[1]:.1f}"


def _deep(queue: dict[str, tuple[float, float]]) -> tuple[str, tuple[float, float]]:
    for name, value in queue.items():
        if name.startswith("waiting, page "):
            return name.removeprefix("waiting, page "), value
    raise KeyError("deep page")


def growth(result: dict[str, Any]) -> float:
    """Event -> reply median on this store ÷ on the empty one, measured interleaved."""
    return float(result["paired"][0] / result["paired_baseline"][0])


def verdict(results: list[dict[str, Any]]) -> str:
    worst_p95 = max(v[1] for r in results[1:] for v in r["queue"].values())
    largest = growth(results[-1]) if len(results) > 1 else 1.0
    return (
        f"Targets: queue list p95 < 50 ms — worst p95 over the filled sizes {worst_p95:.1f} ms "
        f"({'met' if worst_p95 < 50 else 'NOT met'}); event → reply growth < 1.3× on the "
        f"largest store — {largest:.2f}× ({'met' if largest < 1.3 else 'NOT met'}). Every `total` "
        "and the queue counts matched a direct SQL count on the file."
        + "".join(
            f" The {r['label']} server failed to start {r['failed_starts']}× and was restarted."
            for r in results
            if r.get("failed_starts")
        )
    )


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    standin = StandIn(access_token=TOKEN, monthly_quota=None)
    runner = web.AppRunner(standin.make_app(), access_log=None)
    await runner.setup()
    line_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", line_port).start()
    endpoint = f"http://127.0.0.1:{line_port}"
    results = []
    try:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            args.content = always_open_content(Path(tmp))
            users = max(args.baseline_users, 2 * (args.events + WARMUP_EVENTS))
            # The baseline runs alone first, then stays up: each size's timed events alternate
            # with events to it.
            baseline = Server(f"empty ({users} users)", users, args, Path(tmp))
            try:
                async with asyncio.timeout(SIZE_TIMEOUT_S):
                    await baseline.start(endpoint)
                    results.append(await measure(baseline, None, standin, args))
                for size in sizes:
                    server = Server(f"{size:,} users", size, args, Path(tmp))
                    try:
                        async with asyncio.timeout(SIZE_TIMEOUT_S):
                            await server.start(endpoint)
                            results.append(await measure(server, baseline, standin, args))
                    finally:
                        await server.stop()
            finally:
                await baseline.stop()
    finally:
        await runner.cleanup()
    took = time.perf_counter() - began
    text = table(results)
    summary = verdict(results)
    print(text)
    print(summary)
    print(f"whole run: {took / 60:.1f} min")
    if args.no_record:
        return
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "bench/scale_app.py " + " ".join(sys.argv[1:])
    with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write(
            f"\n## scale_app — {stamp}\n\n`.venv/bin/python {command.strip()}`; "
            f"{args.events} events one at a time per size, {args.runs} runs per queue view "
            f"(page size 50), {args.messages_per_user} logged messages per user; "
            f"Python {platform.python_version()}, {os.cpu_count()} cores (shared: other "
            f"sessions were using the machine during the run); SQLite synchronous=FULL; "
            f"`yorisoi serve` in its own process, the stand-in and the client in this one, all "
            f"on 127.0.0.1. Times are client-side: webhook post to reply at the stand-in, and "
            f"request to parsed JSON. Event → reply is timed alone, then interleaved for the "
            f"growth: the empty store's server stays up through the run and a second text to "
            f"each of the same users alternates with a text to it, so both see the same "
            f"machine load (interleaved, both medians are higher than alone). Whole run {took / 60:.1f} min.\n\n{text}\n\n"
            f"{summary}\n"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000", help="users per filled store")
    parser.add_argument("--events", type=int, default=200, help="timed events per size")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per queue view")
    parser.add_argument("--messages-per-user", type=int, default=10)
    parser.add_argument("--baseline-users", type=int, default=400)
    parser.add_argument("--workdir", default=None, help="where the SQLite files go (tmp)")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    asyncio.run(main(parser.parse_args()))
