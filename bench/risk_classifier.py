"""Risk classifier experiment: a learned classifier on sentence embeddings, used splits only.

Stage 1 (default): 5-fold stratified cross-validation on the splits already used for tuning
(USED in bench/risk_quality.py: tune, heldout, heldout2, heldout3, tune5, heldout4, tune6, fp1,
heldout5, tune7, heldout6, heldout7; "tune" in the output means all of them), repeated with several shuffles, for a grid of L2 penalties, with
and without the lexicon's risk/safe examples added to every training fold (never to a
validation fold). For each setting it prints the out-of-fold figures at the `high` threshold
that keeps out-of-fold recall(high) >= 0.95, and the same for the ways of combining the
classifier with the rules (`yorisoi.safety.screen`), including `shipped` at several `solo`
thresholds. The rules were written on these splits, so the combined figures are in-sample for
the rules. The sealed split (heldout8) is not read. --quick runs one setting, two shuffles.

Stage 2 (--final, run once the setting is frozen): fits on the used splits with the chosen
setting and scores every split, the sealed one in aggregate only, alone and combined with the
rules, and prints the per-message latency of the combination.

Usage: /work/venv/bin/python bench/risk_classifier.py [--quick] [--final ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from risk_quality import SEALED, USED, Labelled, read_messages

from yorisoi.safety.classifier import CLASSES, features, fit, probabilities
from yorisoi.safety.fold import prefold
from yorisoi.safety.lexicon import Level, load_lexicon
from yorisoi.safety.screen import NEGATED, Screener, _by_rule
from yorisoi.safety.similar import load_model

RECALL_GOAL = 0.95
FOLDS = 5
REPEATS = 4
FALSE_ALARM = 0.025
PENALTIES = (1e-5, 1e-4, 1e-3)
LEVELS = (Level.NONE, Level.CONCERN, Level.HIGH)
RANK = {level: rank for rank, level in enumerate(LEVELS)}


def folds(labels: np.ndarray[Any, Any], seed: int) -> list[np.ndarray[Any, Any]]:
    """Return FOLDS index arrays, stratified by label, shuffled with `seed`."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(FOLDS)]
    for label in np.unique(labels):
        index = np.flatnonzero(labels == label)
        rng.shuffle(index)
        for at, i in enumerate(index):
            parts[at % FOLDS].append(int(i))
    return [np.array(sorted(p)) for p in parts]


def out_of_fold(
    x: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    extra: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None,
    penalty: float,
    seed: int,
) -> np.ndarray[Any, Any]:
    """Return the out-of-fold class probabilities of every tune message."""
    result = np.zeros((len(y), len(CLASSES)))
    for held in folds(y, seed):
        train = np.setdiff1d(np.arange(len(y)), held)
        tx, ty = x[train], y[train]
        if extra is not None:
            tx, ty = np.vstack([tx, extra[0]]), np.concatenate([ty, extra[1]])
        result[held] = probabilities(fit(tx, ty, penalty=penalty), x[held])
    return result


def classify(p: np.ndarray[Any, Any], t_high: float, t_concern: float) -> list[Level]:
    """Return the classifier's levels: `high` from P(high), `concern` from P(concern or high)."""
    levels = []
    for none, _concern, high in p:
        if high >= t_high:
            levels.append(Level.HIGH)
        elif 1.0 - none >= t_concern:
            levels.append(Level.CONCERN)
        else:
            levels.append(Level.NONE)
    return levels


def metrics(labels: list[Level], levels: list[Level]) -> dict[str, float]:
    """Return recall/precision of high, high→none, ordinary→high, ordinary→concern+, concern→high."""

    def share(cond: Callable[[Level, Level], bool], given: Level) -> float:
        pool = [(a, b) for a, b in zip(labels, levels, strict=True) if a is given]
        return sum(cond(a, b) for a, b in pool) / len(pool) if pool else 0.0

    said = sum(b is Level.HIGH for b in levels)
    hit = sum(a is Level.HIGH and b is Level.HIGH for a, b in zip(labels, levels, strict=True))
    return {
        "recall": share(lambda _a, b: b is Level.HIGH, Level.HIGH),
        "precision": hit / said if said else 0.0,
        "high_none": share(lambda _a, b: b is Level.NONE, Level.HIGH),
        "ord_high": share(lambda _a, b: b is Level.HIGH, Level.NONE),
        "ord_raised": share(lambda _a, b: b is not Level.NONE, Level.NONE),
        "conc_high": share(lambda _a, b: b is Level.HIGH, Level.CONCERN),
    }


