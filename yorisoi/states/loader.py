"""Loading flow files from `states/` and validating them into the content model.

A flow file is read with a PyYAML SafeLoader subclass that builds mappings and lists which
remember the 1-based line of every key and item, and which notice duplicate keys (PyYAML itself
silently keeps the last one). The validator then walks that data and collects every problem,
each naming the file and the line to fix, before anything is turned into a `Flow`. The
`transitions` library accepts unknown states and triggers without a word, so this is the only
place such mistakes are caught.

The line-tracking reader and the small checking helpers (`read_yaml`, `Problems`, `LineMap`,
`as_text`, `as_mapping`, `as_list`, `check_keys`, `describe_value`) are public: the other
content loaders (`yorisoi.operators.hours`, `yorisoi.safety.lexicon`) use them, so every
content file reports its problems the same way.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import yaml

from yorisoi.states.model import (
    ANY_STATE,
    Choice,
    Flow,
    FlowInvalid,
    FlowProblem,
    Say,
    State,
    Transition,
)
from yorisoi.states.registry import ACTIONS, CONDITIONS, EVENT_TRIGGERS, INTERNAL_TRIGGERS

__all__ = [
    "check_content_file",
    "load_content",
    "load_flow",
    "load_flow_text",
    "load_flows",
    "missing_texts",
    "read_content_file",
    "validate_content",
]

T = TypeVar("T")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


Identified = TypeVar("Identified", bound=_HasId)

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

_MERGE_TAG = "tag:yaml.org,2002:merge"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- reading YAML with line numbers -------------------------------------------------------------


class LineMap(dict[Any, Any]):
    """A YAML mapping that remembers the line of each key and any duplicated keys."""

    __slots__ = ("duplicates", "key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        # (key, line of the first, line of the repeat) for keys written twice.
        self.duplicates: list[tuple[Any, int, int]] = []


class _LineList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and sequences carry 1-based line numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # Key nodes written in each mapping, before `<<` merges are flattened into it: a merged
        # key overridden by an explicit one is YAML's intent, not a duplicate.
        self._explicit: dict[int, set[int]] = {}

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Remember the explicit keys of `node`, then apply its `<<` merges."""
        self._explicit.setdefault(
            id(node), {id(key) for key, _ in node.value if key.tag != _MERGE_TAG}
        )
        super().flatten_mapping(node)

    def construct_line_map(self, node: yaml.MappingNode) -> LineMap:
        """Build a mapping from `node`, recording key lines and duplicate keys."""
        self.flatten_mapping(node)
        explicit = self._explicit[id(node)]
        mapping = LineMap(node.start_mark.line + 1)
        explicit_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                )
            line = key_node.start_mark.line + 1
            if id(key_node) in explicit:
                if key in explicit_lines:
                    mapping.duplicates.append((key, explicit_lines[key], line))
                explicit_lines[key] = line
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = line
        return mapping

    def construct_line_list(self, node: yaml.SequenceNode) -> _LineList:
        """Build a list from `node`, recording the line of each item."""
        items = _LineList(node.start_mark.line + 1)
        for child in node.value:
            items.append(self.construct_object(child, deep=True))
            items.item_lines.append(child.start_mark.line + 1)
        return items


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_line_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_line_list)


def read_yaml(text: str, file: str) -> tuple[Any, FlowProblem | None]:
    """Parse `text` into line-carrying data, or return the YAML syntax problem."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as exc:
        # Raised for a character YAML forbids; the position is an exact index into `text`.
        line = text.count("\n", 0, exc.position) + 1
        return None, FlowProblem(file, line, f"invalid YAML: {exc.reason} {exc.character!r}")
    try:
        return loader.get_single_data(), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = ""
        if exc.context and exc.context_mark and exc.problem_mark:
            where = f"{exc.context} (line {exc.context_mark.line + 1}): "
        elif exc.context:
            where = f"{exc.context}: "
        line = mark.line + 1 if mark else 1
        return None, FlowProblem(file, line, f"invalid YAML: {where}{exc.problem}")
    except ValueError as exc:
        # PyYAML builds an unquoted 2026-02-30 as a date and fails outside its error marks.
        return None, _impossible_date(text, file, exc)
    finally:
        loader.dispose()


_DATE_LIKE = re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])")


def _impossible_date(text: str, file: str, exc: ValueError) -> FlowProblem:
    """Return the problem for a value PyYAML could not build, found by line where we can."""
    for number, line_text in enumerate(text.splitlines(), 1):
        for match in _DATE_LIKE.finditer(line_text.split("#", 1)[0]):
            try:
                date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return FlowProblem(file, number, f"{match[0]} is not a date: {exc}")
    return FlowProblem(file, 1, f"invalid YAML value: {exc}")


# --- collecting problems ------------------------------------------------------------------------


class Problems:
    """The problems found in one file, in the order they were found."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[FlowProblem] = []

    def add(self, line: int, message: str) -> None:
        """Record a problem at `line`."""
        self.found.append(FlowProblem(self.file, line, message))

    def in_order(self) -> list[FlowProblem]:
        """Return the problems by line, without repeats (an alias can repeat a problem)."""
        return sorted(dict.fromkeys(self.found), key=lambda problem: problem.line)


