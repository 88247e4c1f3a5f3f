"""The ``yorisoi risk`` command as an admin runs it: lines in, JSON lines out."""

from __future__ import annotations

import json
import subprocess
import sys

from yorisoi.config import REPO_ROOT


def test_risk_command_prints_one_json_line_per_message() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "yorisoi", "risk"],
        input="死にたい\n死ぬほど笑った\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["text"], r["level"]) for r in lines] == [
        ("死にたい", "high"),
        ("死ぬほど笑った", "none"),
    ]
    assert lines[0]["reasons"]