def row(name: str, m: dict[str, float], n: str = "") -> str:
    """Return one Markdown table row."""
    return (
        f"| {name} | {n} | {m['recall']:.3f} | {m['precision']:.3f} | {m['high_none']:.3f} "
        f"| {m['ord_high']:.3f} | {m['ord_raised']:.3f} | {m['conc_high']:.3f} |"
    )


HEADER = (
    "| screener / split | messages (high / concern / ordinary) | recall high | precision high "
    "| high→none | ordinary→high | ordinary→concern+ | concern→high |\n"
    "|---|---|---|---|---|---|---|---|"
)


def false_alarm_threshold(p: np.ndarray[Any, Any], y: np.ndarray[Any, Any], rate: float) -> float:
    """Return the P(high) threshold that raises at most `rate` of the ordinary messages."""
    ordinary = np.sort(p[y == 0, 2])[::-1]
    return float(ordinary[int(rate * len(ordinary))]) + 1e-6


def threshold_for_recall(p_high: np.ndarray[Any, Any], is_high: np.ndarray[Any, Any]) -> float:
    """Return the highest P(high) threshold whose recall over `is_high` is >= RECALL_GOAL."""
    scores = np.sort(p_high[is_high])[::-1]
    need = int(np.ceil(RECALL_GOAL * len(scores)))
    return float(scores[need - 1])


class Rules:
    """What the rules say of a message: level, whether an idiom excused, whether negated."""

    def __init__(self, screener: Screener) -> None:
        self.screener = screener

    def __call__(self, text: str) -> tuple[Level, bool, bool, bool]:
        ruled, excused = self.screener._rules(text)
        negated = any(reason.endswith(f":{NEGATED}") for reason in ruled.reasons)
        return ruled.level, excused, negated, _by_rule(ruled)


def combine(
    variant: str,
    rules: tuple[Level, bool, bool, bool],
    sim: Level,
    clf: Level,
    p_high: float = 0.0,
    t_solo: float = 1.0,
) -> Level:
    """Return the level of one way of combining the rules (or rules+similarity) and the classifier.

    - max_sim: max(rules+similarity, classifier), no veto.
    - max_rules: max(rules, classifier), no veto (the classifier replaces similarity).
    - veto_concern: max(rules, classifier); an idiom or a negation the rules found vetoes the
      classifier's `concern` only, its `high` stands.
    - cap: max(rules, classifier); an idiom or a negation caps the classifier at `concern`.
    - cap_sim: as cap, over rules+similarity.
    - shipped: what yorisoi.safety.screen does: as cap_sim; similarity's `high` without a rule
      stands only if the classifier says `high` too; the classifier's `high` without a rule or
      similarity behind it is capped at `concern` unless P(high) >= t_solo.
    """
    level, excused, negated, ruled = rules
    base = sim if variant.endswith("_sim") else level
    explained = excused or negated
    if variant in ("veto_concern",) and explained and clf is Level.CONCERN:
        clf = Level.NONE
    if variant.startswith("cap") and explained and clf is Level.HIGH:
        clf = Level.CONCERN
    if variant == "shipped":
        base = sim
        if clf is Level.HIGH and explained:
            clf = Level.CONCERN
        by_meaning = sim is Level.HIGH and not ruled
        if by_meaning and clf is not Level.HIGH:
            base = Level.CONCERN
        if clf is Level.HIGH and not by_meaning and not ruled and p_high < t_solo:
            clf = Level.CONCERN
    return max(base, clf, key=lambda lv: RANK[lv])


