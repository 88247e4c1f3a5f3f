"""Loading flow files from `states/` and validating them into the content model.

A flow file is read line-aware (`yorisoi.yamlcheck`), its parts are read and checked by
`yorisoi.states.parts`, the whole by `yorisoi.states.checks`; every problem is collected, each
naming the file and the line to fix, before anything is turned into a `Flow`. The
`transitions` library accepts unknown states and triggers without a word, so this is the only
place such mistakes are caught.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import MappingProxyType
from typing import Any

from yorisoi.states.checks import check_choices, check_graph, check_texts, check_then, missing_texts
from yorisoi.states.model import Flow, FlowInvalid
from yorisoi.states.parts import (
    FLOW_KEYS,
    FLOW_REQUIRED,
    NAME,
    read_states,
    read_transitions,
    state_ref,
)
from yorisoi.yamlcheck import (
    ContentProblem,
    Problems,
    as_text,
    read_content_file,
    read_yaml,
    top_mapping,
)

__all__ = ["load_flow", "load_flow_text", "load_flows", "missing_texts"]


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
    states = read_states(report, raw, initial_name) if "states" in raw else {}
    initial = state_ref(report, raw, "initial", "the flow", states) if "initial" in raw else None
    fallback = state_ref(report, raw, "fallback", "the flow", states) if "fallback" in raw else None
    transitions = read_transitions(report, raw, states) if "transitions" in raw else ()
    check_graph(report, states, transitions, initial, fallback)
    check_choices(report, states, transitions)
    check_then(report, states, transitions)
    texts = check_texts(report, raw)
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


def load_flow(path: Path) -> Flow:
    """Read the UTF-8 flow file at `path` and return it as a validated Flow."""
    text = read_content_file(path)
    if isinstance(text, ContentProblem):
        raise FlowInvalid([text])
    return load_flow_text(text, str(path))


def load_flows(states_dir: Path) -> tuple[dict[str, Flow], list[ContentProblem]]:
    """Load every flow file in `states_dir`; return the good flows and the problems of the rest."""
    if not states_dir.is_dir():
        return {}, [ContentProblem(str(states_dir), 0, "flow folder not found")]
    paths = sorted(
        path
        for path in states_dir.iterdir()
        # Dotfiles are editor backups and lock files (.#default.yaml), not flows.
        if path.suffix in (".yaml", ".yml") and not path.name.startswith(".") and path.is_file()
    )
    flows: dict[str, Flow] = {}
    problems: list[ContentProblem] = []
    for path in paths:
        try:
            flow = load_flow(path)
        except FlowInvalid as exc:
            problems.extend(exc.problems)
            continue
        if flow.name in flows:
            problems.append(
                ContentProblem(
                    flow.file, 0, f"flow {flow.name!r} is also defined in {flows[flow.name].file}"
                )
            )
            continue
        flows[flow.name] = flow
    return flows, problems
