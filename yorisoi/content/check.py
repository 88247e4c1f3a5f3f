"""Checking a whole content folder without running it: what `yorisoi check` reports."""

from __future__ import annotations

from pathlib import Path

from yorisoi.faq.library import check_faq
from yorisoi.operators.catalog import load_catalog
from yorisoi.operators.hours_file import check_hours
from yorisoi.operators.shifts import check_shifts
from yorisoi.safety.classifier import weights_note
from yorisoi.safety.contacts import check_crisis
from yorisoi.safety.crisis import check_crisis_texts
from yorisoi.safety.lexicon import LexiconInvalid, check_lexicon, load_lexicon
from yorisoi.states.loader import load_flows, missing_texts
from yorisoi.yamlcheck import ContentProblem

__all__ = ["DEFAULT_FLOW", "check_content", "content_notes"]

DEFAULT_FLOW = "default"
"""The flow new conversations start in; it words every text the bot sends outside states."""


def check_content(content_dir: Path) -> list[ContentProblem]:
    """Validate every content file; return the problems (empty when all is well)."""
    flows, problems = load_flows(content_dir / "states")
    if DEFAULT_FLOW in flows:
        problems += missing_texts(flows[DEFAULT_FLOW])
    hours = content_dir / "operators" / "hours.yaml"
    problems += check_hours(hours) if hours.exists() else [ContentProblem(str(hours), 0, "missing")]
    problems += load_catalog(content_dir / "operators")[1]
    problems += check_shifts(content_dir / "operators" / "shifts.yaml")
    crisis = content_dir / "faq" / "crisis.yaml"
    if crisis.exists():
        problems += check_crisis(crisis)
    crisis_texts = content_dir / "states" / "safety" / "crisis.yaml"
    if crisis_texts.exists():
        problems += check_crisis_texts(crisis_texts)
    lexicon = content_dir / "states" / "safety" / "lexicon.yaml"
    if lexicon.exists():
        problems += check_lexicon(lexicon)
    faq = content_dir / "faq"
    if faq.is_dir():
        problems += check_faq(faq)
    return problems


def content_notes(content_dir: Path) -> list[str]:
    """Return what is worth an admin's attention in valid content but is not a problem."""
    try:
        lexicon = load_lexicon(content_dir / "states" / "safety" / "lexicon.yaml")
    except (LexiconInvalid, OSError):
        return []  # check_content reports it
    note = weights_note(lexicon)
    return [note] if note else []
