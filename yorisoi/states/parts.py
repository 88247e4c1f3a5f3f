"""The parts of a flow file: states, their messages and choices, and transitions.

Each reader takes the `Problems` of the flow file and the raw YAML of one part, reports every
mistake with its line (unknown keys, LINE's length and count limits, unregistered actions and
conditions, unknown states and triggers) and returns the part as the model of
`yorisoi.states.model`, or None when it is unusable. Checks across the whole flow live in
`yorisoi.states.checks`; the file as a whole in `yorisoi.states.loader`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from yorisoi.states.model import ANY_STATE, Choice, Say, State, Transition
from yorisoi.states.registry import (
    ACTIONS,
    CONDITIONS,
    EVENT_TRIGGERS,
    INTERNAL_TRIGGERS,
    PLACEHOLDERS,
)
from yorisoi.yamlcheck import (
    LineList,
    LineMap,
    Problems,
    as_list,
    as_mapping,
    as_text,
    check_keys,
    listed,
)

NAME = re.compile(r"[a-z][a-z0-9_]*")
MAX_TRIGGER = 64  # our own limit, to keep postback data short

# LINE Messaging API limits, see https://developers.line.biz/en/reference/messaging-api/
# (text message, quick reply, buttons template and reply message sections).
MAX_MESSAGES = 5  # messages in one reply or push
MAX_TEXT = 5000  # text message
MAX_BUTTONS_TEXT = 160  # buttons template text without a title or an image
MAX_ALT_TEXT = 400  # template altText
MAX_QUICK_REPLIES = 13
MAX_BUTTONS = 4
MAX_LABEL = 20  # quick reply and template action labels

FLOW_KEYS = ("flow", "description", "initial", "fallback", "states", "transitions", "texts")
FLOW_REQUIRED = ("flow", "initial", "fallback", "states", "transitions")
STATE_KEYS = ("description", "say", "actions", "then")
SAY_KEYS = ("text", "quick_replies", "buttons", "alt_text")
CHOICE_KEYS = ("label", "trigger", "value")
CHOICE_REQUIRED = ("label", "trigger")
MAX_VALUE = 100  # our own limit: postback data is at most 300 characters
MAX_THEN_HOPS = 5  # decision states chained by `then`, per event
TRANSITION_KEYS = ("trigger", "source", "dest", "conditions", "unless")
TRANSITION_REQUIRED = ("trigger", "source", "dest")


def registered_names(
    report: Problems, raw: LineMap, key: str, what: str, kind: str, known: Mapping[str, object]
) -> tuple[str, ...]:
    """Return the registered names listed under `key`, reporting unknown ones."""
    items = as_list(report, raw[key], raw.key_lines[key], f"{key} of {what}")
    if items is None:
        return ()
    names: list[str] = []
    for item, line in zip(items, items.item_lines, strict=True):
        name = as_text(report, item, line, f"a name in {key} of {what}")
        if name is None:
            continue
        if name not in known:
            report.add(line, f"unknown {kind} {name!r} in {what} (known: {listed(known)})")
        names.append(name)
    return tuple(names)


def check_length(
    report: Problems, value: str, line: int, what: str, limit: int, unit: str = ""
) -> None:
    """Report `value` if it is blank or longer than LINE allows."""
    if not value.strip():
        report.add(line, f"{what} is blank")
    elif len(value) > limit:
        report.add(line, f"{what} is {len(value)} characters; LINE allows at most {limit}{unit}")


# --- the parts of a flow ------------------------------------------------------------------------


def read_choice(report: Problems, item: Any, line: int, what: str) -> Choice | None:
    """Return one quick reply or button, reporting what is wrong with it."""
    raw = as_mapping(report, item, line, what)
    if raw is None:
        return None
    check_keys(report, raw, what, CHOICE_KEYS, CHOICE_REQUIRED)
    value: str | None = None
    if "value" in raw:
        value_line = raw.key_lines["value"]
        value = as_text(report, raw["value"], value_line, f"value of {what}")
        if value is not None:
            check_length(report, value, value_line, f"value of {what}", MAX_VALUE)
    label: str | None = None
    trigger: str | None = None
    if "label" in raw:
        label_line = raw.key_lines["label"]
        label = as_text(report, raw["label"], label_line, f"label of {what}")
        if label is not None:
            check_length(report, label, label_line, f"label {label!r} of {what}", MAX_LABEL)
    if "trigger" in raw:
        trigger_line = raw.key_lines["trigger"]
        trigger = as_text(report, raw["trigger"], trigger_line, f"trigger of {what}")
        if trigger is not None and not NAME.fullmatch(trigger):
            report.add(
                trigger_line,
                f"trigger {trigger!r} of {what} is not a valid name: use lowercase letters, "
                "digits and _, starting with a letter",
            )
        elif trigger is not None and len(trigger) > MAX_TRIGGER:
            report.add(
                trigger_line,
                f"trigger {trigger!r} of {what} is {len(trigger)} characters; "
                f"at most {MAX_TRIGGER} are allowed",
            )
    if label is None or trigger is None:
        return None
    return Choice(label=label, trigger=trigger, line=line, value=value)


def read_choices(
    report: Problems, raw: LineMap, key: str, limit: int, where: str
) -> tuple[Choice, ...]:
    """Return the quick replies or buttons of one message, reporting bad ones."""
    kind = "quick reply" if key == "quick_replies" else "button"
    items = as_list(report, raw[key], raw.key_lines[key], f"{key} of {where}")
    if items is None:
        return ()
    if not items:
        report.add(raw.key_lines[key], f"{key} of {where} is empty; give it 1 to {limit}")
    elif len(items) > limit:
        report.add(
            items.item_lines[limit],
            f"{where} has {len(items)} {key}; LINE allows at most {limit}",
        )
    choices = (
        read_choice(report, item, line, f"{kind} {number} of {where}")
        for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1)
    )
    return tuple(choice for choice in choices if choice is not None)


def read_message(report: Problems, item: Any, line: int, where: str, *, last: bool) -> Say | None:
    """Return one message of a state's `say`, reporting what is wrong with it."""
    raw = as_mapping(report, item, line, where)
    if raw is None:
        return None
    check_keys(report, raw, where, SAY_KEYS, ("text",))
    has_buttons = "buttons" in raw
    quick_replies: tuple[Choice, ...] = ()
    if "quick_replies" in raw:
        if not last:
            report.add(
                raw.key_lines["quick_replies"],
                f"quick_replies on {where}, which is not the last message; "
                "LINE shows quick replies only on the last message",
            )
        quick_replies = read_choices(report, raw, "quick_replies", MAX_QUICK_REPLIES, where)
    buttons = read_choices(report, raw, "buttons", MAX_BUTTONS, where) if has_buttons else ()
    text: str | None = None
    if "text" in raw:
        text_line = raw.key_lines["text"]
        text = as_text(report, raw["text"], text_line, f"text of {where}")
        if text is not None:
            limit, unit = (MAX_BUTTONS_TEXT, " with buttons") if has_buttons else (MAX_TEXT, "")
            check_length(report, text, text_line, f"text of {where}", limit, unit)
    alt_text: str | None = None
    if "alt_text" in raw:
        alt_line = raw.key_lines["alt_text"]
        alt_text = as_text(report, raw["alt_text"], alt_line, f"alt_text of {where}")
        if not has_buttons:
            report.add(alt_line, f"alt_text on {where} is only allowed with buttons")
        elif alt_text is not None:
            check_length(report, alt_text, alt_line, f"alt_text of {where}", MAX_ALT_TEXT)
    if text is not None:
        check_placeholders(report, text, raw.key_lines["text"], f"text of {where}")
    if text is None:
        return None
    if not has_buttons:
        return Say(text=text, quick_replies=quick_replies, line=line)
    # LINE requires altText on a template: it is what notifications and chat lists show.
    return Say(text, quick_replies, buttons, alt_text or text[:MAX_ALT_TEXT], line)


