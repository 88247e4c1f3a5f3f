"""`yorisoi faq match` and `yorisoi faq explain` through the real command line entry point."""

from __future__ import annotations

import io
import json

import pytest

from yorisoi.__main__ import main
from yorisoi.config import REPO_ROOT


def test_faq_match_prints_the_answer_or_null(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("保証人いないけど部屋借りれる？\nありがとう\n"))
    assert main(["faq", "match", "--content", str(REPO_ROOT)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["faq_id"] for line in lines] == ["youth.apartment", None]
    assert set(lines[0]) == {"text", "faq_id", "score", "candidates"}


def test_faq_explain_shows_the_synonym_and_the_scores(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faq", "explain", "ナマポもらえる?", "--content", str(REPO_ROOT)]) == 0
    out = capsys.readouterr().out
    assert "syn:生活保護" in out and "youth.welfare" in out
