"""Risk classifier experiment: choose the setting and thresholds of the shipped classifier.

Reads only the splits already used for tuning (USED in bench/risk_quality.py); the sealed split
is never read here. Two parts:

1. Thresholds: 5-fold stratified cross-validation on the used splits, the lexicon's examples
   added to every training fold (never to a validation fold), repeated over shuffles. Prints
   the kernel head's `high` threshold (2.5 % of ordinary messages raised out-of-fold) and the
   softmax head's `concern` threshold (10 %), for bench/risk_classifier_fit.py.
2. Leave one writer out (skipped with --quick): for each set written blind by one author
   (WRITERS), fit on every other used split, pick the thresholds by cross-validation inside
   that training data, and score the set left out: the classifier alone (kernel head, and the
   linear head it replaced), and the whole screener (rules, similarity, classifier) with `solo`
   off and on. The rules were tuned on most of these sets, so the whole-screener rows are
   in-sample for the rules except on heldout8, whose misses no rule was written for; the
   classifier rows are honest.

Usage: /work/venv/bin/python bench/risk_classifier.py [--quick] [--c 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from risk_classifier_fit import PENALTY, C, fit_support
from risk_quality import USED, Labelled, read_messages

from yorisoi.safety.classifier import CLASSES, RiskClassifier, features, fit, probabilities
from yorisoi.safety.lexicon import Level, load_lexicon
from yorisoi.safety.screen import Screener
from yorisoi.text.embed import load_model
from yorisoi.text.fold import prefold

FOLDS = 5
REPEATS = 2
FALSE_ALARM = 0.025
CONCERN_ALARM = 0.10
WRITERS = ("heldout4", "heldout5", "heldout6", "heldout7", "heldout8", "heldout9")
"""Sets each written blind by one author before the changes they were first scored against."""

Array = np.ndarray[Any, Any]


def folds(labels: Array, seed: int) -> list[Array]:
    """Return FOLDS index arrays, stratified by label, shuffled with `seed`."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(FOLDS)]
    for label in np.unique(labels):
        index = np.flatnonzero(labels == label)
        rng.shuffle(index)
        for at, i in enumerate(index):
            parts[at % FOLDS].append(int(i))
    return [np.array(sorted(p)) for p in parts]


@dataclass(frozen=True, slots=True)
class Data:
    """Embeddings, texts, features and labels (indices into CLASSES) of some messages."""

    embeddings: Array
    texts: list[str]
    x: Array
    y: Array

    @classmethod
    def embedded(cls, embed: Any, texts: list[str], labels: list[int]) -> Data:
        """Embed `texts` and return them with their features and `labels`."""
        embeddings = np.asarray(embed([prefold(t) for t in texts]))
        return cls(embeddings, texts, features(embeddings, texts), np.array(labels))

    def subset(self, index: Array) -> Data:
        """Return the rows `index`."""
        return Data(
            self.embeddings[index], [self.texts[i] for i in index], self.x[index], self.y[index]
        )

    def __add__(self, other: Data) -> Data:
        return Data(
            np.vstack([self.embeddings, other.embeddings]),
            self.texts + other.texts,
            np.vstack([self.x, other.x]),
            np.concatenate([self.y, other.y]),
        )


def fit_heads(embed: Any, data: Data, c: float) -> RiskClassifier:
    """Fit both heads on `data`; thresholds left at 0 (the caller sets its own)."""
    support, _ = fit_support(embed, data.embeddings, data.texts, data.y == 2, c=c)
    return RiskClassifier(fit(data.x, data.y, penalty=PENALTY), support.kernel(), 0.0, 0.0, "")


def out_of_fold(
    embed: Any, data: Data, extra: Data, c: float, seeds: range
) -> tuple[float, float, list[tuple[Array, Array, Array]]]:
    """Return the `high` and `concern` thresholds out-of-fold, and each shuffle's scores."""
    runs = []
    for seed in seeds:
        decision = np.zeros(len(data.y))
        linear = np.zeros((len(data.y), len(CLASSES)))
        for held in folds(data.y, seed):
            train = np.setdiff1d(np.arange(len(data.y)), held)
            model = fit_heads(embed, data.subset(train) + extra, c)
            decision[held] = model.kernel.decision(data.x[held])
            linear[held] = probabilities(model.fitted, data.x[held])
        runs.append((decision, linear, data.y))
    t_high = statistics.mean(_threshold(d[y == 0], FALSE_ALARM) for d, _, y in runs)
    t_concern = statistics.mean(_threshold(1 - p[y == 0, 0], CONCERN_ALARM) for _, p, y in runs)
    return t_high, t_concern, runs


