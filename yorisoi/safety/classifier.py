"""The learned risk classifier over sentence embeddings and character grams.

The rules and the nearest-example similarity fit the sentences they were written for and miss
fresh phrasings. This module learns from labelled messages instead. Each message is embedded by
the model the screener already ships (`yorisoi.safety.similar.load_model`, USE multilingual v3)
and its folded text is cut into hashed character grams (`features`). Two heads read them:

- `high`: a support-vector machine with an RBF kernel, high against the rest (`Kernel`). It
  replaced a linear head in round 7: trained on every other writer's messages and scored on the
  one left out, it found 0.87-0.95 of the `high` messages at <= 2 % ordinary→high where the
  linear head found 0.65-0.76 (bench/risk_classifier.py; bench/RESULTS.md). It is fitted with
  scikit-learn (bench/risk_classifier_fit.py); here its decision function is a few lines of
  numpy over the support vectors, so the server needs no scikit-learn and no pickle.
- `concern`: a softmax regression (`fit`, numpy only, L2 penalty, balanced classes) whose
  P(concern or high) gives the gentle check-in.

The fitted heads ship with the package as `classifier.npz` (never downloaded).
tests/safety/test_classifier.py checks that they were fitted on the current training data (the
used splits of bench/risk_messages.tsv, never the sealed one, and the lexicon's examples) by its
digest.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yorisoi.safety.lexicon import Lexicon
from yorisoi.text.fold import fold

__all__ = [
    "CLASSES",
    "GRAM_DIMENSIONS",
    "GRAM_WEIGHT",
    "WEIGHTS",
    "Fitted",
    "Kernel",
    "RiskClassifier",
    "Support",
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


@dataclass(frozen=True, slots=True)
class Kernel:
    """A fitted RBF support-vector machine: its decision is sum_i coef_i k(s_i, x) + intercept.

    k(s, x) = exp(-gamma |s - x|^2) over the support vectors s_i (features as `features`
    makes them). Positive means `high`; the shipped threshold is chosen by cross-validation,
    not at 0. The support vectors are kept in two blocks: the embedding columns, one row per
    support vector, and the gram columns, one row per gram, so that one message, which has a
    hundred grams or so of the 2,048, reads only those rows (the whole matrix does not stay in
    the cache between messages).
    """

    embedded: Array
    by_gram: Array
    coef: Array
    intercept: float
    gamma: float
    norms: Array

    @classmethod
    def from_support(cls, support: Array, coef: Array, intercept: float, gamma: float) -> Kernel:
        """Return the kernel over the support vectors `support` (m, d), as `features` makes them."""
        support = np.asarray(support, dtype=np.float32)
        cut = support.shape[1] - GRAM_DIMENSIONS
        return cls(
            np.ascontiguousarray(support[:, :cut]),
            np.ascontiguousarray(support[:, cut:].T),
            np.asarray(coef, dtype=np.float32),
            intercept,
            gamma,
            np.sum(support * support, axis=1),
        )

    def decision(self, vectors: Any) -> Array:
        """Return the decision value of each row of `vectors` (n, d)."""
        x = np.asarray(vectors, dtype=np.float32)
        squared = np.sum(x * x, axis=1)[:, None] + self.norms[None, :] - 2.0 * self._dot(x)
        kernel = np.exp(-self.gamma * np.maximum(squared, 0.0))
        return (kernel @ self.coef + self.intercept).astype(np.float64)  # type: ignore[no-any-return]

    def _dot(self, x: np.ndarray[Any, np.dtype[np.float32]]) -> Array:
        """Return x @ support.T; for one message, reading only the rows of its grams."""
        cut = self.embedded.shape[1]
        dense = x[:, :cut] @ self.embedded.T
        if x.shape[0] != 1:
            return dense + x[:, cut:] @ self.by_gram
        grams = np.flatnonzero(x[0, cut:])
        return dense + (x[0, cut + grams] @ self.by_gram[grams])[None, :]  # type: ignore[no-any-return]


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
    """The shipped classifier: the kernel head for `high`, the softmax head for `concern`.

    The thresholds were chosen by 5-fold cross-validation on the splits used for tuning
    (bench/risk_classifier.py; bench/RESULTS.md): `high` at the kernel decision that raises
    2.5 % of ordinary messages out-of-fold, `concern` at the P(concern or high) that raises
    10 %. `solo` is the decision at which the screener lets the classifier say `high` with no
    lexicon rule or similarity behind it (infinite: never).
    """

    fitted: Fitted
    kernel: Kernel
    high: float
    concern: float
    digest: str
    solo: float = float("inf")
    examples: str = ""
    """The `examples_digest` of the lexicon it was fitted with."""

    def level(self, embedding: Any, message: str) -> str:
        """Return `none`, `concern` or `high` for one embedded message."""
        return self.judge(embedding, message)[0]

    def judge(self, embedding: Any, message: str) -> tuple[str, bool]:
        """Return the level of one embedded message and whether its decision reaches `solo`."""
        x = features(np.asarray(embedding)[None, :], [message])
        decision = float(self.kernel.decision(x)[0])
        if decision >= self.high:
            return "high", decision >= self.solo
        if 1.0 - probabilities(self.fitted, x)[0, 0] >= self.concern:
            return "concern", False
        return "none", False


@dataclass(frozen=True, slots=True)
class Support:
    """The kernel head as stored: its support messages (embedding and text) and weights.

    The grams are recomputed from the texts when loaded, so the file holds 512 numbers per
    support vector instead of 2,560.
    """

    embeddings: Array
    texts: tuple[str, ...]
    coef: Array
    intercept: float
    gamma: float

    def kernel(self) -> Kernel:
        """Return the kernel head with the support vectors' full features."""
        support = features(self.embeddings, self.texts)
        return Kernel.from_support(support, self.coef, self.intercept, self.gamma)


