"""Refit the shipped risk classifier (yorisoi/safety/classifier.npz) on the used splits.

Training data: the splits of bench/risk_messages.tsv already used for tuning (USED in
bench/risk_quality.py; never the sealed one) and the lexicon's examples (risk examples as
`high`, safe examples as `none`), in that order; see `training_rows`.

Two heads (yorisoi/safety/classifier.py):
- `high`: scikit-learn's SVC, RBF kernel, `high` against the rest, balanced class weights.
  Its support vectors are stored as their embeddings and texts; the numpy decision function
  the server runs is checked here against scikit-learn's on every training row.
  It is trained on the messages and on hiragana variants of every third one (`variants`).
- `concern`: the numpy softmax regression, penalty 1e-4.

Setting and thresholds come from bench/risk_classifier.py (round 7): C and gamma from
leave-one-writer-out, `high` at the decision that raises 2.5 % of ordinary messages and
`concern` at the P(concern or high) that raises 10 %, both out-of-fold on the used splits.
SOLO equals HIGH: the kernel head may say `high` with no rule behind it. Trained on every other
writer's set and scored on the one left out, with the rules, that took recall(high) from
0.79 to 0.96-0.98 at 1-2 % ordinary→high (bench/RESULTS.md); the linear head it replaced had
to stay behind a rule because alone it called short everyday lines `high`.
Refit after changing the used splits or the lexicon's examples: tests/safety/test_classifier.py
fails until the digest matches again.

Usage: /work/venv/bin/python bench/risk_classifier_fit.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import jaconv
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from risk_quality import USED, read_messages

from yorisoi.safety.classifier import (
    CLASSES,
    WEIGHTS,
    Support,
    examples_digest,
    features,
    fit,
    load_classifier,
    save_classifier,
    training_digest,
)
from yorisoi.safety.lexicon import DEFAULT_LEXICON, Lexicon, load_lexicon
from yorisoi.text.embed import Embed, load_model
from yorisoi.text.fold import prefold, tokenizer

PENALTY = 1e-4
C = 3.0
GAMMA = "scale"
HIGH = 0.1684
CONCERN = 0.5875
SOLO = HIGH
VARIANT_EVERY = 3


def training_rows(lexicon: Lexicon | None = None) -> list[tuple[str, str]]:
    """Return the training rows (label, text): used messages, then the lexicon's examples."""
    lexicon = lexicon or load_lexicon(DEFAULT_LEXICON)
    rows = [(item.label.value, item.text) for item in read_messages() if item.split in USED]
    rows += [("high", example.text) for example in lexicon.risk_examples]
    rows += [("none", text) for text in lexicon.safe_examples]
    return rows


def kana_variant(text: str, *, spaced: bool) -> str:
    """Return `text` with every word that has a kanji written in hiragana (its reading).

    Children and people on a phone often write in hiragana, with spaces between words
    (じぶんが いやに なる). The embedding places those far from the kanji spelling the
    training messages use: before round 7 shipped, 45 % of ordinary messages rewritten that
    way crossed the kernel head's `high` threshold. Training on such variants teaches the head
    that the script is not the risk.
    """
    words = []
    for morpheme in tokenizer().tokenize(text):
        surface = morpheme.surface()
        reading = morpheme.reading_form()
        if reading and any("\u4e00" <= char <= "\u9fff" for char in surface):
            surface = jaconv.kata2hira(reading)
        words.append(surface)
    return (" " if spaced else "").join(words)


def variants(texts: list[str], labels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Return a hiragana variant of every VARIANT_EVERY-th text (spaced every other time)."""
    picked = range(0, len(texts), VARIANT_EVERY)
    out = [kana_variant(texts[i], spaced=n % 2 == 1) for n, i in enumerate(picked)]
    return out, np.asarray(labels)[list(picked)]


def fit_support(
    embed: Embed, embeddings: np.ndarray, texts: list[str], is_high: np.ndarray, *, c: float = C
) -> tuple[Support, object]:
    """Fit the kernel head (high against the rest) on the texts and their hiragana variants.

    Returns it as stored, and the SVC (fitted on the same rows, the variants after the texts).
    """
    from sklearn.svm import SVC  # a bench and test dependency, not the server's

    extra_texts, extra_high = variants(texts, is_high)
    extra = np.asarray(embed([prefold(t) for t in extra_texts])) if extra_texts else None
    all_embeddings = np.vstack([embeddings, extra]) if extra is not None else embeddings
    all_texts = texts + extra_texts
    all_high = np.concatenate([is_high, extra_high])
    model = SVC(C=c, kernel="rbf", gamma=GAMMA, class_weight="balanced")
    model.fit(features(all_embeddings, all_texts), all_high.astype(int))
    index = model.support_
    support = Support(
        np.asarray(all_embeddings)[index],
        tuple(all_texts[i] for i in index),
        model.dual_coef_[0].copy(),
        float(model.intercept_[0]),
        float(model._gamma),
    )
    return support, model


def main() -> int:
    """Fit both heads on the training rows and write them with their digest."""
    rows = training_rows()
    embed = load_model()
    texts = [text for _, text in rows]
    embeddings = np.asarray(embed([prefold(text) for text in texts]))
    y = np.array([CLASSES.index(label) for label, _ in rows])
    x = features(embeddings, texts)
    started = time.perf_counter()
    fitted = fit(x, y, penalty=PENALTY)
    support, model = fit_support(embed, embeddings, texts, y == 2)
    seconds = time.perf_counter() - started
    save_classifier(
        WEIGHTS,
        fitted,
        support,
        high=HIGH,
        concern=CONCERN,
        solo=SOLO,
        digest=training_digest(rows),
        examples=examples_digest(load_lexicon(DEFAULT_LEXICON)),
    )
    shipped = load_classifier(WEIGHTS)
    ours = shipped.kernel.decision(x)
    theirs = model.decision_function(x)  # type: ignore[attr-defined]
    gap = float(np.max(np.abs(ours - theirs)))
    flips = int(np.sum((ours >= HIGH) != (theirs >= HIGH)))
    print(
        f"fitted {len(rows)} rows in {seconds:.1f} s: {len(support.texts)} support vectors, "
        f"gamma {support.gamma:.4f}; stored decision vs scikit-learn: max gap {gap:.2e}, "
        f"{flips} rows on the other side of the threshold; wrote {WEIGHTS} "
        f"({WEIGHTS.stat().st_size / 1e6:.1f} MB)"
    )
    return 0 if flips == 0 and gap < 1e-2 else 1


if __name__ == "__main__":
    sys.exit(main())
