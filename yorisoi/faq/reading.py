"""Reading the FAQ folder's files: UTF-8 text, and files whose one top-level key is a list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yorisoi.yamlcheck import (
    ContentProblem,
    Problems,
    as_list,
    read_content_file,
    read_yaml,
    top_mapping,
)

__all__ = ["read_text", "top_list"]


def read_text(path: Path) -> tuple[str, ContentProblem | None]:
    """Read a UTF-8 content file, or return the problem that stops it being read."""
    text = read_content_file(path)
    return ("", text) if isinstance(text, ContentProblem) else (text, None)


def top_list(text: str, file: str, kind: tuple[str, str, str], key: str) -> tuple[Problems, Any]:
    """Read a file whose only top-level key holds a list; return the report and that list."""
    report = Problems(file)
    data, syntax_problem = read_yaml(text, file)
    if syntax_problem is not None:
        report.found.append(syntax_problem)
        return report, None
    top = top_mapping(report, data, kind, (key,), (key,))
    if top is None or key not in top:
        return report, None
    return report, as_list(report, top[key], top.key_lines[key], key)