def save_classifier(
    path: Path,
    fitted: Fitted,
    support: Support,
    *,
    high: float,
    concern: float,
    digest: str,
    solo: float = float("inf"),
    examples: str = "",
) -> None:
    """Write a fitted classifier, its thresholds and its training digests to `path`."""
    np.savez_compressed(
        path,
        weights=fitted.weights.astype(np.float32),
        bias=fitted.bias.astype(np.float32),
        support_embeddings=np.asarray(support.embeddings, dtype=np.float16),
        support_texts=np.array(support.texts, dtype=np.str_),
        support_coef=np.asarray(support.coef, dtype=np.float32),
        kernel=np.array([support.intercept, support.gamma]),
        thresholds=np.array([high, concern, solo]),
        gram_dimensions=np.array(GRAM_DIMENSIONS),
        gram_weight=np.array(GRAM_WEIGHT),
        digest=np.array(digest),
        examples_digest=np.array(examples),
    )


def load_classifier(path: Path = WEIGHTS) -> RiskClassifier:
    """Read the classifier at `path`; raise ValueError if it does not fit this code."""
    with np.load(path, allow_pickle=False) as data:
        if "support_coef" not in data.files:
            raise ValueError(f"{path}: a classifier without its kernel head; refit it")
        if int(data["gram_dimensions"]) != GRAM_DIMENSIONS or float(data["gram_weight"]) != (
            GRAM_WEIGHT
        ):
            raise ValueError(f"{path}: fitted with other features; refit it")
        weights = data["weights"].astype(np.float64)
        bias = data["bias"].astype(np.float64)
        intercept, gamma = (float(v) for v in data["kernel"])
        support = Support(
            data["support_embeddings"].astype(np.float32),
            tuple(str(text) for text in data["support_texts"]),
            data["support_coef"].astype(np.float32),
            intercept,
            gamma,
        )
        high, concern, solo = (float(v) for v in data["thresholds"])
        digest = str(data["digest"])
        examples = str(data["examples_digest"])
    if weights.ndim != 2 or weights.shape[1] != len(CLASSES) or bias.shape != (len(CLASSES),):
        raise ValueError(f"{path}: weights of shape {weights.shape}, bias {bias.shape}")
    if support.embeddings.shape[0] != len(support.texts) or support.coef.shape != (
        len(support.texts),
    ):
        raise ValueError(f"{path}: {len(support.texts)} support texts, coef {support.coef.shape}")
    return RiskClassifier(
        Fitted(weights, bias), support.kernel(), high, concern, digest, solo, examples
    )


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
