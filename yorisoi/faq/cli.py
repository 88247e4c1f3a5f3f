"""`yorisoi faq match` and `yorisoi faq explain`: the matcher from a shell, for tuning.

`faq_match_main` reads one message per line and prints one JSON object per line (issue 3):

    {"text": ..., "faq_id": <id or null>, "score": ..., "candidates": [{"faq_id": ..., "score": ...}, ...]}

`faq_id` is the entry the bot would answer with, null when it would not answer; `score` is the
best fused score; `candidates` are the closest entries, best first, whether answered or not.
Every input line gets an output line, an empty one too, so outputs line up with inputs.

`faq_explain_main` prints, for one text, the tokens and normalised forms, the text given to
the embedding model, each close entry's lexical, semantic and fused scores, and the decision.

Both return a process exit status: 0, or 1 when the FAQ content has problems (listed on
stderr as `file:line: message`, like `yorisoi check`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import numpy as np

from yorisoi.faq import match as match_module
from yorisoi.faq.library import FaqLibrary

__all__ = ["faq_explain_main", "faq_match_main"]

EXPLAIN_CANDIDATES = 5


def _load(faq_dir: Path, stderr: TextIO) -> FaqLibrary | None:
    """Load the library, or print its problems and return None."""
    library, problems = FaqLibrary.load(faq_dir)
    for problem in problems:
        print(problem, file=stderr)
    return library


def faq_match_main(
    stdin: TextIO, stdout: TextIO, *, faq_dir: Path, stderr: TextIO | None = None
) -> int:
    """Print one JSON object per input line: the answer the bot would give, and candidates."""
    library = _load(faq_dir, stderr or sys.stderr)
    if library is None:
        return 1
    for line in stdin:
        text = line.rstrip("\r\n")
        found = library.match(text)
        record = {
            "text": text,
            "faq_id": found.hit.id if found.hit is not None else None,
            "score": round(found.score, 4),
            "candidates": [
                {"faq_id": entry.id, "score": score} for entry, score in found.candidates
            ],
        }
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


def faq_explain_main(
    text: str, stdout: TextIO, *, faq_dir: Path, stderr: TextIO | None = None
) -> int:
    """Print how `text` is normalised and scored, and what the bot would do with it."""
    library = _load(faq_dir, stderr or sys.stderr)
    if library is None:
        return 1
    matcher = library.matcher
    out = stdout.write
    out(f"text: {text}\n")
    tokens = matcher.normalizer.tokens(text)
    out("tokens (typed → index term):\n")
    for token in tokens:
        kind = " [synonym]" if token.synonym else " [short unit]" if token.short_unit else ""
        out(f"  {token.surface} → {token.term}{kind}\n")
    if not tokens:
        out("  (none: only particles, symbols or emoji)\n")
    terms = [token.term for token in tokens]
    lexical = matcher.index.lexical(terms)
    cosines = matcher.semantic_scores(text)
    if cosines is not None:
        out(f"text for the embedding model: {matcher.normalizer.canonical_text(text)}\n")
    else:
        out("embedding model: unavailable (lexical only)\n")
    fused, _ = matcher.scores(text, terms)
    order = np.argsort(-fused, kind="stable")[:EXPLAIN_CANDIDATES]
    out(
        "closest entries (fused = "
        f"{match_module.LEXICAL_WEIGHT} × lexical + {match_module.SEMANTIC_WEIGHT} × semantic):\n"
    )
    for index in order:
        entry = matcher.entries[index]
        semantic = "-" if cosines is None else f"{cosines[index]:.3f}"
        out(
            f"  {entry.id:<28} fused {fused[index]:.3f}  lexical {lexical[index]:.3f}  "
            f"cosine {semantic}\n"
        )
    found = library.match(text)
    if matcher.semantic:
        threshold, margin = match_module.THRESHOLD, match_module.MARGIN
    else:
        threshold, margin = match_module.LEXICAL_THRESHOLD, match_module.LEXICAL_MARGIN
    out(f"thresholds: answer at {threshold} or more, leading the runner-up by {margin} or more\n")
    decision = found.hit.id if found.hit is not None else "no answer"
    out(f"decision: {decision} ({', '.join(found.reasons)})\n")
    stdout.flush()
    return 0
