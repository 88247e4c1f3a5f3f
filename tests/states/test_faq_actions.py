"""The FAQ actions of the flow: typed questions are matched off the event loop when asked to."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from yorisoi.clock import FakeClock
from yorisoi.domain.data import ConversationData
from yorisoi.faq.match import Match
from yorisoi.line.events import LineEvent
from yorisoi.states.faq_actions import faq_search
from yorisoi.states.model import Say
from yorisoi.states.turn import Turn, TurnContext


class FakeFaq:
    """A FAQ that matches nothing and remembers on which thread it was asked."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def match(self, text: str) -> Match:
        self.threads.append(threading.current_thread().name)
        return Match(None, 0.0, [], ())

    def did_you_mean(self, match: Match, text: str) -> dict[str, Any]:
        return {"type": "text", "text": text}


def typed(text: str, context: TurnContext) -> Turn:
    event = LineEvent(
        event_id="e", type="message", timestamp_ms=1, user_id="U" + "1" * 32, text=text
    )
    return Turn(
        event=event,
        now=FakeClock().now(),
        state="faq_search",
        data=ConversationData(),
        context=context,
        texts={"faq_did_you_mean": Say("もしかして")},
    )


async def test_matching_runs_on_the_executor_the_context_names() -> None:
    faq = FakeFaq()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="screening") as screening:
        turn = typed("保険証ない", TurnContext(faq=faq, matching=screening))
        await faq_search(turn)
    assert len(faq.threads) == 1 and faq.threads[0].startswith("screening")
    assert turn.messages == [{"type": "text", "text": "もしかして"}]


async def test_without_an_executor_matching_runs_where_the_action_runs() -> None:
    faq = FakeFaq()
    turn = typed("保険証ない", TurnContext(faq=faq))
    await faq_search(turn)
    assert faq.threads == [threading.current_thread().name]
