"""Risk screener quality: recall and precision for `high` on the hand-labelled messages.

Reads bench/risk_messages.tsv (split, label, kind, text), screens every message with the lexicon
in states/safety/lexicon.yaml and prints, for all messages, the `tune` split (used while writing the
lexicon) and the `heldout` split (never used to tune it):

* recall and precision of `high`;
* the share of `high` messages screened `none` (missed entirely, not even a concern);
* the rate of ordinary messages (label `none`) raised to `high`, and to `concern` or above;
* per-message latency p50/p99 after a warm-up pass (folding, Sudachi and matching).

The figures are appended to bench/RESULTS.md unless --no-append is given; --misses SPLIT lists
the messages of that split whose level differs from the label (use it on `tune` only).

Usage: /work/venv/bin/python bench/risk_quality.py [--no-append] [--misses tune]
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from yorisoi.safety.lexicon import Level
from yorisoi.safety.screen import Screener, load_screener

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "bench" / "risk_messages.tsv"
RESULTS = ROOT / "bench" / "RESULTS.md"
RECALL_GOAL = 0.95
ORDINARY_HIGH_GOAL = 0.03


@dataclass(frozen=True, slots=True)
class Labelled:
    """One message of the labelled set."""

    split: str
    label: Level
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Scored:
    """A labelled message with the level the screener gave it and how long that took."""

    item: Labelled
    level: Level
    reasons: tuple[str, ...]
    seconds: float


def read_messages(path: Path = MESSAGES) -> list[Labelled]:
    """Read the labelled set, skipping comment lines and the header."""
    rows: list[Labelled] = []
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append(Labelled(row["split"], Level(row["label"]), row["kind"], row["text"]))
    return rows


def score(screener: Screener, items: list[Labelled]) -> list[Scored]:
    """Screen every message once to warm up, then again timing each one."""
    for item in items:
        screener.screen(item.text)
    scored: list[Scored] = []
    for item in items:
        started = time.perf_counter()
        result = screener.screen(item.text)
        scored.append(Scored(item, result.level, result.reasons, time.perf_counter() - started))
    return scored


def _ratio(part: int, whole: int) -> float:
    """Return part/whole, or 0 for an empty whole."""
    return part / whole if whole else 0.0


def figures(scored: list[Scored]) -> dict[str, float]:
    """Return the quality and latency figures of `scored`."""
    high = Level.HIGH
    true_high = sum(1 for s in scored if s.item.label is high and s.level is high)
    labelled_high = sum(1 for s in scored if s.item.label is high)
    said_high = sum(1 for s in scored if s.level is high)
    ordinary = [s for s in scored if s.item.label is Level.NONE]
    latencies = sorted(s.seconds * 1000 for s in scored)
    return {
        "n": len(scored),
        "n_high": labelled_high,
        "n_ordinary": len(ordinary),
        "recall_high": _ratio(true_high, labelled_high),
        "precision_high": _ratio(true_high, said_high),
        # Risk to life the screener let through as `none`: nobody would even look at these.
        "high_to_none": _ratio(
            sum(1 for s in scored if s.item.label is high and s.level is Level.NONE), labelled_high
        ),
        "ordinary_to_high": _ratio(sum(1 for s in ordinary if s.level is high), len(ordinary)),
        "ordinary_raised": _ratio(
            sum(1 for s in ordinary if s.level is not Level.NONE), len(ordinary)
        ),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
    }


def table(rows: dict[str, dict[str, float]]) -> str:
    """Return the figures as a Markdown table, one row per split."""
    lines = [
        "| split | messages (high / ordinary) | recall high | precision high | high→none "
        "| ordinary→high | ordinary→concern+ | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in rows.items():
        lines.append(
            f"| {name} | {f['n']:.0f} ({f['n_high']:.0f} / {f['n_ordinary']:.0f}) "
            f"| {f['recall_high']:.3f} | {f['precision_high']:.3f} | {f['high_to_none']:.3f} "
            f"| {f['ordinary_to_high']:.3f} "
            f"| {f['ordinary_raised']:.3f} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} |"
        )
    return "\n".join(lines)


def misses(scored: list[Scored], split: str) -> str:
    """Return the messages of `split` whose level differs from their label."""
    wrong = [s for s in scored if s.item.split == split and s.level is not s.item.label]
    return "\n".join(
        f"{s.item.label.value:>7} → {s.level.value:<7} {s.item.text}  {list(s.reasons)}"
        for s in wrong
    )


def main(argv: list[str] | None = None) -> int:
    """Score the labelled set, print the figures and append them to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-append", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--misses", metavar="SPLIT", help="list wrong levels in SPLIT")
    args = parser.parse_args(argv)

    items = read_messages()
    started = time.perf_counter()
    screener = load_screener()
    load_seconds = time.perf_counter() - started
    scored = score(screener, items)
    rows = {
        "all": figures(scored),
        "tune": figures([s for s in scored if s.item.split == "tune"]),
        "heldout": figures([s for s in scored if s.item.split == "heldout"]),
    }
    report = table(rows)
    print(report)
    print(
        f"goals: recall(high) >= {RECALL_GOAL}, ordinary→high <= {ORDINARY_HIGH_GOAL:.0%}; "
        f"lexicon loaded in {load_seconds * 1000:.0f} ms"
    )
    if args.misses:
        print(f"\nwrong levels in {args.misses}:\n{misses(scored, args.misses)}")
    if not args.no_append:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        setup = (
            f"{len(items)} hand-written messages (bench/risk_messages.tsv); lexicon "
            f"states/safety/lexicon.yaml, {len(screener.lexicon.entries)} entries; SudachiPy core, "
            f"SplitMode.C; Python {platform.python_version()}, one thread; latency per message "
            "after one warm-up pass."
        )
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(f"\n## risk_quality — {stamp}\n\n{setup}\n\n{report}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