def read_say(report: Problems, raw: LineMap, what: str) -> tuple[Say, ...]:
    """Return the messages of a state's `say`, reporting bad ones."""
    items = as_list(report, raw["say"], raw.key_lines["say"], f"say of {what}")
    if items is None:
        return ()
    if not items:
        report.add(
            raw.key_lines["say"], f"say of {what} is empty; give it 1 to {MAX_MESSAGES} messages"
        )
    elif len(items) > MAX_MESSAGES:
        report.add(
            items.item_lines[MAX_MESSAGES],
            f"say of {what} has {len(items)} messages; LINE sends at most {MAX_MESSAGES} at once",
        )
    messages = (
        read_message(report, item, line, f"say item {number} of {what}", last=number == len(items))
        for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1)
    )
    return tuple(message for message in messages if message is not None)


def read_state(report: Problems, name: str, value: Any, line: int, *, initial: bool) -> State:
    """Return one state, reporting what is wrong with it."""
    what = f"state {name!r}"
    # `name:` with nothing after it is an empty state, which suits an `initial` state.
    raw = LineMap(line) if value is None else as_mapping(report, value, line, what)
    if raw is None:
        return State(name=name, line=line)
    check_keys(report, raw, what, STATE_KEYS)
    description = ""
    if "description" in raw:
        line_ = raw.key_lines["description"]
        description = as_text(report, raw["description"], line_, f"description of {what}") or ""
    say = read_say(report, raw, what) if "say" in raw else ()
    actions = (
        registered_names(report, raw, "actions", what, "action", ACTIONS)
        if "actions" in raw
        else ()
    )
    then: str | None = None
    if "then" in raw:
        then_line = raw.key_lines["then"]
        then = as_text(report, raw["then"], then_line, f"then of {what}")
        if then is not None and not NAME.fullmatch(then):
            report.add(then_line, f"then {then!r} of {what} is not a valid trigger name")
            then = None
    # Judged on the keys written, not on what parsed, so a broken `say` is reported once.
    if not initial and "say" not in raw and not raw.get("actions") and "then" not in raw:
        report.add(line, f"{what} says nothing and runs no actions; give it say or actions")
    return State(name, say, actions, description, line, then)


