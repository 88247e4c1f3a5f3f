"""Okapi BM25 over the FAQ entries, built once per content version.

Each entry is one document: its question and alternative phrasings count fully, its answer at
`ANSWER_WEIGHT` (an answer mentions many things the entry is not about, but still helps when a
user words the question the way the answer does). Term frequencies are weighted by field before
BM25 saturates them.

Scores are precomputed per term as a dense vector over the entries, so scoring a query is a
sum of a few numpy rows (tens of microseconds for a hundred entries). `lexical` turns the raw
score into a 0..1 figure per query: the score divided by what the query's terms would earn in
an average-length document containing each of them once. A query word the index has never seen
counts in that denominator at the highest idf, so 「今日の天気」 sharing only 今日 with an
entry scores low instead of looking like a perfect match on its one known word.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from yorisoi.faq.model import Entry
from yorisoi.faq.normalize import Normalizer

__all__ = ["ANSWER_WEIGHT", "K1", "B", "Bm25Index"]

K1 = 1.5
B = 0.75
ANSWER_WEIGHT = 0.3
# Short units (保険 in 健康保険証) are partial evidence: they let a compound meet its parts
# without outvoting a whole-word match.
SHORT_UNIT_WEIGHT = 0.5

Vector = np.ndarray[Any, np.dtype[np.float64]]


class Bm25Index:
    """BM25 term weights for a fixed list of entries."""

    def __init__(
        self,
        entries: Sequence[Entry],
        normalizer: Normalizer,
        *,
        k1: float = K1,
        b: float = B,
        answer_weight: float = ANSWER_WEIGHT,
    ) -> None:
        self.entries = tuple(entries)
        self.normalizer = normalizer
        self.k1 = k1
        frequencies: list[defaultdict[str, float]] = []
        for entry in self.entries:
            counts: defaultdict[str, float] = defaultdict(float)
            for phrasing in entry.phrasings:
                self._count(counts, phrasing, 1.0)
            self._count(counts, entry.answer, answer_weight)
            frequencies.append(counts)
        count = len(self.entries)
        lengths = np.array([sum(c.values()) for c in frequencies], dtype=np.float64)
        average = float(lengths.mean()) if count and lengths.mean() > 0 else 1.0
        norms = k1 * (1 - b + b * lengths / average)
        documents: Counter[str] = Counter(term for counts in frequencies for term in counts)
        # Lucene's idf: never negative, so a term in most entries still counts a little.
        self.idf = {
            term: math.log(1 + (count - n + 0.5) / (n + 0.5)) for term, n in documents.items()
        }
        self.unseen_idf = math.log(1 + (count + 0.5) / 0.5)
        self._rows: dict[str, Vector] = {}
        for term, idf in self.idf.items():
            tf = np.array([counts.get(term, 0.0) for counts in frequencies], dtype=np.float64)
            self._rows[term] = idf * tf * (k1 + 1) / (tf + norms)
        self._zero: Vector = np.zeros(count, dtype=np.float64)

    def _count(self, counts: defaultdict[str, float], text: str, weight: float) -> None:
        """Add the weighted tokens of `text` to `counts`."""
        for token in self.normalizer.tokens(text):
            counts[token.term] += weight * (SHORT_UNIT_WEIGHT if token.short_unit else 1.0)

    def scores(self, terms: Sequence[str]) -> Vector:
        """Return the raw BM25 score of every entry for the query `terms`."""
        total = self._zero.copy()
        for term in set(terms):
            row = self._rows.get(term)
            if row is not None:
                total += row
        return total

    def ceiling(self, terms: Sequence[str]) -> float:
        """Return what `terms` would score against an average entry holding each of them once."""
        return sum(self.idf.get(term, self.unseen_idf) for term in set(terms))

    def lexical(self, terms: Sequence[str]) -> Vector:
        """Return every entry's score for `terms` scaled to 0..1 for this query."""
        ceiling = self.ceiling(terms)
        if ceiling <= 0:
            return self._zero.copy()
        return np.minimum(self.scores(terms) / ceiling, 1.0)
