"""Ordinary venting must not end in a crisis reply: run sequences through the safety net.

Reads ``bench/venting_sequences.tsv`` (sequences of 2-6 ordinary venting lines one person sends,
written blind: none of them is a danger to life) and feeds each sequence, message by message,
a few minutes apart, through the screener and ``SafetyNet.assess`` of one fresh conversation,
as the bot does. A sequence fails when any of its messages gets the crisis reply (which also
flags the case ``high`` and alerts on-call). Also counted: messages the screener calls ``high``
on their own, sequences that raise the conversation to ``high`` only by repetition, and gentle
check-ins.

Usage: .venv/bin/python bench/venting_quality.py [--misses] [--record]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Before numpy is imported by the model: one BLAS thread, as the screener runs in the bot.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from yorisoi.domain.data import ConversationData
from yorisoi.safety.lexicon import Level
from yorisoi.safety.net import SafetyNet
from yorisoi.safety.screen import load_screener

ROOT = Path(__file__).resolve().parent.parent
SEQUENCES = ROOT / "bench" / "venting_sequences.tsv"
GAP = timedelta(minutes=3)  # between two messages of a sequence
START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 23:00 in Japan: venting at night


def read_sequences(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Return each sequence's (who, text) messages in order."""
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    data = [line for line in rows if not line.startswith("#")]
    sequences: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for row in csv.DictReader(data, delimiter="\t", quoting=csv.QUOTE_NONE):
        sequences[row["seq"]].append((int(row["n"]), row["who"], row["text"]))
    return {
        seq: [(who, text) for _, who, text in sorted(items)] for seq, items in sequences.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print the failing sequences")
    parser.add_argument("--record", action="store_true", help="append the figures to RESULTS.md")
    args = parser.parse_args(argv)
    sequences = read_sequences(SEQUENCES)
    with ThreadPoolExecutor(max_workers=1) as executor:
        net = SafetyNet(load_screener(), None, None, executor=executor)
        crisis_sequences, repeat_high, solo_high, check_ins, messages = [], [], 0, 0, 0
        by_who: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for seq, items in sequences.items():
            data = ConversationData()
            crisis = repeated = False
            for n, (_who, text) in enumerate(items):
                screening = net.screen(text)
                was_high = data.risk == Level.HIGH.value
                assessment = net.assess(data, screening, START + n * GAP)
                messages += 1
                solo_high += screening.level is Level.HIGH
                check_ins += assessment.check_in
                crisis = crisis or assessment.crisis
                repeated = repeated or (
                    not was_high
                    and assessment.conversation is Level.HIGH
                    and screening.level is not Level.HIGH
                )
            who = items[0][0]
            by_who[who][0] += 1
            by_who[who][1] += crisis
            if crisis:
                crisis_sequences.append(seq)
            if repeated:
                repeat_high.append(seq)
            if crisis and args.misses:
                print(f"-- {seq} ({who})")
                for _, text in items:
                    print(f"   {text}")
    total = len(sequences)
    lines = [
        f"sequences: {total} ({messages} messages) from {SEQUENCES.name}",
        f"ending in a crisis reply (and a high flag and an on-call alert): "
        f"{len(crisis_sequences)} / {total}",
        f"  of which raised to high by repetition alone: {len(repeat_high)}",
        f"messages the screener calls high on their own: {solo_high} / {messages}",
        f"gentle check-ins due (sent only outside an open case): {check_ins}",
        "by writer's persona (crisis / sequences): "
        + ", ".join(f"{who} {n_crisis}/{n}" for who, (n, n_crisis) in sorted(by_who.items())),
    ]
    print("\n".join(lines))
    if args.record:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write(
                f"\n## venting_quality — {now}\n\n`.venv/bin/python bench/venting_quality.py`; "
                f"Python {platform.python_version()}, {os.cpu_count()} cores\n\n"
                + "".join(f"- {line}\n" for line in lines)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