def read_states(report: Problems, flow: LineMap, initial: str | None) -> dict[str, State]:
    """Return the flow's states in file order, reporting bad and duplicated ones."""
    raw = as_mapping(report, flow["states"], flow.key_lines["states"], "states")
    if raw is None:
        return {}
    if not raw:
        report.add(flow.key_lines["states"], "states is empty; a flow needs at least one state")
    for name, first, again in raw.duplicates:
        report.add(
            again,
            f"state {name!r} is defined twice (lines {first} and {again}); "
            "YAML would silently keep only the last",
        )
    states: dict[str, State] = {}
    for key, line in raw.key_lines.items():
        name = as_text(report, key, line, "a state name")
        if name is None:
            continue
        if not NAME.fullmatch(name):
            report.add(
                line,
                f"state name {name!r} is not valid: use lowercase letters, digits and _, "
                "starting with a letter",
            )
        states[name] = read_state(report, name, raw[key], line, initial=name == initial)
    return states


def state_ref(
    report: Problems, raw: LineMap, key: str, what: str, states: Mapping[str, State]
) -> str | None:
    """Return the state named under `key`, reporting it if it is not defined."""
    line = raw.key_lines[key]
    name = as_text(report, raw[key], line, f"{key} of {what}")
    if name is not None and states and name not in states:
        report.add(line, f"{key} state {name!r} of {what} is not defined (known: {listed(states)})")
    return name


