"""Refit the shipped risk classifier (yorisoi/safety/classifier.npz) on the tune split.

Training data: the `tune` split of bench/risk_messages.tsv (never a held-out split) and the
lexicon's examples (risk examples as `high`, safe examples as `none`), in that order; see
`training_rows`. Setting and thresholds were chosen by cross-validation on tune with
bench/risk_classifier.py (penalty 1e-4, lexicon examples in, `high` at P(high) >= 0.8673,
`concern` at P(not none) >= 0.7795). Refit after changing the tune split or the lexicon's
examples: tests/safety/test_classifier.py fails until the digest matches again.

Usage: /work/venv/bin/python bench/risk_classifier_fit.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from risk_quality import read_messages

from yorisoi.safety.classifier import (
    CLASSES,
    WEIGHTS,
    features,
    fit,
    save_classifier,
    training_digest,
)
from yorisoi.safety.fold import prefold
from yorisoi.safety.lexicon import DEFAULT_LEXICON, Lexicon, load_lexicon
from yorisoi.safety.similar import load_model

PENALTY = 1e-4
HIGH = 0.8673
CONCERN = 0.7795


def training_rows(lexicon: Lexicon | None = None) -> list[tuple[str, str]]:
    """Return the training rows (label, text): tune messages, then the lexicon's examples."""
    lexicon = lexicon or load_lexicon(DEFAULT_LEXICON)
    rows = [(item.label.value, item.text) for item in read_messages() if item.split == "tune"]
    rows += [("high", example.text) for example in lexicon.risk_examples]
    rows += [("none", text) for text in lexicon.safe_examples]
    return rows


def main() -> int:
    """Fit on the training rows and write the weights with their digest."""
    rows = training_rows()
    embed = load_model()
    texts = [text for _, text in rows]
    x = features(embed([prefold(text) for text in texts]), texts)
    y = np.array([CLASSES.index(label) for label, _ in rows])
    started = time.perf_counter()
    fitted = fit(x, y, penalty=PENALTY)
    seconds = time.perf_counter() - started
    save_classifier(WEIGHTS, fitted, high=HIGH, concern=CONCERN, digest=training_digest(rows))
    print(f"fitted {len(rows)} rows in {seconds:.1f} s; wrote {WEIGHTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
