"""The flow engine on small flows: triggers, conditions, fallback, actions, changed flows."""

from __future__ import annotations

from typing import Any

from yorisoi.clock import FakeClock
from yorisoi.domain.data import ConversationData
from yorisoi.line.events import LineEvent
from yorisoi.states.engine import FlowEngine
from yorisoi.states.loader import load_flow_text
from yorisoi.states.turn import Turn

FLOW = """\
flow: tiny
initial: new
fallback: menu
states:
  new: {}
  hello:
    say:
      - text: はじめまして
      - text: えらんでね
        quick_replies:
          - {label: はなす, trigger: talk}
    actions: [record_terms_shown]
  again:
    say:
      - text: おかえり
  menu:
    say:
      - text: メニュー
        buttons:
          - {label: はなす, trigger: talk}
  talking:
    say:
      - text: きいてるよ
transitions:
  - {trigger: follow, source: "*", dest: again, conditions: [is_unblocked, has_seen_terms]}
  - {trigger: follow, source: "*", dest: hello}
  - {trigger: talk, source: "*", dest: talking}
  - {trigger: text, source: [hello, again, menu, talking], dest: menu}
"""


def engine() -> FlowEngine:
    return FlowEngine(load_flow_text(FLOW, "states/tiny.yaml"))


def turn(state: str, event: LineEvent, data: dict[str, Any] | None = None) -> Turn:
    stored = ConversationData.from_dict(data)
    return Turn(event=event, now=FakeClock().now(), state=state, data=stored)


def ev(kind: str, **fields: object) -> LineEvent:
    return LineEvent(event_id="e", type=kind, timestamp_ms=1, user_id="U1", **fields)  # type: ignore[arg-type]


async def test_follow_says_texts_in_order_and_runs_actions() -> None:
    t = await engine().run(turn("new", ev("follow")))
    assert t.state == "hello" and t.entered == ["hello"]
    assert [m["text"] for m in t.messages] == ["はじめまして", "えらんでね"]
    item = t.messages[1]["quickReply"]["items"][0]["action"]
    assert item == {
        "type": "postback",
        "label": "はなす",
        "data": "yorisoi:t=talk",
        "displayText": "はなす",
    }
    assert t.data.terms_shown_at is not None


async def test_conditions_pick_the_transition() -> None:
    seen = {"terms_shown_at": "2026-01-01"}
    back = await engine().run(turn("menu", ev("follow", follow_unblocked=True), seen))
    assert back.state == "again"
    unseen = await engine().run(turn("menu", ev("follow", follow_unblocked=True)))
    assert unseen.state == "hello"


async def test_typed_label_fires_the_choice_trigger() -> None:
    t = await engine().run(turn("hello", ev("message", message_type="text", text=" はなす ")))
    assert t.trigger == "talk" and t.state == "talking"
    other = await engine().run(turn("hello", ev("message", message_type="text", text="ねむれない")))
    assert other.trigger == "text" and other.state == "menu"


async def test_postback_and_buttons() -> None:
    t = await engine().run(turn("menu", ev("postback", postback_data="yorisoi:t=talk")))
    assert t.state == "talking"
    menu = await engine().run(turn("talking", ev("message", message_type="text", text="x")))
    template = menu.messages[0]
    assert template["type"] == "template" and template["template"]["type"] == "buttons"
    assert template["altText"] == "メニュー"


async def test_no_transition_falls_back_and_is_never_silent() -> None:
    sticker = await engine().run(turn("hello", ev("message", message_type="sticker")))
    assert sticker.state == "menu" and sticker.messages
    foreign = await engine().run(turn("menu", ev("postback", postback_data="someone-elses-data")))
    assert foreign.trigger == "postback" and foreign.state == "menu" and foreign.messages
    unknown = await engine().run(turn("menu", ev("postback", postback_data="yorisoi:t=nope")))
    assert unknown.state == "menu" and unknown.messages


async def test_a_state_removed_from_the_flow_resumes_at_fallback() -> None:
    t = await engine().run(turn("deleted_state", ev("message", message_type="text", text="x")))
    assert t.state == "menu" and [m["template"]["text"] for m in t.messages] == ["メニュー"]


async def test_the_default_flow_loads() -> None:
    from yorisoi.config import REPO_ROOT
    from yorisoi.states.loader import load_flow

    flow = load_flow(REPO_ROOT / "states" / "default.yaml")
    t = await FlowEngine(flow).run(turn(flow.initial, ev("follow")))
    assert t.state == "greeting" and len(t.messages) == 3


async def test_a_cancelled_turn_is_not_committed_as_a_fallback() -> None:
    import asyncio

    from yorisoi.states import registry

    started = asyncio.Event()

    async def slow(turn: Turn) -> None:
        started.set()
        await asyncio.Event().wait()  # an action waiting on I/O when the worker stops

    registry.ACTIONS["slow_action_for_test"] = slow
    try:
        flow = FLOW.replace("actions: [record_terms_shown]", "actions: [slow_action_for_test]")
        eng = FlowEngine(load_flow_text(flow, "states/tiny.yaml"))
        t = turn("new", ev("follow"))
        task = asyncio.create_task(eng.run(t))
        await started.wait()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the cancelled turn completed")
    finally:
        del registry.ACTIONS["slow_action_for_test"]