def describe_value(value: Any) -> str:
    """Return how a YAML value of the wrong type reads in a message."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        # YAML 1.1 reads yes/no/on/off/true/false as booleans, which surprises writers of labels.
        return "a boolean (YAML reads yes/no/on/off/true/false that way; put the text in quotes)"
    if isinstance(value, int | float):
        return "a number (put the text in quotes)"
    if isinstance(value, date):
        return "a date (put the text in quotes)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _known(names: Iterable[str]) -> str:
    """Return `names` as a sorted, comma-separated list for a message."""
    return ", ".join(sorted(names)) or "none"


def as_text(report: Problems, value: Any, line: int, what: str) -> str | None:
    """Return `value` if it is text, else report it."""
    if isinstance(value, str):
        return value
    report.add(line, f"{what} must be text, not {describe_value(value)}")
    return None


def nonblank_text(
    report: Problems, raw: LineMap, key: str, what: str, *, strip: bool = True
) -> str | None:
    """Return the text under `key` (stripped unless `strip` is False); report it if blank.

    One wording for every content file: "question of entry 'youth.money' is blank".
    """
    line = raw.key_lines[key]
    value = as_text(report, raw[key], line, f"{key} of {what}")
    if value is None:
        return None
    if not value.strip():
        report.add(line, f"{key} of {what} is blank")
        return None
    return value.strip() if strip else value


def as_date(
    report: Problems, value: Any, line: int, what: str, example: str = "2026-11-23"
) -> date | None:
    """Return a YAML date written YYYY-MM-DD (or that text), reporting anything else."""
    if isinstance(value, datetime):
        report.add(line, f"{what} has a time; write the date alone, e.g. {example}")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = repr(value) if isinstance(value, str) else describe_value(value)
    report.add(line, f"{what} is {shown}, not a date such as {example}")
    return None


def as_mapping(report: Problems, value: Any, line: int, what: str) -> LineMap | None:
    """Return `value` if it is a mapping, else report it."""
    if isinstance(value, LineMap):
        return value
    report.add(line, f"{what} must be a mapping of keys, not {describe_value(value)}")
    return None


def as_list(report: Problems, value: Any, line: int, what: str) -> _LineList | None:
    """Return `value` if it is a list, else report it."""
    if isinstance(value, _LineList):
        return value
    report.add(line, f"{what} must be a list, not {describe_value(value)}")
    return None


def unique_items(
    report: Problems,
    items: _LineList,
    build: Callable[[Problems, Any, int, int], T | None],
    key: Callable[[T], Hashable],
    twice: Callable[[Hashable, int, int], str],
) -> list[T]:
    """Build each item of a YAML list (`build(report, item, line, number)`), in order.

    Invalid items (None) are left out, `build` having reported why; an item whose `key` an
    earlier one already has is reported at its line with `twice(key, first_line, line)` and
    left out too, so a content file never holds two resources, contacts or shift patterns
    that a lookup by id would confuse.
    """
    found: list[T] = []
    seen: dict[Hashable, int] = {}
    for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1):
        built = build(report, item, line, number)
        if built is None:
            continue
        name = key(built)
        if name in seen:
            report.add(line, twice(name, seen[name], line))
            continue
        seen[name] = line
        found.append(built)
    return found


def unique_ids(
    report: Problems,
    items: _LineList,
    build: Callable[[Problems, Any, int, int], Identified | None],
    noun: str,
) -> list[Identified]:
    """`unique_items` keyed by each item's `id`: "<noun> id 'x' is already used on line N"."""
    return unique_items(
        report,
        items,
        build,
        lambda item: item.id,
        lambda name, first, _line: f"{noun} id {name!r} is already used on line {first}",
    )


