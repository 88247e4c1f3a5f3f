"""Checks across a whole flow: the graph of states, `then` chains, choices, named texts.

A flow whose every part is valid can still be unusable: a state no transition leaves or none
reaches, a button whose trigger leads nowhere, a `then` that loops. These checks see all the
states and transitions at once, after `yorisoi.states.parts` has read them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from yorisoi.states.model import Flow, Say, State, Transition
from yorisoi.states.parts import read_message
from yorisoi.states.registry import TEXTS
from yorisoi.yamlcheck import ContentProblem, LineMap, Problems, as_mapping, listed


def check_graph(
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


def check_then(
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


def check_texts(report: Problems, raw: LineMap) -> dict[str, Say]:
    """Return the flow's named texts, reporting unknown names and bad messages."""
    if "texts" not in raw:
        return {}
    table = as_mapping(report, raw["texts"], raw.key_lines["texts"], "texts")
    texts: dict[str, Say] = {}
    if table is not None:
        for key, line in table.key_lines.items():
            what = f"text {key!r}"
            if key not in TEXTS:
                report.add(line, f"unknown text {key!r} (known: {listed(TEXTS)})")
                continue
            message = read_message(report, table[key], line, what, last=True)
            if message is not None:
                texts[key] = message
    return texts


def missing_texts(flow: Flow) -> list[ContentProblem]:
    """Report the named texts the bot sends that the flow does not word.

    Only the flow new conversations start in needs them all (the others fall back to it),
    so this is checked where the default flow is chosen, not for every flow file.
    """
    missing = [name for name in TEXTS if name not in flow.texts]
    if not missing:
        return []
    line = next(
        (n for n, text in enumerate(flow.text.splitlines(), 1) if text.startswith("texts:")), 1
    )
    return [
        ContentProblem(
            flow.file,
            line,
            "the default flow must word the texts the bot sends outside states under texts:; "
            f"missing: {', '.join(missing)}",
        )
    ]


def check_choices(
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