def _threshold(ordinary: Array, rate: float) -> float:
    """Return the score that at most `rate` of the `ordinary` scores reach."""
    ranked = np.sort(ordinary)[::-1]
    return float(ranked[int(rate * len(ranked))]) + 1e-6


def recall_at(scores: Array, y: Array, threshold: float) -> tuple[float, float, float]:
    """Return recall(high), ordinary→high and concern→high at `threshold`."""
    said = scores >= threshold
    return (
        float(said[y == 2].mean()),
        float(said[y == 0].mean()),
        float(said[y == 1].mean()) if (y == 1).any() else 0.0,
    )


def screened(screener: Screener, items: list[Labelled]) -> tuple[float, float, float, float]:
    """Return recall(high), ordinary→high, concern→high and high→none of the whole screener."""
    levels = [(item.label, screener.screen(item.text).level) for item in items]

    def share(label: Level, level: Level) -> float:
        pool = [b for a, b in levels if a is label]
        return sum(b is level for b in pool) / len(pool) if pool else 0.0

    return (
        share(Level.HIGH, Level.HIGH),
        share(Level.NONE, Level.HIGH),
        share(Level.CONCERN, Level.HIGH),
        share(Level.HIGH, Level.NONE),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the thresholds, then (without --quick) the leave-one-writer-out figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="thresholds only")
    parser.add_argument("--c", type=float, default=C, help="the SVM's C")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    items = [item for item in read_messages() if item.split in USED]
    lexicon = load_lexicon()
    embed = load_model()
    rank = {level.value: CLASSES.index(level.value) for level in Level}
    data = Data.embedded(embed, [i.text for i in items], [rank[i.label.value] for i in items])
    extra = Data.embedded(
        embed,
        [e.text for e in lexicon.risk_examples] + list(lexicon.safe_examples),
        [2] * len(lexicon.risk_examples) + [0] * len(lexicon.safe_examples),
    )

    t_high, t_concern, runs = out_of_fold(embed, data, extra, args.c, range(REPEATS))
    oof = [recall_at(d, y, t_high) for d, _, y in runs]
    print(
        f"used splits: {len(items)} messages ({int((data.y == 2).sum())} high / "
        f"{int((data.y == 1).sum())} concern / {int((data.y == 0).sum())} ordinary), C {args.c}, "
        f"{FOLDS}-fold x {REPEATS} shuffles"
    )
    print(
        f"HIGH = {t_high:.4f}  (kernel decision; ordinary→high {FALSE_ALARM:.1%} out-of-fold, "
        f"recall(high) {statistics.mean(r[0] for r in oof):.3f}, concern→high "
        f"{statistics.mean(r[2] for r in oof):.3f})"
    )
    print(f"CONCERN = {t_concern:.4f}  (P(concern or high); ordinary→concern+ {CONCERN_ALARM:.0%})")
    if args.quick:
        print(f"{time.perf_counter() - started:.0f} s")
        return 0

    print(
        "\nleave one writer out: fit on every other used split, thresholds by cross-validation "
        "inside it, scored on the set left out\n"
        "| set | kernel alone: recall / ord→high / conc→high | linear alone (replaced) "
        "| screener, solo off | screener, solo on (shipped): recall / ord→high / conc→high / "
        "high→none |\n|---|---|---|---|---|"
    )
    screener = Screener(lexicon)
    for writer in WRITERS:
        held = np.array([i for i, item in enumerate(items) if item.split == writer])
        train = np.setdiff1d(np.arange(len(items)), held)
        t_h, t_c, inner_runs = out_of_fold(embed, data.subset(train), extra, args.c, range(1))
        t_linear = statistics.mean(_threshold(p[y == 0, 2], FALSE_ALARM) for _, p, y in inner_runs)
        model = fit_heads(embed, data.subset(train) + extra, args.c)
        x, y = data.x[held], data.y[held]
        alone = recall_at(model.kernel.decision(x), y, t_h)
        linear = recall_at(probabilities(model.fitted, x)[:, 2], y, t_linear)
        part = [items[i] for i in held]
        cells = []
        for solo in (float("inf"), t_h):
            screener.classifier = RiskClassifier(model.fitted, model.kernel, t_h, t_c, "", solo)
            cells.append(" / ".join(f"{v:.3f}" for v in screened(screener, part)))
        print(
            f"| {writer} ({len(part)}) | {' / '.join(f'{v:.3f}' for v in alone)} "
            f"| {' / '.join(f'{v:.3f}' for v in linear)} | {cells[0]} | {cells[1]} |"
        )
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