def check_keys(
    report: Problems,
    mapping: LineMap,
    what: str,
    allowed: tuple[str, ...],
    required: tuple[str, ...] = (),
) -> None:
    """Report unknown, missing and duplicated keys of `mapping`."""
    for key, line in mapping.key_lines.items():
        if key not in allowed:
            report.add(line, f"unknown key {key!r} in {what} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in mapping:
            report.add(mapping.line, f"{what} is missing the required key {key!r}")
    for key, first, again in mapping.duplicates:
        report.add(
            again,
            f"key {key!r} appears twice in {what} (lines {first} and {again}); "
            "YAML would silently keep only the last",
        )


def top_mapping(
    report: Problems,
    data: Any,
    kind: tuple[str, str, str],
    allowed: tuple[str, ...],
    required: tuple[str, ...],
) -> LineMap | None:
    """Return a content file's top-level mapping after checking its keys, or None if unusable.

    ``kind`` names the content three ways for the messages, e.g. ("a flow file",
    "the flow", "a flow needs").
    """
    file_kind, content_kind, needs = kind
    if data is None:
        report.add(1, f"the file is empty; {needs} {', '.join(required)}")
        return None
    raw = as_mapping(report, data, getattr(data, "line", 1), file_kind)
    if raw is not None:
        check_keys(report, raw, content_kind, allowed, required)
    return raw


def _names(
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
            report.add(line, f"unknown {kind} {name!r} in {what} (known: {_known(known)})")
        names.append(name)
    return tuple(names)


def _check_length(
    report: Problems, value: str, line: int, what: str, limit: int, unit: str = ""
) -> None:
    """Report `value` if it is blank or longer than LINE allows."""
    if not value.strip():
        report.add(line, f"{what} is blank")
    elif len(value) > limit:
        report.add(line, f"{what} is {len(value)} characters; LINE allows at most {limit}{unit}")


# --- the parts of a flow ------------------------------------------------------------------------


def _choice(report: Problems, item: Any, line: int, what: str) -> Choice | None:
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
            _check_length(report, value, value_line, f"value of {what}", MAX_VALUE)
    label: str | None = None
    trigger: str | None = None
    if "label" in raw:
        label_line = raw.key_lines["label"]
        label = as_text(report, raw["label"], label_line, f"label of {what}")
        if label is not None:
            _check_length(report, label, label_line, f"label {label!r} of {what}", MAX_LABEL)
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


def _choices(
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
        _choice(report, item, line, f"{kind} {number} of {where}")
        for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1)
    )
    return tuple(choice for choice in choices if choice is not None)


def _message(report: Problems, item: Any, line: int, where: str, *, last: bool) -> Say | None:
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
        quick_replies = _choices(report, raw, "quick_replies", MAX_QUICK_REPLIES, where)
    buttons = _choices(report, raw, "buttons", MAX_BUTTONS, where) if has_buttons else ()
    text: str | None = None
    if "text" in raw:
        text_line = raw.key_lines["text"]
        text = as_text(report, raw["text"], text_line, f"text of {where}")
        if text is not None:
            limit, unit = (MAX_BUTTONS_TEXT, " with buttons") if has_buttons else (MAX_TEXT, "")
            _check_length(report, text, text_line, f"text of {where}", limit, unit)
    alt_text: str | None = None
    if "alt_text" in raw:
        alt_line = raw.key_lines["alt_text"]
        alt_text = as_text(report, raw["alt_text"], alt_line, f"alt_text of {where}")
        if not has_buttons:
            report.add(alt_line, f"alt_text on {where} is only allowed with buttons")
        elif alt_text is not None:
            _check_length(report, alt_text, alt_line, f"alt_text of {where}", MAX_ALT_TEXT)
    if text is not None:
        _check_placeholders(report, text, raw.key_lines["text"], f"text of {where}")
    if text is None:
        return None
    if not has_buttons:
        return Say(text=text, quick_replies=quick_replies, line=line)
    # LINE requires altText on a template: it is what notifications and chat lists show.
    return Say(text, quick_replies, buttons, alt_text or text[:MAX_ALT_TEXT], line)


def _say(report: Problems, raw: LineMap, what: str) -> tuple[Say, ...]:
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
        _message(report, item, line, f"say item {number} of {what}", last=number == len(items))
        for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1)
    )
    return tuple(message for message in messages if message is not None)


