"""The unit of work: every change to a conversation is one committed turn, or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from yorisoi.clock import FakeClock
from yorisoi.store.ports import Store
from yorisoi.store.records import Conversation, TurnCommit
from yorisoi.turns.effects import Committed, Effects
from yorisoi.turns.unit import Changes, Draft, TurnLost, copy_conversation


def fresh(user_id: str) -> Conversation:
    return Conversation(user_id=user_id, flow="default", state="menu")


def recorder(effects: Effects) -> list[Committed]:
    seen: list[Committed] = []
    effects.add("record", seen.append)
    return seen


async def saved(store: Store, clock: FakeClock, user_id: str, state: str) -> Conversation:
    """Commit a conversation directly, as another worker would."""
    loaded = await store.load_conversation(user_id) or fresh(user_id)
    conversation = copy_conversation(loaded)
    conversation.state = state
    assert await store.commit_turn(TurnCommit(conversation=conversation, now=clock.now()))
    stored = await store.load_conversation(user_id)
    assert stored is not None
    return stored


async def test_a_change_commits_once_and_the_effects_see_the_stored_version(
    store: Store, clock: FakeClock
) -> None:
    effects = Effects()
    seen = recorder(effects)
    changes = Changes(store, clock, effects)

    async def to_faq(draft: Draft) -> None:
        draft.conversation.state = "faq"
        draft.say([{"type": "text", "text": "はい"}])

    outcome = await changes.apply(to_faq, user_id="U1", new=fresh)
    stored = await store.load_conversation("U1")
    assert outcome.committed and stored is not None
    assert stored.state == "faq" and stored.version == 1
    assert outcome.conversation is not None and outcome.conversation.version == stored.version
    assert [c.conversation.version for c in seen] == [1]
    assert seen[0].publish is False  # no case: nothing for the operator view
    assert [row.version for row in await store.outbox_rows("U1")] == [1]


async def test_a_lost_race_runs_the_change_again_on_the_state_that_won(
    store: Store, clock: FakeClock
) -> None:
    await saved(store, clock, "U1", "menu")
    changes = Changes(store, clock, Effects())
    seen_states: list[str] = []

    async def change(draft: Draft) -> None:
        seen_states.append(draft.loaded.state)
        if len(seen_states) == 1:
            await saved(store, clock, "U1", "vent")  # another turn commits meanwhile
        draft.conversation.data.extra["seen"] = draft.loaded.state

    outcome = await changes.apply(change, user_id="U1")
    stored = await store.load_conversation("U1")
    assert outcome.committed and stored is not None
    assert seen_states == ["menu", "vent"]
    assert stored.data.extra["seen"] == "vent" and stored.version == 3


async def test_a_change_that_always_loses_raises_turn_lost_and_saves_nothing(
    store: Store, clock: FakeClock
) -> None:
    await saved(store, clock, "U1", "menu")
    effects = Effects()
    seen = recorder(effects)
    changes = Changes(store, clock, effects, retries=3)
    runs = 0

    async def change(draft: Draft) -> None:
        nonlocal runs
        runs += 1
        await saved(store, clock, "U1", f"other{runs}")
        draft.say([{"type": "text", "text": "とどかない"}])

    with pytest.raises(TurnLost):
        await changes.apply(change, user_id="U1")
    assert runs == 3 and seen == []
    assert await store.outbox_rows("U1") == []


async def test_skip_and_an_error_in_the_change_commit_nothing(
    store: Store, clock: FakeClock
) -> None:
    effects = Effects()
    seen = recorder(effects)
    changes = Changes(store, clock, effects)

    async def nothing(draft: Draft) -> None:
        draft.conversation.state = "faq"
        draft.skip()

    async def refuses(draft: Draft) -> None:
        draft.conversation.state = "faq"
        raise ValueError("not allowed")

    assert not (await changes.apply(nothing, user_id="U1", new=fresh)).committed
    with pytest.raises(ValueError, match="not allowed"):
        await changes.apply(refuses, user_id="U1", new=fresh)
    assert await store.load_conversation("U1") is None and seen == []


async def test_a_user_never_seen_has_nothing_to_change_without_a_factory(
    store: Store, clock: FakeClock
) -> None:
    ran = False

    async def change(draft: Draft) -> None:
        nonlocal ran
        ran = True

    outcome = await Changes(store, clock, Effects()).apply(change, user_id="nobody")
    assert outcome.conversation is None and not outcome.committed and not ran


async def test_an_event_already_applied_is_only_finished(store: Store, clock: FakeClock) -> None:
    effects = Effects()
    seen = recorder(effects)
    changes = Changes(store, clock, effects)
    runs = 0

    async def change(draft: Draft) -> None:
        nonlocal runs
        runs += 1
        draft.say([{"type": "text", "text": "いちど だけ"}])

    first = await changes.apply(change, user_id="U1", new=fresh, event_id="E1")
    again = await changes.apply(change, user_id="U1", new=fresh, event_id="E1")
    assert first.committed and again.already_applied and not again.committed
    assert runs == 1 and len(await store.outbox_rows("U1")) == 1
    assert [c.jobs for c in seen] == [False, True]  # the replay wakes the scheduler


async def test_a_failing_effect_does_not_stop_the_others(store: Store, clock: FakeClock) -> None:
    effects = Effects()

    def broken(committed: Committed) -> Any:
        raise RuntimeError("live view down")

    effects.add("broken", broken)
    seen = recorder(effects)

    async def change(draft: Draft) -> None:
        draft.conversation.state = "faq"

    outcome = await Changes(store, clock, effects).apply(change, user_id="U1", new=fresh)
    assert outcome.committed and len(seen) == 1
