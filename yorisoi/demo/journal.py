"""The demo's journal: the pseudo users and what each sent, and their merged thread.

The stand-in knows nothing of what users sent, so the demo keeps a journal per user (in
memory, demo only, bounded). Each entry notes how many bot messages the user had received
when it was sent; ``merged_thread`` interleaves entries and bot messages by that count, which
orders them as they happened without trusting timestamps (an injected clock may stand still).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yorisoi.line.standin import SentMessage

# The journal lives in memory: bound it, even though demo mode listens on loopback.
MAX_USERS = 500
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class Sticker:
    """A sticker the page offers: a real LINE sticker id and how the page draws it."""

    key: str
    package_id: str
    sticker_id: str
    face: str  # a kaomoji: unlike colour emoji, every Japanese font draws it
    label: str


# Ids from LINE's list of stickers bots may send (package 11537, "Brown & Cony & Sally").
STICKERS = {
    s.key: s
    for s in (
        Sticker("smile", "11537", "52002734", "(＾▽＾)", "にっこり"),
        Sticker("thanks", "11537", "52002739", "m(_ _)m", "ありがとう"),
        Sticker("cry", "11537", "52002750", "(；＿；)", "しくしく"),
        Sticker("ok", "11537", "52002735", "(・ω・)b", "オッケー"),
        Sticker("sleepy", "11537", "52002771", "(－_－)zzZ", "ねむい"),
    )
}


@dataclass(frozen=True)
class Entry:
    """One thing a demo user sent, as their thread shows it."""

    kind: str
    text: str
    at: datetime
    bots_before: int
    sticker: str | None = None
    failed: bool = False

    def item(self) -> dict[str, Any]:
        """Return the entry as a thread item."""
        item: dict[str, Any] = {
            "from": "user",
            "kind": self.kind,
            "text": self.text,
            "at": self.at.isoformat(),
        }
        if self.sticker is not None:
            sticker = STICKERS[self.sticker]
            item["sticker"] = {"key": sticker.key, "face": sticker.face, "label": sticker.label}
        if self.failed:
            item["failed"] = True
        return item


@dataclass
class DemoUser:
    """What the demo remembers of one pseudo user."""

    entries: deque[Entry] = field(default_factory=lambda: deque(maxlen=MAX_ENTRIES))
    blocked: bool = False
    last_timestamp_ms: int = 0


class Journal:
    """The demo users and what each sent (oldest user first), and whether the app is closing."""

    def __init__(self) -> None:
        self._users: dict[str, DemoUser] = {}
        self.closing = asyncio.Event()

    def get(self, user_id: str) -> DemoUser | None:
        """Return the user, if the demo has seen them."""
        return self._users.get(user_id)

    def user(self, user_id: str) -> DemoUser:
        """Return the user, adding them (and forgetting the oldest past ``MAX_USERS``)."""
        found = self._users.get(user_id)
        if found is None:
            found = self._users[user_id] = DemoUser()
            while len(self._users) > MAX_USERS:
                del self._users[next(iter(self._users))]
        return found


def bot_item(seq: int, message: SentMessage) -> dict[str, Any]:
    """Return one message the bot sent as a thread item."""
    return {
        "from": "bot",
        "seq": seq,
        "via": message.via,
        "message": message.message,
        "at": message.at.isoformat(),
    }


def merged_thread(entries: list[Entry], bots: list[SentMessage]) -> list[dict[str, Any]]:
    """Interleave what the user sent with what the bot said, in the order it happened."""
    items: list[dict[str, Any]] = []
    shown = 0
    for entry in entries:
        while shown < min(entry.bots_before, len(bots)):
            items.append(bot_item(shown, bots[shown]))
            shown += 1
        items.append(entry.item())
    items.extend(bot_item(i, bots[i]) for i in range(shown, len(bots)))
    return items


# -- page -------------------------------------------------------------------------------------

# The page loads nothing from elsewhere and renders text only through textContent;
# the policy makes any slip there harmless.
