"""The content in force: flows from the store, every other kind from the files, reloaded.

Flows: files in the content folder are the seed. At start (and on ``reload``) each valid
flow file whose text has never been stored is saved as a new active version; what runs is
the store's active version, so a version edited later survives restarts until the file
itself changes. The other content (``operators/hours.yaml``, ``operators/records.yaml`` and
``canned.yaml``, ``operators/shifts.yaml``, ``faq/``, ``states/safety/``) is read from the
files at start and on reload, each kind the same way (``yorisoi.content.kinds``). In every
case a file that fails validation is refused with ``file:line: reason`` and whatever was
running stays; at the first start, content the bot cannot run without stops it instead
(shifts are not such content: no valid file, no shifts).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import structlog

from yorisoi.clock import Clock
from yorisoi.content.check import DEFAULT_FLOW
from yorisoi.content.kinds import (
    CATALOG,
    CONTACTS,
    CRISIS_TEXTS,
    FAQ,
    HOURS,
    KINDS,
    SCREENER,
    SHIFTS,
    ContentError,
    Kind,
    Version,
    load_or_keep,
)
from yorisoi.faq.library import FaqLibrary
from yorisoi.operators.catalog import Catalog
from yorisoi.operators.hours import ServiceHours
from yorisoi.operators.shifts import ShiftPlan
from yorisoi.safety.net import SafetyNet
from yorisoi.states.engine import FlowEngine
from yorisoi.states.loader import load_flow_text, load_flows, missing_texts
from yorisoi.states.model import Flow, FlowInvalid
from yorisoi.store.ports import Store
from yorisoi.store.records import ContentVersion
from yorisoi.yamlcheck import ContentProblem

__all__ = ["DEFAULT_FLOW", "ContentError", "ContentLibrary", "ReloadReport"]

T = TypeVar("T")

log = structlog.get_logger("yorisoi.content")


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """What a load or reload did."""

    imported: list[str]
    problems: list[ContentProblem]
    active: dict[str, int]


class ContentLibrary:
    """The content the bot runs, swapped as a whole when content is reloaded."""

    def __init__(
        self, store: Store, clock: Clock, content_dir: Path, *, screening: Executor
    ) -> None:
        """Serve content from `content_dir`; screen messages on the `screening` executor.

        The executor belongs to the app (one thread: the tokenizer and the embedding model
        are not shared between threads), and is handed to every safety net built here.
        """
        self._store = store
        self._clock = clock
        self._dir = content_dir
        self._screening = screening
        self._engines: dict[str, FlowEngine] = {}
        self._versions: dict[str, int] = {}
        self._content: dict[Kind[Any], Version[Any]] = {}
        self._safety: SafetyNet | None = None

    def _value(self, kind: Kind[T]) -> T | None:
        version = self._content.get(kind)
        return cast("T", version.value) if version is not None else None

    def _loaded(self, kind: Kind[T]) -> T:
        value = self._value(kind)
        assert value is not None, "reload() first"
        return value

    @property
    def screening(self) -> Executor:
        """Return the app's screening thread, where risk screening and FAQ matching run."""
        return self._screening

    @property
    def safety(self) -> SafetyNet:
        """Return the risk screener and crisis reply in force."""
        assert self._safety is not None, "reload() first"
        return self._safety

    @property
    def faq(self) -> FaqLibrary | None:
        """Return the FAQ in force, or None when the folder never loaded (the bot says so)."""
        return self._value(FAQ)

    @property
    def catalog(self) -> Catalog:
        """Return the canned replies and case-record choices in force (operators/*.yaml)."""
        return self._loaded(CATALOG)

    @property
    def shifts(self) -> ShiftPlan:
        """Return the staff shifts in force (operators/shifts.yaml; none without the file)."""
        return self._loaded(SHIFTS)

    @property
    def hours(self) -> ServiceHours:
        """Return the service hours in force (operators/hours.yaml)."""
        return self._loaded(HOURS)

    def default_engine(self) -> FlowEngine:
        """Return the engine of the flow new conversations start in."""
        return self._engines[DEFAULT_FLOW]

    def engine(self, name: str) -> FlowEngine:
        """Return the engine of a flow, or the default one if that flow is gone."""
        return self._engines.get(name) or self.default_engine()

    async def reload(self) -> ReloadReport:
        """Import changed files, then activate the store's versions; keep the old on errors."""
        flows, problems = load_flows(self._dir / "states")
        for problem in problems:
            log.error("content.refused", problem=str(problem))
        stored, imported = await self._import_flows(flows)
        engines, versions = self._activate_flows(stored, problems)
        content: dict[Kind[Any], Version[Any]] = {}
        for kind in KINDS:
            loaded = await load_or_keep(kind, self._dir, self._content.get(kind), problems)
            if loaded is not None:
                content[kind] = loaded
        safety = SafetyNet(
            content[SCREENER].value,
            content[CONTACTS].value if CONTACTS in content else None,
            content[CRISIS_TEXTS].value if CRISIS_TEXTS in content else None,
            executor=self._screening,
        )
        self._engines, self._versions = engines, versions
        self._content, self._safety = content, safety
        log.info("content.active", flows=versions, imported=imported)
        return ReloadReport(imported=imported, problems=problems, active=versions)

    async def _import_flows(
        self, flows: dict[str, Flow]
    ) -> tuple[dict[str, ContentVersion], list[str]]:
        """Save each flow file whose text was never stored; return the active versions."""
        stored = {c.name: c for c in await self._store.active_content("flow")}
        imported = []
        for name, flow in flows.items():
            current = stored.get(name)
            if current is not None and current.sha256 == flow.sha256:
                continue
            known = {v.sha256 for v in await self._store.content_versions("flow", name)}
            if flow.sha256 in known and current is not None:
                continue  # an admin activated another version since this file was imported
            saved = await self._store.save_content_version(
                "flow", name, flow.text, flow.sha256, f"file:{flow.file}", self._clock.now()
            )
            stored[name] = saved
            imported.append(f"{name} v{saved.version}")
        return stored, imported

    def _activate_flows(
        self, stored: dict[str, ContentVersion], problems: list[ContentProblem]
    ) -> tuple[dict[str, FlowEngine], dict[str, int]]:
        """Return an engine per active flow version; keep the running one if it is invalid."""
        engines: dict[str, FlowEngine] = {}
        versions: dict[str, int] = {}
        for name, version in stored.items():
            if self._versions.get(name) == version.version:
                engines[name], versions[name] = self._engines[name], version.version
                continue
            try:
                flow = load_flow_text(version.body, f"states/{name}.yaml")
                if name == DEFAULT_FLOW and missing_texts(flow):
                    raise FlowInvalid(missing_texts(flow))
            except FlowInvalid as exc:
                # Stored earlier but invalid now (e.g. an action was removed from the code).
                for problem in exc.problems:
                    log.error(
                        "content.stored_version_invalid",
                        version=version.version,
                        source=version.source,
                        problem=str(problem),
                    )
                    problems.append(problem)
                if name in self._engines:
                    engines[name] = self._engines[name]
                    versions[name] = self._versions[name]
                continue
            engines[name] = FlowEngine(flow)
            versions[name] = version.version
        if DEFAULT_FLOW not in engines:
            missing = f"no {self._dir / 'states' / (DEFAULT_FLOW + '.yaml')}"
            detail = "; ".join(str(p) for p in problems) or missing
            raise ContentError(f"no valid '{DEFAULT_FLOW}' flow: {detail}")
        return engines, versions