def read_sources(
    report: Problems, raw: LineMap, what: str, states: Mapping[str, State]
) -> tuple[str, ...] | None:
    """Return the source states of a transition, ("*",) for any state."""
    value, line = raw["source"], raw.key_lines["source"]
    if value == ANY_STATE:
        return (ANY_STATE,)
    if isinstance(value, LineList):
        if not value:
            report.add(line, f'source of {what} is an empty list; name states or write "*"')
            return None
        entries = list(zip(value, value.item_lines, strict=True))
    else:
        entries = [(value, line)]
    sources: list[str] = []
    for entry, entry_line in entries:
        name = as_text(report, entry, entry_line, f"source of {what}")
        if name is None:
            continue
        if name == ANY_STATE:
            report.add(entry_line, f'"*" in a list of sources of {what}; write source: "*" alone')
        elif name not in states:
            report.add(
                entry_line, f"transition from unknown state {name!r} (known: {listed(states)})"
            )
        sources.append(name)
    return tuple(sources)


def read_transition(
    report: Problems,
    item: Any,
    line: int,
    what: str,
    states: Mapping[str, State],
    triggers: frozenset[str],
) -> Transition | None:
    """Return one transition, reporting what is wrong with it."""
    raw = as_mapping(report, item, line, what)
    if raw is None:
        return None
    check_keys(report, raw, what, TRANSITION_KEYS, TRANSITION_REQUIRED)
    trigger: str | None = None
    dest: str | None = None
    sources: tuple[str, ...] | None = None
    if "trigger" in raw:
        trigger_line = raw.key_lines["trigger"]
        trigger = as_text(report, raw["trigger"], trigger_line, f"trigger of {what}")
        if trigger is not None and trigger not in triggers:
            report.add(
                trigger_line,
                f"unknown trigger {trigger!r} in {what}: neither an event trigger "
                f"({listed(EVENT_TRIGGERS | INTERNAL_TRIGGERS)}) nor declared by a quick reply, "
                "a button or a then in this flow",
            )
    if "source" in raw:
        sources = read_sources(report, raw, what, states)
    if "dest" in raw:
        dest_line = raw.key_lines["dest"]
        dest = as_text(report, raw["dest"], dest_line, f"dest of {what}")
        if dest is not None and dest not in states:
            report.add(dest_line, f"transition to unknown state {dest!r} (known: {listed(states)})")
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    if "conditions" in raw:
        conditions = registered_names(report, raw, "conditions", what, "condition", CONDITIONS)
    if "unless" in raw:
        unless = registered_names(report, raw, "unless", what, "condition", CONDITIONS)
    if trigger is None or sources is None or dest is None:
        return None
    return Transition(trigger, sources, dest, conditions, unless, line)


def read_transitions(
    report: Problems, flow: LineMap, states: Mapping[str, State]
) -> tuple[Transition, ...]:
    """Return the flow's transitions, reporting bad ones."""
    items = as_list(report, flow["transitions"], flow.key_lines["transitions"], "transitions")
    if items is None:
        return ()
    declared = frozenset(choice.trigger for state in states.values() for choice in state.choices)
    declared |= frozenset(state.then for state in states.values() if state.then)
    triggers = EVENT_TRIGGERS | INTERNAL_TRIGGERS | declared
    transitions = (
        read_transition(report, item, line, f"transition {number}", states, triggers)
        for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1)
    )
    return tuple(transition for transition in transitions if transition is not None)


def check_placeholders(report: Problems, text: str, line: int, what: str) -> None:
    """Report `{name}` placeholders the bot cannot fill, and stray braces."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        report.add(line, f"{what} has a stray brace ({exc}); write {{{{ or }}}} for a brace")
        return
    for field_name in fields:
        if field_name not in PLACEHOLDERS:
            report.add(
                line,
                f"{what} uses {{{field_name}}}, which the bot cannot fill "
                f"(known: {listed(PLACEHOLDERS)})",
            )
