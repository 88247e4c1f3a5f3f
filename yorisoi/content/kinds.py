"""The kinds of content read from files, and the one way each is loaded or kept.

Every kind but the flows (which are versioned in the store, see `yorisoi.content.library`) is
read from the content folder at start and on every reload, the same way: read and check the
file(s); if valid, that version is in force; if not, each problem is logged and reported, and
the running version stays. At the first start there is no running version: a kind the bot
cannot run without (`required`) then stops it with `ContentError`, any other kind is `empty`
until a valid version arrives.

`KINDS` is the table, in the order a reload reports problems.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import structlog

from yorisoi.faq.library import FaqLibrary
from yorisoi.operators.catalog import Catalog, load_catalog
from yorisoi.operators.hours import ServiceHours
from yorisoi.operators.hours_file import load_hours
from yorisoi.operators.shifts import NO_SHIFTS, ShiftPlan, load_shifts
from yorisoi.safety.contacts import CrisisContacts, load_contacts
from yorisoi.safety.crisis import CrisisTexts, load_crisis_texts
from yorisoi.safety.screen import Screener, load_screener
from yorisoi.yamlcheck import ContentInvalid, ContentProblem

__all__ = [
    "CATALOG",
    "CONTACTS",
    "CRISIS_TEXTS",
    "FAQ",
    "HOURS",
    "KINDS",
    "SCREENER",
    "SHIFTS",
    "ContentError",
    "Kind",
    "Version",
    "folder_digest",
    "load_or_keep",
    "raising",
]

T = TypeVar("T")

log = structlog.get_logger("yorisoi.content")

Read = Callable[[Path], tuple[T | None, list[ContentProblem]]]
"""Read a kind from the content root: its value if valid (else None), and every problem."""


class ContentError(Exception):
    """Raised when there is no valid version of content yorisoi cannot run without."""


@dataclass(frozen=True, slots=True, eq=False)
class Kind(Generic[T]):
    """One kind of content: what it is called, how it is read, what stands in for it."""

    what: str  # in "no valid <what>: ..."
    read: Read[T]
    required: bool = False  # without a valid version at the first start, the bot stops
    empty: T | None = None  # in force until a first valid version (kinds not required)
    blocking: bool = False  # slow (a model, an index): read on a worker thread
    # Files whose unchanged bytes mean the running version can stay without re-reading them.
    digest: Callable[[Path], str] | None = None


@dataclass(frozen=True, slots=True)
class Version(Generic[T]):
    """The value of a kind in force, and the digest of the files it was read from."""

    value: T
    digest: str | None = None


def raising(load: Callable[[Path], T], path: Callable[[Path], Path]) -> Read[T]:
    """Adapt a loader that raises `ContentInvalid` into a `Read` of the file at `path(root)`."""

    def read(root: Path) -> tuple[T | None, list[ContentProblem]]:
        try:
            return load(path(root)), []
        except ContentInvalid as exc:
            return None, exc.problems

    return read


def _read_screener(root: Path) -> tuple[Screener | None, list[ContentProblem]]:
    """Read the lexicon into a screener (it may load the embedding model: blocking)."""
    path = root / "states" / "safety" / "lexicon.yaml"
    try:
        return load_screener(path), []
    except ContentInvalid as exc:
        return None, exc.problems
    except Exception as exc:
        # Broad on purpose, as before: whatever stops a new screener keeps the running one.
        return None, [ContentProblem(str(path), 0, f"cannot build the screener: {exc}")]


def _read_catalog(root: Path) -> tuple[Catalog | None, list[ContentProblem]]:
    return load_catalog(root / "operators")


def _read_faq(root: Path) -> tuple[FaqLibrary | None, list[ContentProblem]]:
    return FaqLibrary.load(root / "faq")


def folder_digest(folder: Path) -> str:
    """Return a digest of the YAML files in a folder (names and contents, not where it is)."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


HOURS: Kind[ServiceHours] = Kind(
    # Without valid hours the bot could not tell night from day.
    "service hours",
    raising(load_hours, lambda root: root / "operators" / "hours.yaml"),
    required=True,
)
CATALOG: Kind[Catalog] = Kind(
    "operators/records.yaml and canned.yaml", _read_catalog, required=True
)
SHIFTS: Kind[ShiftPlan] = Kind(
    # A plan people read, not something the bot needs to run: no valid file, no shifts.
    "shifts",
    raising(load_shifts, lambda root: root / "operators" / "shifts.yaml"),
    empty=NO_SHIFTS,
)
SCREENER: Kind[Screener] = Kind("safety lexicon", _read_screener, required=True, blocking=True)
CONTACTS: Kind[CrisisContacts] = Kind(
    # Without them the crisis reply falls back to 110/119.
    "crisis contacts",
    raising(load_contacts, lambda root: root / "faq" / "crisis.yaml"),
)
CRISIS_TEXTS: Kind[CrisisTexts] = Kind(
    "crisis texts",
    raising(load_crisis_texts, lambda root: root / "states" / "safety" / "crisis.yaml"),
)
FAQ: Kind[FaqLibrary] = Kind(
    # Building the index embeds every phrasing (about half a second): unchanged files keep
    # the running library. Without one the bot says the FAQ is unavailable.
    "FAQ",
    _read_faq,
    blocking=True,
    digest=lambda root: folder_digest(root / "faq"),
)

KINDS: tuple[Kind[Any], ...] = (HOURS, CATALOG, SHIFTS, SCREENER, CONTACTS, CRISIS_TEXTS, FAQ)


async def load_or_keep(
    kind: Kind[T], root: Path, running: Version[T] | None, problems: list[ContentProblem]
) -> Version[T] | None:
    """Return the version of `kind` in force after reading `root`; add its problems.

    A valid read is the new version; otherwise the running one stays, or at the first start
    `kind.empty` (None when there is nothing to stand in), or `ContentError` if required.
    """
    digest = kind.digest(root) if kind.digest is not None else None
    if running is not None and digest is not None and running.digest == digest:
        return running
    if kind.blocking:
        value, found = await asyncio.to_thread(kind.read, root)
    else:
        value, found = kind.read(root)
    for problem in found:
        log.error("content.refused", problem=str(problem))
    problems.extend(found)
    if value is not None:
        return Version(value, digest)
    if running is not None:
        return running
    if kind.required:
        raise ContentError(f"no valid {kind.what}: " + "; ".join(str(p) for p in found))
    return Version(kind.empty) if kind.empty is not None else None
