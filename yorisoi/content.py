"""Admin-editable content: flows, service hours, the FAQ, the operator catalog, the safety net.

Flows: files in the content folder are the seed. At start (and on ``reload``) each valid
flow file whose text has never been stored is saved as a new active version; what runs is
the store's active version, so a version edited later survives restarts until the file
itself changes. The other content (``operators/hours.yaml``, ``operators/records.yaml`` and
``canned.yaml``, ``operators/shifts.yaml``, ``faq/``, ``states/safety/``) is read from the
files at start and on reload. In every case a file that fails validation is refused with
``file:line: reason`` and whatever was running stays; at the first start, content the bot
cannot run without stops it instead (shifts are not such content: no valid file, no shifts).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

import structlog

from yorisoi.clock import Clock
from yorisoi.faq.library import FaqLibrary
from yorisoi.operators.catalog import Catalog, load_catalog
from yorisoi.operators.hours import HoursInvalid, ServiceHours, load_hours
from yorisoi.operators.shifts import NO_SHIFTS, ShiftPlan, ShiftsInvalid, load_shifts
from yorisoi.safety.net import SafetyNet
from yorisoi.states.engine import FlowEngine
from yorisoi.states.loader import (
    FlowInvalid,
    FlowProblem,
    load_flow_text,
    load_flows,
    missing_texts,
)
from yorisoi.store.port import Store

log = structlog.get_logger("yorisoi.content")

DEFAULT_FLOW = "default"


class ContentError(Exception):
    """Raised when there is no valid version of content yorisoi cannot run without."""


@dataclass(frozen=True, slots=True)
class ReloadReport:
    """What a load or reload did."""

    imported: list[str]
    problems: list[FlowProblem]
    active: dict[str, int]


def check_content(content_dir: Path) -> list[FlowProblem]:
    """Validate every content file; return the problems (empty when all is well)."""
    from yorisoi.faq.library import check_faq
    from yorisoi.operators.hours import check_hours
    from yorisoi.operators.shifts import check_shifts
    from yorisoi.safety.contacts import check_crisis
    from yorisoi.safety.crisis import check_crisis_texts
    from yorisoi.safety.lexicon import check_lexicon

    flows, problems = load_flows(content_dir / "states")
    if DEFAULT_FLOW in flows:
        problems += missing_texts(flows[DEFAULT_FLOW])
    hours = _hours_path(content_dir)
    problems += check_hours(hours) if hours.exists() else [FlowProblem(str(hours), 0, "missing")]
    problems += load_catalog(content_dir / "operators")[1]
    problems += check_shifts(content_dir / "operators" / "shifts.yaml")
    crisis = content_dir / "faq" / "crisis.yaml"
    if crisis.exists():
        problems += check_crisis(crisis)
    crisis_texts = content_dir / "states" / "safety" / "crisis.yaml"
    if crisis_texts.exists():
        problems += check_crisis_texts(crisis_texts)
    lexicon = content_dir / "states" / "safety" / "lexicon.yaml"
    if lexicon.exists():
        problems += check_lexicon(lexicon)
    faq = content_dir / "faq"
    if faq.is_dir():
        problems += check_faq(faq)
    return problems


def content_notes(content_dir: Path) -> list[str]:
    """Return what is worth an admin's attention in valid content but is not a problem."""
    from yorisoi.safety.classifier import weights_note
    from yorisoi.safety.lexicon import LexiconInvalid, load_lexicon

    try:
        lexicon = load_lexicon(content_dir / "states" / "safety" / "lexicon.yaml")
    except (LexiconInvalid, OSError):
        return []  # check_content reports it
    note = weights_note(lexicon)
    return [note] if note else []


def _hours_path(content_dir: Path) -> Path:
    return content_dir / "operators" / "hours.yaml"