def _state(report: Problems, name: str, value: Any, line: int, *, initial: bool) -> State:
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
    say = _say(report, raw, what) if "say" in raw else ()
    actions = _names(report, raw, "actions", what, "action", ACTIONS) if "actions" in raw else ()
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


def _states(report: Problems, flow: LineMap, initial: str | None) -> dict[str, State]:
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
        states[name] = _state(report, name, raw[key], line, initial=name == initial)
    return states


def _state_ref(
    report: Problems, raw: LineMap, key: str, what: str, states: Mapping[str, State]
) -> str | None:
    """Return the state named under `key`, reporting it if it is not defined."""
    line = raw.key_lines[key]
    name = as_text(report, raw[key], line, f"{key} of {what}")
    if name is not None and states and name not in states:
        report.add(line, f"{key} state {name!r} of {what} is not defined (known: {_known(states)})")
    return name


def _sources(
    report: Problems, raw: LineMap, what: str, states: Mapping[str, State]
) -> tuple[str, ...] | None:
    """Return the source states of a transition, ("*",) for any state."""
    value, line = raw["source"], raw.key_lines["source"]
    if value == ANY_STATE:
        return (ANY_STATE,)
    if isinstance(value, _LineList):
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
                entry_line, f"transition from unknown state {name!r} (known: {_known(states)})"
            )
        sources.append(name)
    return tuple(sources)


def _transition(
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
                f"({_known(EVENT_TRIGGERS | INTERNAL_TRIGGERS)}) nor declared by a quick reply, "
                "a button or a then in this flow",
            )
    if "source" in raw:
        sources = _sources(report, raw, what, states)
    if "dest" in raw:
        dest_line = raw.key_lines["dest"]
        dest = as_text(report, raw["dest"], dest_line, f"dest of {what}")
        if dest is not None and dest not in states:
            report.add(dest_line, f"transition to unknown state {dest!r} (known: {_known(states)})")
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    if "conditions" in raw:
        conditions = _names(report, raw, "conditions", what, "condition", CONDITIONS)
    if "unless" in raw:
        unless = _names(report, raw, "unless", what, "condition", CONDITIONS)
    if trigger is None or sources is None or dest is None:
        return None
    return Transition(trigger, sources, dest, conditions, unless, line)


def _transitions(
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
        _transition(report, item, line, f"transition {number}", states, triggers)
        for number, (item, line) in enumerate(zip(items, items.item_lines, strict=True), 1)
    )
    return tuple(transition for transition in transitions if transition is not None)


# --- checks across the whole flow ---------------------------------------------------------------


def _check_graph(
    report: Problems,
    states: Mapping[str, State],
    transitions: tuple[Transition, ...],
    initial: str | None,
    fallback: str | None,
) -> None:
    """Report dead ends and states that cannot be reached from the initial state."""
    leaving = {name: [t for t in transitions if t.leaves(name)] for name in states}
    for name, state in states.items():
        if not leaving[name]:
            report.add(
                state.line,
                f"state {name!r} is a dead end: no transition leaves it "
                "(falling back does not count)",
            )
    if initial is None or initial not in states:
        return  # already reported; every state would look unreachable
    reached = {initial}
    if fallback is not None and fallback in states:
        # Entered from any state on an event with no transition, so it is always reachable.
        reached.add(fallback)
    queue = deque(reached)
    while queue:
        for transition in leaving[queue.popleft()]:
            if transition.dest in states and transition.dest not in reached:
                reached.add(transition.dest)
                queue.append(transition.dest)
    for name, state in states.items():
        if name not in reached:
            report.add(
                state.line, f"state {name!r} cannot be reached from the initial state {initial!r}"
            )


def _check_then(
    report: Problems, states: Mapping[str, State], transitions: tuple[Transition, ...]
) -> None:
    """Report a `then` no transition takes, and chains of `then` that loop."""
    for name, state in states.items():
        if state.then and not any(t.leaves(name) and t.trigger == state.then for t in transitions):
            report.add(
                state.line,
                f"state {name!r} fires {state.then!r} at once (then), but no transition on "
                f"{state.then!r} leaves it",
            )
    for name, state in states.items():
        seen, current = [name], state
        while current.then:
            unconditional = [
                t
                for t in transitions
                if t.leaves(current.name)
                and t.trigger == current.then
                and not t.conditions
                and not t.unless
            ]
            if not unconditional or unconditional[0].dest not in states:
                break
            nxt = unconditional[0].dest
            if nxt in seen:
                report.add(
                    state.line,
                    f"state {name!r} starts a loop of `then` ({' -> '.join([*seen, nxt])})",
                )
                break
            seen.append(nxt)
            current = states[nxt]


