"""`yorisoi risk`: screen one message per line from stdin and print one JSON object per line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from yorisoi.safety.lexicon import DEFAULT_LEXICON, LexiconInvalid
from yorisoi.safety.screen import load_screener

__all__ = ["risk_main"]


def risk_main(stdin: TextIO, stdout: TextIO, *, lexicon: Path = DEFAULT_LEXICON) -> int:
    """Print `{"text", "level", "reasons"}` for each line of `stdin`; return the exit status."""
    try:
        screener = load_screener(lexicon)
    except LexiconInvalid as exc:
        # An invalid lexicon is a content error the admin must fix, not a reason to screen
        # with fewer rules; say where, as `yorisoi check` would.
        for problem in exc.problems:
            print(f"yorisoi risk: {problem}", file=sys.stderr)
        return 2
    for line in stdin:
        text = line.rstrip("\r\n")
        result = screener.screen(text)
        record = {"text": text, "level": result.level.value, "reasons": list(result.reasons)}
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