class ContentLibrary:
    """The flows the bot runs, swapped as a whole when content is reloaded."""

    def __init__(self, store: Store, clock: Clock, content_dir: Path) -> None:
        self._store = store
        self._clock = clock
        self._dir = content_dir
        self._engines: dict[str, FlowEngine] = {}
        self._versions: dict[str, int] = {}
        self._hours: ServiceHours | None = None
        self._catalog: Catalog | None = None
        self._shifts: ShiftPlan | None = None
        self._safety: SafetyNet | None = None
        self._faq: FaqLibrary | None = None

    @property
    def safety(self) -> SafetyNet:
        """Return the risk screener and crisis reply in force."""
        assert self._safety is not None, "reload() first"
        return self._safety

    @property
    def faq(self) -> FaqLibrary | None:
        """Return the FAQ in force, or None when the folder never loaded (the bot says so)."""
        return self._faq

    @property
    def catalog(self) -> Catalog:
        """Return the canned replies and case-record choices in force (operators/*.yaml)."""
        assert self._catalog is not None, "reload() first"
        return self._catalog

    @property
    def shifts(self) -> ShiftPlan:
        """Return the staff shifts in force (operators/shifts.yaml; none without the file)."""
        assert self._shifts is not None, "reload() first"
        return self._shifts

    @property
    def hours(self) -> ServiceHours:
        """Return the service hours in force (operators/hours.yaml)."""
        assert self._hours is not None, "reload() first"
        return self._hours

    def default_engine(self) -> FlowEngine:
        """Return the engine of the flow new conversations start in."""
        return self._engines[DEFAULT_FLOW]

    def engine(self, name: str) -> FlowEngine:
        """Return the engine of a flow, or the default one if that flow is gone."""
        return self._engines.get(name) or self.default_engine()

    async def reload(self) -> ReloadReport:
        """Import changed files, then activate the store's versions; keep the old on errors."""
        root = self._dir / "states"
        flows, problems = load_flows(root)
        for problem in problems:
            log.error("content.refused", problem=str(problem))
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
            detail = "; ".join(str(p) for p in problems) or f"no {root / (DEFAULT_FLOW + '.yaml')}"
            raise ContentError(f"no valid '{DEFAULT_FLOW}' flow: {detail}")
        hours = self._load_hours(problems)
        catalog = self._load_catalog(problems)
        shifts = self._load_shifts(problems)
        try:
            safety, found = await asyncio.to_thread(SafetyNet.load, self._dir, self._safety)
        except FlowInvalid as exc:
            raise ContentError(f"no valid safety lexicon: {exc}") from None
        problems.extend(found)
        faq = await self._load_faq(problems)
        self._engines, self._versions, self._hours = engines, versions, hours
        self._catalog, self._safety, self._faq = catalog, safety, faq
        self._shifts = shifts
        log.info("content.active", flows=versions, imported=imported)
        return ReloadReport(imported=imported, problems=problems, active=versions)

    def _load_hours(self, problems: list[FlowProblem]) -> ServiceHours:
        """Return the service hours from the file; keep the running ones if it is invalid.

        Without valid hours the bot could not tell night from day, so the first load
        must succeed.
        """
        path = _hours_path(self._dir)
        try:
            return load_hours(path)
        except HoursInvalid as exc:
            for problem in exc.problems:
                log.error("content.refused", problem=str(problem))
                problems.append(problem)
            if self._hours is None:
                raise ContentError(f"no valid service hours: {exc}") from None
            return self._hours

    def _load_catalog(self, problems: list[FlowProblem]) -> Catalog:
        """Return the operator catalog; keep the running one if a file is invalid."""
        catalog, found = load_catalog(self._dir / "operators")
        for problem in found:
            log.error("content.refused", problem=str(problem))
        problems.extend(found)
        if catalog is not None:
            return catalog
        if self._catalog is None:
            detail = "; ".join(str(p) for p in found)
            raise ContentError(f"no valid operators/records.yaml and canned.yaml: {detail}")
        return self._catalog

    def _load_shifts(self, problems: list[FlowProblem]) -> ShiftPlan:
        """Return the staff shifts; keep the running ones if the file is invalid.

        Shifts are a plan people read, not something the bot needs to run: with no valid
        version at the first start there are none, and the problems are reported.
        """
        try:
            return load_shifts(self._dir / "operators" / "shifts.yaml")
        except ShiftsInvalid as exc:
            for problem in exc.problems:
                log.error("content.refused", problem=str(problem))
                problems.append(problem)
            return self._shifts if self._shifts is not None else NO_SHIFTS

    async def _load_faq(self, problems: list[FlowProblem]) -> FaqLibrary | None:
        """Return the FAQ library; keep the running one if the folder has a problem.

        Building the index embeds every phrasing (about half a second), so a library is
        shared by every app in the process that loads the same files (tests start many).
        """
        folder = self._dir / "faq"
        digest = _folder_digest(folder)
        cached = _FAQ_CACHE.get(digest)
        if cached is not None:
            return cached
        library, found = await asyncio.to_thread(FaqLibrary.load, folder)
        for problem in found:
            log.error("content.refused", problem=str(problem))
        problems.extend(found)
        if library is None:
            return self._faq
        _FAQ_CACHE.clear()
        _FAQ_CACHE[digest] = library
        return library


_FAQ_CACHE: dict[str, FaqLibrary] = {}


def _folder_digest(folder: Path) -> str:
    """Return a digest of the YAML files in a folder (names and contents, not where it is:
    a copy of the same files builds the same library)."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
