"""The command line as an admin meets it: bad settings and an unusable store, one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from yorisoi.config import REPO_ROOT


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "YORISOI_"))}
    clean.update({"YORISOI_VAR_DIR": str(tmp_path / "var"), **env})
    return subprocess.run(
        [sys.executable, "-m", "yorisoi", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=clean,
        timeout=60,
    )


def test_a_bad_setting_stops_serve_with_one_line(tmp_path: Path) -> None:
    done = run(["serve"], tmp_path, PORT="not-a-port")
    assert done.returncode == 2
    assert (
        done.stderr.strip().startswith("yorisoi: PORT:")
        and len(done.stderr.strip().splitlines()) == 1
    )


def test_an_unusable_store_stops_serve_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    done = run(["serve"], tmp_path, YORISOI_DATABASE_URL=f"sqlite:///{tmp_path}/file/db.sqlite3")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("yorisoi: YORISOI_DATABASE_URL: cannot open the store")
