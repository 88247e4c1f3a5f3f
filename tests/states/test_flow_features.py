"""Flow features added for handoff and the FAQ: choice values, `then`, named texts, placeholders."""

from __future__ import annotations

from textwrap import dedent

import pytest

from yorisoi.clock import FakeClock
from yorisoi.domain.data import ConversationData
from yorisoi.line.events import LineEvent
from yorisoi.line.messages import postback_data
from yorisoi.states.engine import FlowEngine, parse_postback
from yorisoi.states.loader import load_flow_text, missing_texts
from yorisoi.states.model import FlowInvalid
from yorisoi.states.turn import Turn, TurnContext

FILE = "states/default.yaml"

FLOW = dedent("""\
    flow: default
    initial: new
    fallback: menu
    states:
      new:
      menu:
        say:
          - text: いくつ？
            quick_replies:
              - {label: 16〜17さい, trigger: intake_age, value: 16-17}
              - {label: とばす, trigger: skip}
      decide:
        actions: [record_intake]
        then: route
      young:
        say:
          - text: "わかりました。{waiting_count}人 まっています。"
      other:
        say:
          - text: ほか
    texts:
      night_ack:
        text: "{next_opening}から お返事します。"
      morning_reply:
        text: おはようございます
      no_one_yet:
        text: おまたせ
    transitions:
      - trigger: follow
        source: "*"
        dest: menu
      - trigger: intake_age
        source: menu
        dest: decide
      - trigger: skip
        source: menu
        dest: decide
      - trigger: route
        source: decide
        dest: young
        conditions: [is_minor]
      - trigger: route
        source: decide
        dest: other
      - trigger: text
        source: "*"
        dest: menu
""")


def event(**fields: object) -> LineEvent:
    return LineEvent(
        event_id="e",
        type=str(fields.pop("type", "postback")),
        timestamp_ms=1,
        user_id="U" + "1" * 32,
        **fields,
    )  # type: ignore[arg-type]


def turn(state: str, ev: LineEvent, **context: object) -> Turn:
    return Turn(
        event=ev,
        now=FakeClock().now(),
        state=state,
        data=ConversationData(),
        context=TurnContext(**context),
    )  # type: ignore[arg-type]


def test_postback_data_carries_a_value_that_survives_any_text() -> None:
    for value in (None, "16-17", "東京都", "a&v=b c%"):
        assert parse_postback(postback_data("intake_pref", value)) == ("intake_pref", value)
    assert parse_postback("something else") == ("postback", None)


async def test_a_tapped_value_reaches_the_action_and_then_decides_at_once() -> None:
    engine = FlowEngine(load_flow_text(FLOW, FILE))
    placeholders = {"waiting_count": "2"}
    done = await engine.run(
        turn(
            "menu",
            event(postback_data=postback_data("intake_age", "16-17")),
            placeholders=placeholders,
        )
    )
    assert done.state == "young" and done.entered == ["decide", "young"]
    assert done.data.intake.age_band == "16-17"
    assert done.messages[-1]["text"] == "わかりました。2人 まっています。"


async def test_a_typed_label_carries_its_value_too() -> None:
    engine = FlowEngine(load_flow_text(FLOW, FILE))
    done = await engine.run(
        turn("menu", event(type="message", message_type="text", text="16〜17さい"))
    )
    assert done.state == "young" and done.data.intake.age_band == "16-17"


async def test_without_the_condition_the_next_transition_is_taken() -> None:
    engine = FlowEngine(load_flow_text(FLOW, FILE))
    done = await engine.run(turn("menu", event(postback_data=postback_data("skip"))))
    assert done.state == "other"


def test_named_texts_are_rendered_with_their_placeholders() -> None:
    engine = FlowEngine(load_flow_text(FLOW, FILE))
    message = engine.text("night_ack", TurnContext(placeholders={"next_opening": "あしたの 10時"}))
    assert message == {"type": "text", "text": "あしたの 10時から お返事します。"}
    assert engine.label_for("intake_age", "16-17") == "16〜17さい"


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        ("then: route", "then: nowhere", "fires 'nowhere' at once (then), but no transition"),
        ("value: 16-17", "value: " + "x" * 101, "value of quick reply 1"),
        ("{waiting_count}人", "{name}人", "uses {name}, which the bot cannot fill"),
        ("{waiting_count}人", "{waiting_count人", "stray brace"),
        ("  no_one_yet:", "  no_such_text:", "unknown text 'no_such_text'"),
    ],
)
def test_mistakes_are_refused_with_the_line(old: str, new: str, phrase: str) -> None:
    with pytest.raises(FlowInvalid) as caught:
        load_flow_text(FLOW.replace(old, new, 1), FILE)
    assert any(phrase in p.message and p.line > 0 for p in caught.value.problems), caught.value


def test_a_loop_of_then_is_refused() -> None:
    looping = FLOW.replace("  other:\n    say:\n      - text: ほか", "  other:\n    then: back")
    looping = looping.replace(
        "  - trigger: text\n",
        "  - trigger: back\n    source: other\n    dest: decide\n  - trigger: text\n",
    )
    assert "then: back" in looping and "trigger: back" in looping
    with pytest.raises(FlowInvalid) as caught:
        load_flow_text(looping, FILE)
    assert any("loop of `then`" in p.message for p in caught.value.problems), caught.value


def test_the_default_flow_must_word_every_text() -> None:
    flow = load_flow_text(FLOW.replace("  no_one_yet:\n    text: おまたせ\n", ""), FILE)
    [problem] = missing_texts(flow)
    assert "no_one_yet" in problem.message.partition("missing:")[2] and problem.line > 0