VARIANTS = ("max_sim", "max_rules", "veto_concern", "cap", "cap_sim", "shipped")
SOLO = (0.8, 0.85, 0.9, 0.95, 0.97, 0.99, 1.01)


def main(argv: list[str] | None = None) -> int:
    """Run the tune cross-validation, or with --final the one held-out scoring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--final", action="store_true", help="score the held-out splits once")
    parser.add_argument("--penalty", type=float, default=None)
    parser.add_argument("--examples", action="store_true", help="train with lexicon examples")
    parser.add_argument("--t-high", type=float, default=None)
    parser.add_argument("--t-concern", type=float, default=None)
    parser.add_argument("--t-solo", type=float, default=1.01)
    parser.add_argument(
        "--quick", action="store_true", help="stage 1 with one setting (1e-4, examples) and 2 shuffles"
    )
    args = parser.parse_args(argv)

    items: list[Labelled] = read_messages()
    lexicon = load_lexicon()
    embed = load_model()

    def vectors(texts: list[str]) -> np.ndarray[Any, Any]:
        return features(embed([prefold(t) for t in texts]), texts)

    # "tune" below is every split already used for tuning (USED); SEALED is never read here
    # except in --final, in aggregate.
    tune = [i for i in items if i.split in USED]
    x = vectors([i.text for i in tune])
    y = np.array([RANK[i.label] for i in tune])
    ex_texts = [e.text for e in lexicon.risk_examples] + list(lexicon.safe_examples)
    ex_y = np.array([2] * len(lexicon.risk_examples) + [0] * len(lexicon.safe_examples))
    extra = (vectors(ex_texts), ex_y)
    labels = [i.label for i in tune]
    is_high = y == 2

    rules_screener = Screener(lexicon, similarity=False)
    full_screener = Screener(lexicon, classifier=False)  # rules + similarity, never the shipped weights
    rules = Rules(rules_screener)

    if not args.final:
        print(
            f"stage 1: tune only, {FOLDS}-fold stratified CV x {REPEATS} shuffles; tune: "
            f"{len(tune)} ({int(is_high.sum())} high / {int((y == 1).sum())} concern / "
            f"{int((y == 0).sum())} ordinary)"
        )
        tune_rules = [rules(i.text) for i in tune]
        tune_sim = [full_screener.screen(i.text).level for i in tune]
        print("current screener on tune (in-sample: the rules were written on tune):")
        print(HEADER)
        print(row("rules", metrics(labels, [r[0] for r in tune_rules])))
        print(row("rules+similarity", metrics(labels, tune_sim)))
        print(
            f"\nclassifier alone, out-of-fold: recall(high) at ordinary→high "
            f"{FALSE_ALARM:.1%} and 5%, and the ordinary→high at recall {RECALL_GOAL}"
        )
        best = None
        repeats = 2 if args.quick else REPEATS
        for with_examples in (True,) if args.quick else (False, True):
            for penalty in (1e-4,) if args.quick else PENALTIES:
                found = []
                for seed in range(repeats):
                    p = out_of_fold(x, y, extra if with_examples else None, penalty, seed)
                    at_goal = threshold_for_recall(p[:, 2], is_high)
                    found.append(
                        (
                            float(
                                (p[is_high, 2] >= false_alarm_threshold(p, y, FALSE_ALARM)).mean()
                            ),
                            float((p[is_high, 2] >= false_alarm_threshold(p, y, 0.05)).mean()),
                            float((p[y == 0, 2] >= at_goal).mean()),
                        )
                    )
                mean = [statistics.mean(f[k] for f in found) for k in range(3)]
                print(
                    f"penalty {penalty:g}, lexicon examples {with_examples!s:5}: recall "
                    f"{mean[0]:.3f} / {mean[1]:.3f}; ordinary→high at recall "
                    f"{RECALL_GOAL}: {mean[2]:.3f}"
                )
                if best is None or mean[0] > best[0]:
                    best = (mean[0], penalty, with_examples)
        assert best is not None
        _, penalty, with_examples = best
        print(
            f"\nbest: penalty {penalty:g}, lexicon examples {with_examples}; thresholds and "
            f"combinations out-of-fold over {repeats + 2} shuffles:"
        )
        runs = [
            out_of_fold(x, y, extra if with_examples else None, penalty, seed)
            for seed in range(repeats + 2)
        ]
        t_high = statistics.mean(false_alarm_threshold(p, y, FALSE_ALARM) for p in runs)
        t_concern = statistics.mean(
            float(np.sort(1 - p[y == 0, 0])[::-1][int(0.10 * int((y == 0).sum()))]) + 1e-6
            for p in runs
        )
        print(
            f"t_high {t_high:.4f} (ordinary→high {FALSE_ALARM:.1%} out-of-fold), t_concern "
            f"{t_concern:.4f} (ordinary→concern+ 10% out-of-fold)"
        )
        print(HEADER)
        named = [(variant, 1.0) for variant in ("classifier", *VARIANTS[:-1])]
        named += [("shipped", t_solo) for t_solo in SOLO]
        for variant, t_solo in named:
            ms = []
            for p in runs:
                clf = classify(p, t_high, t_concern)
                levels = (
                    clf
                    if variant == "classifier"
                    else [
                        combine(variant, a, b, c, float(ph), t_solo)
                        for a, b, c, ph in zip(tune_rules, tune_sim, clf, p[:, 2], strict=True)
                    ]
                )
                ms.append(metrics(labels, levels))
            name = f"{variant} t_solo {t_solo}" if variant == "shipped" else variant
            print(
                row(
                    f"{name} (tune, out-of-fold)",
                    {k: statistics.mean(m[k] for m in ms) for k in ms[0]},
                )
            )
        return 0

    # ---- stage 2: frozen setting, held-out scored once ----
    assert args.penalty is not None and args.t_high is not None and args.t_concern is not None
    tx, ty = (np.vstack([x, extra[0]]), np.concatenate([y, ex_y])) if args.examples else (x, y)
    fitted = fit(tx, ty, penalty=args.penalty)
    print(
        f"stage 2: fitted on {'+'.join(USED)}{' + lexicon examples' if args.examples else ''}, "
        f"penalty {args.penalty:g}, t_high {args.t_high}, t_concern {args.t_concern}"
    )
    print(HEADER)
    # In-sample splits first (they flatter), then the sealed ones, in aggregate only.
    for split in (*USED, *SEALED):
        part = [i for i in items if i.split == split]
        lab = [i.label for i in part]
        n = (
            f"{len(part)} ({sum(a is Level.HIGH for a in lab)} / "
            f"{sum(a is Level.CONCERN for a in lab)} / {sum(a is Level.NONE for a in lab)})"
        )
        p = probabilities(fitted, vectors([i.text for i in part]))
        clf = classify(p, args.t_high, args.t_concern)
        r = [rules(i.text) for i in part]
        sim = [full_screener.screen(i.text).level for i in part]
        print(row(f"rules / {split}", metrics(lab, [v[0] for v in r]), n))
        print(row(f"rules+similarity (current) / {split}", metrics(lab, sim), n))
        print(row(f"classifier / {split}", metrics(lab, clf), n))
        for variant in VARIANTS:
            levels = [
                combine(variant, a, b, c, float(ph), args.t_solo)
                for a, b, c, ph in zip(r, sim, clf, p[:, 2], strict=True)
            ]
            print(row(f"{variant} / {split}", metrics(lab, levels), n))
    # latency of one message: embedding + classifier + rules (+ similarity for *_sim)
    texts = [i.text for i in items]
    for t in texts:
        probabilities(fitted, vectors([t]))
    seconds = []
    for t in texts:
        started = time.perf_counter()
        rules(t)
        probabilities(fitted, vectors([t]))
        seconds.append((time.perf_counter() - started) * 1000)
    seconds.sort()
    print(
        f"latency rules + embedding + classifier per message: p50 {statistics.median(seconds):.2f}"
        f" ms, p95 {seconds[round(0.95 * (len(seconds) - 1))]:.2f} ms"
    )
    started = time.perf_counter()
    fit(tx, ty, penalty=args.penalty)
    print(f"fit time {(time.perf_counter() - started) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
