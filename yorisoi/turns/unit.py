"""The one way to change a conversation: load, change a copy, commit under the version check.

Every change to a conversation is a turn: the bot answering an event, a responder's reply,
a claim or a close, a timed job. Each is written as a *change*: an async function that
receives a :class:`Draft` (a copy of the conversation and the commit being built) and
changes it. :meth:`Changes.apply` does the rest, the same way for all of them:

1. load the conversation (by LINE user id, or by the staff-facing ref with a check of who
   may see it);
2. run the change on a copy (the loaded record is never touched);
3. commit state, log entries, outbox rows, jobs and redactions together, only if the stored
   version is still the loaded one (``Store.commit_turn``);
4. if another turn won the race, run the change again on the new state (a change must
   therefore be a function of what it loads, and may run more than once);
5. once committed, fire the after-commit effects (``yorisoi.turns.effects``).

Why a function and not an ``async with`` block: a block runs once, and a lost race must
run the change again on the state that won.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from yorisoi.clock import Clock
from yorisoi.store.ports import Store
from yorisoi.store.records import Case, Conversation, Job, LoggedMessage, TurnCommit
from yorisoi.turns.effects import Committed, Effects
from yorisoi.turns.outgoing import add_outgoing

log = structlog.get_logger("yorisoi.turns")

RACE_RETRIES = 8


class TurnLost(Exception):
    """Raised when the conversation kept changing and a turn lost every race to commit."""


@dataclass(slots=True)
class Draft:
    """One attempt at a turn: the conversation copy a change may edit, and its commit.

    ``alert`` names what the operator view should draw attention to. ``publish`` decides
    whether the view hears of the turn; left as None, it hears when the turn has an open
    case or changed the case.
    """

    loaded: Conversation
    commit: TurnCommit
    alert: str | None = None
    publish: bool | None = None
    skipped: bool = False

    @property
    def conversation(self) -> Conversation:
        """The copy this turn changes and commits."""
        return self.commit.conversation

    @property
    def now(self) -> datetime:
        """The time of this turn (one clock reading for everything it writes)."""
        return self.commit.now

    def say(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        reply_token: str | None = None,
        reply_until: datetime | None = None,
        author: dict[str, Any] | None = None,
    ) -> list[LoggedMessage]:
        """Queue messages to the user in this turn; return their log entries."""
        return add_outgoing(
            self.commit,
            list(messages),
            reply_token=reply_token,
            reply_until=reply_until,
            author=author,
        )

    def book(self, job: Job) -> None:
        """Book a timed job in this turn."""
        self.commit.jobs.append(job)

    def log(self, entry: LoggedMessage) -> None:
        """Add an entry to the conversation log in this turn."""
        self.commit.messages.append(entry)

    def skip(self) -> None:
        """Commit nothing: the change found nothing to do."""
        self.skipped = True


Change = Callable[[Draft], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a turn came to: the conversation as stored now (None: nobody to change)."""

    conversation: Conversation | None
    committed: bool = False
    already_applied: bool = False
    logged: tuple[LoggedMessage, ...] = field(default=())


class Changes:
    """Applies changes to conversations as committed turns (the unit of work)."""

    def __init__(
        self, store: Store, clock: Clock, effects: Effects, *, retries: int = RACE_RETRIES
    ) -> None:
        self._store = store
        self._clock = clock
        self._effects = effects
        self._retries = retries

    async def apply(
        self,
        change: Change,
        *,
        user_id: str | None = None,
        ref: str | None = None,
        check: Callable[[Conversation], None] | None = None,
        new: Callable[[str], Conversation] | None = None,
        event_id: str | None = None,
    ) -> Outcome:
        """Run ``change`` as one committed turn of a conversation; retry lost races.

        Give ``user_id`` (the bot, timed jobs) or ``ref`` (staff). ``check`` runs on every
        load and may raise (who may see the case, is it still open). ``new`` makes the
        conversation of a user never seen; without it such a user has nothing to change.
        ``event_id`` is the LINE event the turn applies: an event already in the
        conversation is only finished, never applied twice.
        """
        for _ in range(self._retries):
            loaded = await self._load(user_id, ref, new)
            if loaded is None:
                return Outcome(None)
            if check is not None:
                check(loaded)
            if event_id is not None and event_id in loaded.applied_events:
                # Its turn committed but the inbox row was not marked (a crash in between).
                await self._store.finish_applied_event(event_id, self._clock.now())
                self._effects.fire(Committed(loaded, before=loaded.case, jobs=True))
                return Outcome(loaded, already_applied=True)
            commit = TurnCommit(
                conversation=copy_conversation(loaded), now=self._clock.now(), event_id=event_id
            )
            draft = Draft(loaded=loaded, commit=commit)
            await change(draft)
            if draft.skipped:
                return Outcome(loaded)
            if await self._store.commit_turn(commit):
                saved = commit.conversation
                # The store saved it as version + 1: this is the one place a version moves.
                saved.version += 1
                publish = draft.publish
                if publish is None:
                    publish = _case_news(loaded.case, saved.case)
                self._effects.fire(
                    Committed(
                        saved,
                        before=loaded.case,
                        jobs=bool(commit.jobs),
                        publish=publish,
                        alert=draft.alert,
                    )
                )
                return Outcome(saved, committed=True, logged=tuple(commit.messages))
            log.info("turn.version_race", event_id=event_id, ref=loaded.ref or None)
        raise TurnLost(f"the conversation kept changing ({self._retries} attempts)")

    async def _load(
        self, user_id: str | None, ref: str | None, new: Callable[[str], Conversation] | None
    ) -> Conversation | None:
        if ref is not None:
            return await self._store.conversation_by_ref(ref)
        assert user_id is not None, "give a user_id or a ref"
        found = await self._store.load_conversation(user_id)
        if found is None and new is not None:
            return new(user_id)
        return found


def _case_news(before: Case | None, after: Case | None) -> bool:
    """True when responders should hear of a turn: its case is open or has just changed."""
    return after is not None and (after.is_open or after != before)


def copy_conversation(conversation: Conversation) -> Conversation:
    """Return a copy a turn may change without touching the loaded record."""
    return Conversation(
        user_id=conversation.user_id,
        flow=conversation.flow,
        state=conversation.state,
        version=conversation.version,
        data=conversation.data.copy(),
        blocked=conversation.blocked,
        applied_events=list(conversation.applied_events),
        created_at=conversation.created_at,
        ref=conversation.ref or new_ref(),
        case=conversation.case.copy() if conversation.case else None,
    )


def new_ref() -> str:
    """Return a new staff-facing conversation id (random: it reveals nothing)."""
    return "c" + uuid.uuid4().hex[:15]
