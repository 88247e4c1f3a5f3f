"""Tests for `yorisoi faq match` and `yorisoi faq explain` (`yorisoi.faq.cli`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from yorisoi.faq.cli import faq_explain_main, faq_match_main

FAQ = Path(__file__).resolve().parents[2] / "faq"


def _match(text: str) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    status = faq_match_main(io.StringIO(text), out, faq_dir=FAQ)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_done_when_examples() -> None:
    status, rows = _match("保証人いないけど部屋借りれる？\nありがとう\n")
    assert status == 0
    assert [row["faq_id"] for row in rows] == ["youth.apartment", None]


def test_one_json_object_per_line_in_the_issue_shape() -> None:
    _, rows = _match("ほけんしょうない\nありがとう\n")
    for row in rows:
        assert list(row) == ["text", "faq_id", "score", "candidates"]
        assert isinstance(row["score"], float)
        assert isinstance(row["candidates"], list) and len(row["candidates"]) <= 3
        for candidate in row["candidates"]:  # type: ignore[union-attr]
            assert list(candidate) == ["faq_id", "score"]
    assert rows[0]["text"] == "ほけんしょうない"
    assert rows[0]["candidates"][0]["faq_id"] == rows[0]["faq_id"]  # type: ignore[index]


def test_every_input_line_gets_an_output_line() -> None:
    _, rows = _match("\n今夜泊まるところがない\n")
    assert rows[0] == {"text": "", "faq_id": None, "score": 0.0, "candidates": []}
    assert rows[1]["faq_id"] == "youth.housing"


def test_bad_content_is_exit_status_1_with_file_line_problems(tmp_path: Path) -> None:
    (tmp_path / "youth.yaml").write_text("entries: nope\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    status = faq_match_main(io.StringIO("x\n"), out, faq_dir=tmp_path, stderr=err)
    assert status == 1
    assert out.getvalue() == ""
    assert f"{tmp_path / 'youth.yaml'}:1: entries must be a list" in err.getvalue()


def test_explain_shows_tokens_scores_and_the_decision() -> None:
    out = io.StringIO()
    assert faq_explain_main("じそうにでんわしたらおやにばれる？", out, faq_dir=FAQ) == 0
    text = out.getvalue()
    assert "じそう → syn:児童相談所 [synonym]" in text
    assert "text for the embedding model: 児童相談所に" in text
    assert "youth.jido_soudanjo" in text
    assert "decision: youth.jido_soudanjo (answered)" in text
