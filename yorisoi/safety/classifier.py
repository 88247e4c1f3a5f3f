"""A learned risk classifier over sentence embeddings: multinomial logistic regression.

The rules and the nearest-example similarity fit the sentences they were written for (tune
recall 0.99) and miss fresh phrasings (held-out recall 0.4-0.8). This module learns the three
levels (`none`, `concern`, `high`) from labelled messages instead: each message is embedded
by the model the screener already ships (`yorisoi.safety.similar.load_model`, USE multilingual
v3), and a softmax regression with an L2 penalty and balanced class weights is fitted on the
vectors, with numpy only (accelerated gradient descent; a few hundred messages train in tens
of seconds; the fitted weights ship with the package as `classifier.npz`, refitted by
bench/risk_classifier_fit.py, never downloaded). tests/safety/test_classifier.py checks that
the shipped weights were fitted on the current training data (the used splits of
bench/risk_messages.tsv, never the sealed one, and the lexicon's examples) by its digest.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yorisoi.safety.fold import fold
from yorisoi.safety.lexicon import Lexicon

__all__ = [
    "CLASSES",
    "GRAM_DIMENSIONS",
    "GRAM_WEIGHT",
    "WEIGHTS",
    "Fitted",
    "RiskClassifier",
    "examples_digest",
    "features",
    "fit",
    "load_classifier",
    "probabilities",
    "save_classifier",
    "training_digest",
    "weights_note",
]

CLASSES = ("none", "concern", "high")
"""The classes in the order of the probability columns."""

Array = np.ndarray[Any, np.dtype[np.float64]]

# Character 1-3-grams of the folded text, hashed (crc32) into this many counts, L2-normalised
# and weighted against the embedding; chosen by 5-fold cross-validation on the tune split
# (bench/risk_classifier.py): the grams add the spelling the embedding blurs (タヒ, 4ね).
GRAM_DIMENSIONS = 2048
GRAM_WEIGHT = 0.7


def grams(texts: Sequence[str]) -> Array:
    """Return the hashed, L2-normalised character 1-3-gram counts of the folded `texts`."""
    out = np.zeros((len(texts), GRAM_DIMENSIONS))
    for row, text in enumerate(texts):
        folded = fold(text)
        for n in (1, 2, 3):
            for at in range(len(folded) - n + 1):
                out[row, zlib.crc32(folded[at : at + n].encode()) % GRAM_DIMENSIONS] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)  # type: ignore[no-any-return]


def features(embeddings: Any, texts: Sequence[str]) -> Array:
    """Return the classifier's features: the embedding and the weighted grams, unit length."""
    vectors = np.asarray(embeddings, dtype=np.float64)
    joined = np.hstack([vectors, GRAM_WEIGHT * grams(texts)])
    return joined / np.sqrt(1.0 + GRAM_WEIGHT**2)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Fitted:
    """The weights of a fitted classifier: (d, 3) and a (3,) bias."""

    weights: Array
    bias: Array


