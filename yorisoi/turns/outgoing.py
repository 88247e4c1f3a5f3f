"""Building a turn's outgoing side: outbox rows and the log entries staff read.

Used by every turn through ``Draft.say`` (``yorisoi.turns.unit``): the bot's, staff's and
the timed jobs' alike, so every message that leaves, whoever wrote it, is
a committed outbox row with the conversation version it was committed with.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from yorisoi.line.messages import in_requests, summary
from yorisoi.store.records import LoggedMessage, OutboxRow, TurnCommit


def add_outgoing(
    commit: TurnCommit,
    messages: list[dict[str, Any]],
    *,
    reply_token: str | None = None,
    reply_until: datetime | None = None,
    author: dict[str, Any] | None = None,
) -> list[LoggedMessage]:
    """Add outbox rows (at most five messages each) and their log entries to a commit.

    Rows already in the commit keep their place: new rows are numbered after them.
    ``author`` (a responder's id and name) is kept with the log entries; without it the
    entries are the bot's.
    """
    version = commit.conversation.version + 1
    logged: list[LoggedMessage] = []
    first = len(commit.outbox)
    for offset, group in enumerate(in_requests(messages)):
        index = first + offset
        # Only the first request can use the reply token: LINE accepts it once.
        token = reply_token if index == 0 else None
        row = OutboxRow(
            id=uuid.uuid4().hex,
            user_id=commit.conversation.user_id,
            version=version,
            index=index,
            messages=group,
            retry_key=str(uuid.uuid4()),
            created_at=commit.now,
            next_attempt_at=commit.now,
            reply_token=token,
            reply_until=reply_until if token else None,
        )
        commit.outbox.append(row)
        for n, message in enumerate(group):
            entry = LoggedMessage(
                id=f"out:{row.id}:{n}",
                user_id=row.user_id,
                direction="out",
                kind=str(message.get("type")),
                text=summary(message),
                at=commit.now,
                payload={**_choices_of(message), **({"author": author} if author else {})},
            )
            commit.messages.append(entry)
            logged.append(entry)
    return logged


def outbox_id_of(message_id: str) -> str | None:
    """Return the outbox row id of an outgoing log entry (``out:<row>:<n>``)."""
    parts = message_id.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "out" else None


def _choices_of(message: dict[str, Any]) -> dict[str, Any]:
    items = message.get("quickReply", {}).get("items", [])
    labels = [item["action"]["label"] for item in items if "label" in item.get("action", {})]
    return {"quick_replies": labels} if labels else {}
