"""FAQ matcher quality and speed on hand-written messages (bench/faq_messages.tsv).

For each matcher (lexical + meaning, lexical only) and split (all, tune, heldout) it prints:

- top-1: the expected entry is the best candidate (whether or not the bot answers);
- top-3: the expected entry is among the three candidates;
- answered right: the bot answers, with the expected entry (share of FAQ messages);
- answered: the bot answers at all (share of FAQ messages);
- wrong confident: the bot answers with an entry that is not the expected one, over all
  messages (an off-topic or venting message answered at all counts as wrong);
- no-answer (off-topic/venting): share of those messages the bot does not answer;
- latency p50/p95 of `FaqLibrary.match` per message (after a warm-up pass), and memory:
  RSS before and after loading the library (model included).

Options: --misses prints the wrong tune messages (never heldout ones: they stay unread);
--record appends the table to bench/RESULTS.md.

Usage: OMP_NUM_THREADS=1 /work/venv/bin/python bench/faq_quality.py [--misses] [--record]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy: one BLAS thread, as served

import platform
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from yorisoi.faq.library import FaqLibrary  # noqa: E402
from yorisoi.faq.match import Match  # noqa: E402
from yorisoi.text.fold import fold  # noqa: E402

MESSAGES = ROOT / "bench" / "faq_messages.tsv"
FAQ = ROOT / "faq"
ROUNDS = 5


@dataclass(frozen=True)
class Message:
    split: str
    expected: str | None
    kind: str
    text: str


def read_messages(path: Path) -> list[Message]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("split\t"):
            continue
        split, expected, kind, text = line.split("\t")
        rows.append(Message(split, None if expected == "-" else expected, kind, text))
    return rows


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(library: FaqLibrary, messages: list[Message]) -> tuple[dict[str, Match], float, float]:
    for message in messages:  # warm-up
        library.match(message.text)
    times: list[float] = []
    results: dict[str, Match] = {}
    for _ in range(ROUNDS):
        for message in messages:
            started = time.perf_counter()
            results[message.text] = library.match(message.text)
            times.append(time.perf_counter() - started)
    times.sort()
    return results, statistics.median(times) * 1000, times[int(0.95 * len(times))] * 1000


def figures(messages: list[Message], results: dict[str, Match]) -> dict[str, float]:
    faq = [m for m in messages if m.expected is not None]
    none = [m for m in messages if m.expected is None]

    def ids(m: Message) -> list[str]:
        return [entry.id for entry, _ in results[m.text].candidates]

    def hit(m: Message) -> str | None:
        found = results[m.text].hit
        return found.id if found is not None else None

    wrong = sum(1 for m in messages if hit(m) is not None and hit(m) != m.expected)
    return {
        "n": len(messages),
        "faq": len(faq),
        "none": len(none),
        "top1": sum(1 for m in faq if ids(m)[:1] == [m.expected]) / len(faq),
        "top3": sum(1 for m in faq if m.expected in ids(m)[:3]) / len(faq),
        "right": sum(1 for m in faq if hit(m) == m.expected) / len(faq),
        "answered": sum(1 for m in faq if hit(m) is not None) / len(faq),
        "wrong": wrong / len(messages),
        "wrong_n": wrong,
        "noanswer": sum(1 for m in none if hit(m) is None) / len(none) if none else float("nan"),
    }


def overlap(library: FaqLibrary, messages: list[Message]) -> list[str]:
    """Return benchmark texts that are also phrasings of an entry (they must not be)."""
    phrasings = {fold(p).strip() for e in library.entries for p in e.phrasings}
    return [m.text for m in messages if fold(m.text).strip() in phrasings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print wrong tune messages")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    messages = read_messages(MESSAGES)
    rows: list[str] = []
    notes: list[str] = []
    for semantic in (True, False):
        before = rss_mib()
        started = time.perf_counter()
        library, problems = FaqLibrary.load(FAQ, semantic=semantic)
        load_ms = (time.perf_counter() - started) * 1000
        after = rss_mib()
        if library is None:
            sys.exit("\n".join(str(p) for p in problems))
        copied = overlap(library, messages)
        if copied:
            sys.exit(f"benchmark messages copied from the FAQ: {copied}")
        results, p50, p95 = measure(library, messages)
        name = "lexical + meaning" if semantic else "lexical only"
        notes.append(
            f"{name}: {len(library.entries)} entries, load {load_ms:.0f} ms, "
            f"RSS {before:.0f} → {after:.0f} MiB; match p50 {p50:.2f} ms, p95 {p95:.2f} ms"
        )
        for split in ("all", "tune", "heldout"):
            chosen = [m for m in messages if split == "all" or m.split == split]
            f = figures(chosen, results)
            rows.append(
                f"| {name} / {split} | {f['n']} ({f['faq']:.0f} / {f['none']:.0f}) | "
                f"{f['top1']:.3f} | {f['top3']:.3f} | {f['right']:.3f} | {f['answered']:.3f} | "
                f"{f['wrong']:.3f} ({f['wrong_n']:.0f}) | {f['noanswer']:.3f} | "
                f"{p50:.2f} | {p95:.2f} |"
            )
        if args.misses:
            for m in messages:
                found = results[m.text]
                got = found.hit.id if found.hit is not None else None
                if m.split == "tune" and got != m.expected:
                    top = ", ".join(f"{e.id} {s:.2f}" for e, s in found.candidates)
                    print(
                        f"[{name}] {m.text!r}: expected {m.expected}, got {got} "
                        f"({', '.join(found.reasons)}; {top})"
                    )
    table = "\n".join(
        [
            "| matcher / split | messages (faq / no-answer) | top-1 | top-3 | answered right | "
            "answered | wrong confident | no-answer (off-topic) | p50 ms | p95 ms |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    print("\n".join(notes))
    if args.record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        setup = (
            f"{len(messages)} hand-written messages (bench/faq_messages.tsv); content faq/; "
            f"Python {platform.python_version()}, one BLAS thread; latency per message over "
            f"{ROUNDS} rounds after a warm-up pass."
        )
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write(f"\n## faq_quality — {stamp}\n\n{setup}\n\n{table}\n\n")
            out.write("\n".join(f"- {note}" for note in notes) + "\n")


if __name__ == "__main__":
    main()
