"""FAQ matcher latency: per-query time for 100 entries, lexical only and with meaning.

Speed targets live here, not in unit tests. Uses the test fixture's entries and queries
(tests/faq/test_match.py), copied up to 100 entries. Prints the figures and appends them to
bench/RESULTS.md.

Usage: .venv/bin/python bench/faq_latency.py
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from yorisoi.faq.match import Matcher  # noqa: E402
from yorisoi.faq.model import load_synonyms  # noqa: E402


def fixture() -> object:
    spec = importlib.util.spec_from_file_location(
        "faq_fixture", ROOT / "tests" / "faq" / "test_match.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(matcher: Matcher, queries: list[str], rounds: int) -> tuple[float, float]:
    for text in queries:  # warm-up
        matcher.match(text)
    times = []
    for _ in range(rounds):
        for text in queries:
            started = time.perf_counter()
            matcher.match(text)
            times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times) * 1000, times[int(0.95 * len(times))] * 1000


def main() -> None:
    data = fixture()
    entries = [replace(e, id=f"{e.id}{copy}") for copy in range(9) for e in data.ENTRIES][:100]
    groups, _ = load_synonyms(ROOT / "faq" / "synonyms.yaml")
    queries = [text for text, _ in data.EASY + data.HARD]
    rows = []
    for semantic, rounds in ((False, 50), (True, 5)):
        started = time.perf_counter()
        matcher = Matcher(entries, groups, semantic=semantic)
        build = (time.perf_counter() - started) * 1000
        p50, p95 = measure(matcher, queries, rounds)
        rows.append(
            f"| {'lexical + meaning' if semantic else 'lexical only'} | {len(entries)} | "
            f"{build:.0f} | {p50:.3f} | {p95:.3f} |"
        )
    table = "\n".join(
        [
            "| matcher | entries | build ms | query p50 ms | query p95 ms |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write(
            f"\n## faq_latency — {stamp}\n\nFixture entries copied to 100, "
            f"{len(queries)} fixture queries.\n\n{table}\n"
        )


if __name__ == "__main__":
    main()
