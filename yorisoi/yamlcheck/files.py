"""Validating a whole content file: read it, parse it, let a builder check it.

Every content loader (flows, hours, shifts, the FAQ, the catalog, crisis contacts and texts,
the lexicon) goes through `validate_content`, `load_content` or `check_content_file`, so a
file that cannot be read, is not UTF-8, or is not YAML is reported the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from yorisoi.yamlcheck.problems import ContentInvalid, ContentProblem
from yorisoi.yamlcheck.reading import read_content_file, read_yaml
from yorisoi.yamlcheck.values import Problems

__all__ = ["check_content_file", "load_content", "validate_content"]

T = TypeVar("T")


def validate_content(
    text: str, file: str, build: Callable[[Problems, Any], T | None]
) -> tuple[T | None, list[ContentProblem]]:
    """Parse the YAML `text` of `file` and let `build` check it; return the result or None,
    with every problem (a syntax error alone, or all that `build` reported)."""
    data, syntax_problem = read_yaml(text, file)
    if syntax_problem is not None:
        return None, [syntax_problem]
    report = Problems(file)
    built = build(report, data)
    return (built if not report.found else None), report.in_order()


def load_content(
    source: Path | tuple[str, str],
    build: Callable[[Problems, Any], T | None],
    invalid: type[ContentInvalid],
) -> T:
    """Read (a path) or take (text, file), validate with `build`, and return the result;
    raise `invalid` with every problem otherwise."""
    if isinstance(source, Path):
        text = read_content_file(source)
        if isinstance(text, ContentProblem):
            raise invalid([text])
        source = (text, str(source))
    built, problems = validate_content(*source, build)
    if built is None:
        raise invalid(problems)
    return built


def check_content_file(path: Path, build: Callable[[Problems, Any], Any]) -> list[ContentProblem]:
    """Return every problem of the content file at `path`; empty when it is valid."""
    text = read_content_file(path)
    if isinstance(text, ContentProblem):
        return [text]
    return validate_content(text, str(path), build)[1]