def _check_texts(report: Problems, raw: LineMap) -> dict[str, Say]:
    """Return the flow's named texts, reporting unknown names and bad messages."""
    from yorisoi.states.registry import TEXTS

    if "texts" not in raw:
        return {}
    table = as_mapping(report, raw["texts"], raw.key_lines["texts"], "texts")
    texts: dict[str, Say] = {}
    if table is not None:
        for key, line in table.key_lines.items():
            what = f"text {key!r}"
            if key not in TEXTS:
                report.add(line, f"unknown text {key!r} (known: {_known(TEXTS)})")
                continue
            message = _message(report, table[key], line, what, last=True)
            if message is not None:
                texts[key] = message
    return texts


def missing_texts(flow: Flow) -> list[FlowProblem]:
    """Report the named texts the bot sends that the flow does not word.

    Only the flow new conversations start in needs them all (the others fall back to it),
    so this is checked where the default flow is chosen, not for every flow file.
    """
    from yorisoi.states.registry import TEXTS

    missing = [name for name in TEXTS if name not in flow.texts]
    if not missing:
        return []
    line = next(
        (n for n, text in enumerate(flow.text.splitlines(), 1) if text.startswith("texts:")), 1
    )
    return [
        FlowProblem(
            flow.file,
            line,
            "the default flow must word the texts the bot sends outside states under texts:; "
            f"missing: {', '.join(missing)}",
        )
    ]


def _check_placeholders(report: Problems, text: str, line: int, what: str) -> None:
    """Report `{name}` placeholders the bot cannot fill, and stray braces."""
    from yorisoi.states.registry import PLACEHOLDERS

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
                f"(known: {_known(PLACEHOLDERS)})",
            )


def _check_choices(
    report: Problems, states: Mapping[str, State], transitions: tuple[Transition, ...]
) -> None:
    """Report repeated labels in a state and choices whose trigger leads nowhere."""
    for name, state in states.items():
        triggers = {t.trigger for t in transitions if t.leaves(name)}
        shown = [
            (choice, kind)
            for message in state.say
            for kind, choices in (
                ("button", message.buttons),
                ("quick reply", message.quick_replies),
            )
            for choice in choices
        ]
        labels: dict[str, int] = {}
        for choice, kind in sorted(shown, key=lambda pair: pair[0].line):
            if choice.label in labels:
                report.add(
                    choice.line,
                    f"label {choice.label!r} is used twice in state {name!r} "
                    f"(lines {labels[choice.label]} and {choice.line}); "
                    "a typed label could not tell them apart",
                )
            labels.setdefault(choice.label, choice.line)
            if choice.trigger not in triggers:
                report.add(
                    choice.line,
                    f"{kind} {choice.label!r} in state {name!r} fires {choice.trigger!r}, but no "
                    f'transition on {choice.trigger!r} leaves {name!r} (directly or from "*"); '
                    "tapping it would do nothing",
                )


# --- the flow -----------------------------------------------------------------------------------


def _flow(report: Problems, data: Any, text: str) -> Flow | None:
    """Return the Flow described by `data`, or None after reporting why it is invalid."""
    kind = ("a flow file", "the flow", "a flow needs")
    raw = top_mapping(report, data, kind, FLOW_KEYS, FLOW_REQUIRED)
    if raw is None:
        return None
    name: str | None = None
    if "flow" in raw:
        line = raw.key_lines["flow"]
        name = as_text(report, raw["flow"], line, "flow")
        stem = Path(report.file).stem
        if name is not None and not NAME.fullmatch(name):
            report.add(
                line,
                f"flow name {name!r} is not valid: use lowercase letters, digits and _, "
                "starting with a letter",
            )
        if name is not None and name != stem:
            report.add(line, f"flow name {name!r} differs from the file name {stem!r}")
    description = ""
    if "description" in raw:
        line = raw.key_lines["description"]
        description = as_text(report, raw["description"], line, "description of the flow") or ""
    # `initial` is read raw first: the says-nothing rule exempts it while states are read.
    initial_name = raw.get("initial") if isinstance(raw.get("initial"), str) else None
    states = _states(report, raw, initial_name) if "states" in raw else {}
    initial = _state_ref(report, raw, "initial", "the flow", states) if "initial" in raw else None
    fallback = (
        _state_ref(report, raw, "fallback", "the flow", states) if "fallback" in raw else None
    )
    transitions = _transitions(report, raw, states) if "transitions" in raw else ()
    _check_graph(report, states, transitions, initial, fallback)
    _check_choices(report, states, transitions)
    _check_then(report, states, transitions)
    texts = _check_texts(report, raw)
    if report.found or name is None or initial is None or fallback is None:
        return None
    return Flow(
        name=name,
        initial=initial,
        fallback=fallback,
        states=MappingProxyType(states),
        transitions=transitions,
        description=description,
        file=report.file,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        texts=MappingProxyType(texts),
    )


