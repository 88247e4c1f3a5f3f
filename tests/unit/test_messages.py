"""Outgoing messages: LINE message objects from flow texts, at most five per request."""

from __future__ import annotations

from datetime import timedelta

from yorisoi.clock import FakeClock
from yorisoi.line.messages import in_requests, summary, text
from yorisoi.store.records import Conversation, TurnCommit
from yorisoi.turns.outgoing import add_outgoing


def test_requests_hold_at_most_five_messages_in_order() -> None:
    messages = [text(str(i)) for i in range(12)]
    groups = in_requests(messages)
    assert [len(g) for g in groups] == [5, 5, 2]
    assert [m["text"] for g in groups for m in g] == [str(i) for i in range(12)]
    assert in_requests([]) == []


def test_summary_reads_like_the_user_sees_it() -> None:
    assert summary(text("こんにちは")) == "こんにちは"
    template = {
        "type": "template",
        "altText": "alt",
        "template": {"type": "buttons", "text": "えらんで"},
    }
    assert summary(template) == "えらんで"
    assert summary({"type": "sticker"}) == "[sticker]"


def test_a_long_turn_becomes_ordered_rows_and_only_the_first_uses_the_reply_token() -> None:
    clock = FakeClock()
    commit = TurnCommit(
        conversation=Conversation("U" + "1" * 32, "default", "menu", version=4), now=clock.now()
    )
    until = clock.now() + timedelta(seconds=50)
    add_outgoing(commit, [text(str(i)) for i in range(7)], reply_token="tok", reply_until=until)
    rows = commit.outbox
    assert [(r.version, r.index, len(r.messages)) for r in rows] == [(5, 0, 5), (5, 1, 2)]
    assert rows[0].reply_token == "tok" and rows[1].reply_token is None
    assert rows[0].reply_until == until and rows[1].reply_until is None
    assert rows[0].retry_key != rows[1].retry_key
    assert [m.text for m in commit.messages] == [str(i) for i in range(7)]
    # Rows added later in the same turn are numbered after the first ones.
    add_outgoing(commit, [text("later")], author={"staff_id": "s1", "name": "佐藤"})
    assert [(r.version, r.index) for r in commit.outbox][-1] == (5, 2)
    assert commit.outbox[-1].reply_token is None
    assert commit.messages[-1].payload["author"]["name"] == "佐藤"
