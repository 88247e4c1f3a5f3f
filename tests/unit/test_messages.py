"""Outgoing messages: LINE message objects from flow texts, at most five per request."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from yorisoi.clock import FakeClock
from yorisoi.config import REPO_ROOT
from yorisoi.content import ContentLibrary
from yorisoi.conversation import EventProcessor
from yorisoi.line.events import decode
from yorisoi.line.messages import in_requests, summary, text
from yorisoi.store.port import Conversation, StoredEvent, TurnCommit
from yorisoi.store.sqlite import SQLiteStore


def test_requests_hold_at_most_five_messages_in_order() -> None:
    messages = [text(str(i)) for i in range(12)]
    groups = in_requests(messages)
    assert [len(g) for g in groups] == [5, 5, 2]
    assert [m["text"] for g in groups for m in g] == [str(i) for i in range(12)]
    assert in_requests([]) == []


def test_summary_reads_like_the_user_sees_it() -> None:
    assert summary(text("こんにちは")) == "こんにちは"
    template = {"type": "template", "altText": "alt", "template": {"type": "buttons", "text": "えらんで"}}
    assert summary(template) == "えらんで"
    assert summary({"type": "sticker"}) == "[sticker]"


async def test_a_long_turn_becomes_ordered_rows_and_only_the_first_uses_the_reply_token(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    store = await SQLiteStore.open(tmp_path / "m.sqlite3")
    try:
        processor = EventProcessor(store, clock, ContentLibrary(store, clock, REPO_ROOT),
                                   reply_token_ttl=50, secret_key="k" * 40)
        raw = ('{"type":"message","timestamp":1,"replyToken":"tok","source":{"type":"user",'
               '"userId":"U' + "1" * 32 + '"},"message":{"type":"text","id":"m","text":"x"}}')
        stored = StoredEvent(event_id="e", user_id="U" + "1" * 32, type="message", timestamp_ms=1,
                             received_at=clock.now(), raw=raw)
        commit = TurnCommit(conversation=Conversation("U" + "1" * 32, "default", "menu", version=4),
                            now=clock.now())
        processor._add_outgoing(commit, decode("e", raw), stored, [text(str(i)) for i in range(7)])
        rows = commit.outbox
        assert [(r.version, r.index, len(r.messages)) for r in rows] == [(5, 0, 5), (5, 1, 2)]
        assert rows[0].reply_token == "tok" and rows[1].reply_token is None
        assert rows[0].reply_until == clock.now() + timedelta(seconds=50)
        assert rows[0].retry_key != rows[1].retry_key
        assert [m.text for m in commit.messages] == [str(i) for i in range(7)]
    finally:
        await store.close()