def load_flow_text(text: str, file: str) -> Flow:
    """Validate the YAML `text` of the flow file `file` and return it as a Flow."""
    report = Problems(file)
    data, syntax_problem = read_yaml(text, file)
    if syntax_problem is not None:
        raise FlowInvalid([syntax_problem])
    flow = _flow(report, data, text)
    if flow is None:
        raise FlowInvalid(report.in_order())
    return flow


def read_content_file(path: Path) -> str | FlowProblem:
    """Return the UTF-8 text of a content file, or the problem that stops it being read.

    Every content loader (flows, hours, FAQ, catalog, crisis contacts and texts) reads its
    files through here, so an unreadable or mis-encoded file is reported the same way.
    """
    try:
        source = path.read_bytes()
    except OSError as exc:
        return FlowProblem(str(path), 0, f"cannot read the file: {exc.strerror or exc}")
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{source[exc.start]:02x}); save the file as UTF-8"
        return FlowProblem(str(path), line, message)


def validate_content(
    text: str, file: str, build: Callable[[Problems, Any], T | None]
) -> tuple[T | None, list[FlowProblem]]:
    """Parse the YAML `text` of `file` and let `build` check it; return the result or None,
    with every problem (a syntax error alone, or all that `build` reported)."""
    data, syntax_problem = read_yaml(text, file)
    if syntax_problem is not None:
        return None, [syntax_problem]
    report = Problems(file)
    built = build(report, data)
    return (built if not report.found else None), report.in_order()


def load_content(
    source: Path | tuple[str, str],
    build: Callable[[Problems, Any], T | None],
    invalid: type[FlowInvalid],
) -> T:
    """Read (a path) or take (text, file), validate with `build`, and return the result;
    raise `invalid` with every problem otherwise."""
    if isinstance(source, Path):
        text = read_content_file(source)
        if isinstance(text, FlowProblem):
            raise invalid([text])
        source = (text, str(source))
    built, problems = validate_content(*source, build)
    if built is None:
        raise invalid(problems)
    return built


def check_content_file(path: Path, build: Callable[[Problems, Any], Any]) -> list[FlowProblem]:
    """Return every problem of the content file at `path`; empty when it is valid."""
    text = read_content_file(path)
    if isinstance(text, FlowProblem):
        return [text]
    return validate_content(text, str(path), build)[1]


def load_flow(path: Path) -> Flow:
    """Read the UTF-8 flow file at `path` and return it as a validated Flow."""
    text = read_content_file(path)
    if isinstance(text, FlowProblem):
        raise FlowInvalid([text])
    return load_flow_text(text, str(path))


def load_flows(states_dir: Path) -> tuple[dict[str, Flow], list[FlowProblem]]:
    """Load every flow file in `states_dir`; return the good flows and the problems of the rest."""
    if not states_dir.is_dir():
        return {}, [FlowProblem(str(states_dir), 0, "flow folder not found")]
    paths = sorted(
        path
        for path in states_dir.iterdir()
        # Dotfiles are editor backups and lock files (.#default.yaml), not flows.
        if path.suffix in (".yaml", ".yml") and not path.name.startswith(".") and path.is_file()
    )
    flows: dict[str, Flow] = {}
    problems: list[FlowProblem] = []
    for path in paths:
        try:
            flow = load_flow(path)
        except FlowInvalid as exc:
            problems.extend(exc.problems)
            continue
        if flow.name in flows:
            problems.append(
                FlowProblem(
                    flow.file, 0, f"flow {flow.name!r} is also defined in {flows[flow.name].file}"
                )
            )
            continue
        flows[flow.name] = flow
    return flows, problems