def _softmax(scores: Array) -> Array:
    """Return the row-wise softmax of `scores`."""
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def fit(
    vectors: Any,
    labels: Sequence[int],
    *,
    penalty: float = 1e-3,
    iterations: int = 1000,
) -> Fitted:
    """Fit the softmax regression on `vectors` (n, d) with `labels` (indices into CLASSES).

    Each class weighs as much as the others in the loss (balanced weights), so the 60
    `concern` messages count as much as the 250 `high` ones. The loss is the weighted mean
    cross-entropy plus `penalty` / 2 times the squared weights (not the bias); it is strongly
    convex, and Nesterov's accelerated gradient with step 1/L (rows of unit length, L <= 1 +
    penalty) reaches its minimum in a few hundred steps.
    """
    x = np.asarray(vectors, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    n, d = x.shape
    k = len(CLASSES)
    if n == 0 or y.shape != (n,):
        raise ValueError("no labelled vectors to fit")
    counts = np.bincount(y, minlength=k).astype(np.float64)
    present = counts > 0
    class_weight = np.where(present, 1.0 / np.maximum(counts, 1.0), 0.0) / present.sum()
    sample = class_weight[y]  # sums to 1
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    # The bias is a feature of constant value 1, so a row's squared length is at most 2.
    scale = float(np.max(np.sum(x * x, axis=1))) + 1.0
    step = 1.0 / (0.5 * scale + penalty)
    weights = np.zeros((d, k))
    bias = np.zeros(k)
    previous_w, previous_b = weights, bias
    t = 0
    for _ in range(iterations):
        t += 1
        momentum = (t - 1) / (t + 2)
        look_w = weights + momentum * (weights - previous_w)
        look_b = bias + momentum * (bias - previous_b)
        error = (_softmax(x @ look_w + look_b) - onehot) * sample[:, None]
        grad_w = x.T @ error + penalty * look_w
        grad_b = error.sum(axis=0)
        previous_w, previous_b = weights, bias
        weights = look_w - step * grad_w
        bias = look_b - step * grad_b
        # Adaptive restart (O'Donoghue and Candes): when momentum points uphill, drop it.
        if np.sum(grad_w * (weights - previous_w)) + np.sum(grad_b * (bias - previous_b)) > 0:
            t = 0
    return Fitted(weights, bias)


def probabilities(fitted: Fitted, vectors: Any) -> Array:
    """Return the (n, 3) class probabilities of `vectors` (columns in CLASSES order)."""
    x = np.asarray(vectors, dtype=np.float64)
    return _softmax(x @ fitted.weights + fitted.bias)


WEIGHTS = Path(__file__).with_name("classifier.npz")
"""The shipped fit: refit with bench/risk_classifier_fit.py (never downloaded)."""


def training_digest(rows: Sequence[tuple[str, str]]) -> str:
    """Return the sha256 of the training rows (label, text), in order."""
    digest = hashlib.sha256()
    for label, text in rows:
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()


def examples_digest(lexicon: Lexicon) -> str:
    """Return the digest of the lexicon's examples as training rows (risk `high`, safe `none`).

    Stored beside the weights so that `yorisoi check` can say when an admin's edit of the
    examples has left the shipped weights fitted on other examples (they still work; a refit
    would learn the new ones).
    """
    rows = [("high", example.text) for example in lexicon.risk_examples]
    rows += [("none", text) for text in lexicon.safe_examples]
    return training_digest(rows)


@dataclass(frozen=True, slots=True)
class RiskClassifier:
    """The shipped classifier and its thresholds on P(high) and P(concern or high).

    The thresholds were chosen by 5-fold cross-validation on the splits used for tuning
    (bench/risk_classifier.py; bench/RESULTS.md): `high` at the point where 2.5 % of ordinary
    messages are raised out-of-fold, `concern` where 10 % are. `solo` is the P(high) at which
    the screener lets the classifier say `high` with no lexicon rule behind it (above 1: never).
    """

    fitted: Fitted
    high: float
    concern: float
    digest: str
    solo: float = 2.0
    examples: str = ""
    """The `examples_digest` of the lexicon it was fitted with ("" in older weights)."""

    def level(self, embedding: Any, message: str) -> str:
        """Return `none`, `concern` or `high` for one embedded message."""
        return self.judge(embedding, message)[0]

    def judge(self, embedding: Any, message: str) -> tuple[str, bool]:
        """Return the level of one embedded message and whether P(high) reaches `solo`."""
        p = probabilities(self.fitted, features(np.asarray(embedding)[None, :], [message]))[0]
        if p[2] >= self.high:
            return "high", bool(p[2] >= self.solo)
        if 1.0 - p[0] >= self.concern:
            return "concern", False
        return "none", False


def save_classifier(
    path: Path,
    fitted: Fitted,
    *,
    high: float,
    concern: float,
    digest: str,
    solo: float = 2.0,
    examples: str = "",
) -> None:
    """Write a fitted classifier, its thresholds and its training digests to `path`."""
    np.savez(
        path,
        weights=fitted.weights.astype(np.float32),
        bias=fitted.bias.astype(np.float32),
        thresholds=np.array([high, concern, solo]),
        gram_dimensions=np.array(GRAM_DIMENSIONS),
        gram_weight=np.array(GRAM_WEIGHT),
        digest=np.array(digest),
        examples_digest=np.array(examples),
    )


def load_classifier(path: Path = WEIGHTS) -> RiskClassifier:
    """Read the classifier at `path`; raise ValueError if it does not fit this code."""
    with np.load(path, allow_pickle=False) as data:
        if int(data["gram_dimensions"]) != GRAM_DIMENSIONS or float(data["gram_weight"]) != (
            GRAM_WEIGHT
        ):
            raise ValueError(f"{path}: fitted with other features; refit it")
        weights = data["weights"].astype(np.float64)
        bias = data["bias"].astype(np.float64)
        high, concern, *more = (float(v) for v in data["thresholds"])
        solo = more[0] if more else 2.0
        digest = str(data["digest"])
        examples = str(data["examples_digest"]) if "examples_digest" in data.files else ""
    if weights.ndim != 2 or weights.shape[1] != len(CLASSES) or bias.shape != (len(CLASSES),):
        raise ValueError(f"{path}: weights of shape {weights.shape}, bias {bias.shape}")
    return RiskClassifier(Fitted(weights, bias), high, concern, digest, solo, examples)


def weights_note(lexicon: Lexicon, path: Path = WEIGHTS) -> str | None:
    """Say why the classifier at `path` does not fit `lexicon`, or None when it does.

    Not a content problem: the screener runs either way (stale weights still judge messages;
    unreadable ones leave the rules and similarity). It tells the admin a refit is due.
    """
    try:
        shipped = load_classifier(path)
    except (OSError, ValueError, KeyError) as exc:
        return f"{path}: risk classifier unreadable ({exc}); messages are screened without it"
    if shipped.examples and shipped.examples != examples_digest(lexicon):
        return (
            f"{path}: fitted on other examples than those in {lexicon.file}; it still screens, "
            "refit it to learn the new ones: python bench/risk_classifier_fit.py"
        )
    return None
