"""No import cycles inside yorisoi/ (scripts/check_imports.py), and the checker finds one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "scripts" / "check_imports.py"


def run_checker(package: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECKER), str(package)],
        capture_output=True,
        text=True,
        check=False,
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_yorisoi_has_no_import_cycles() -> None:
    result = run_checker(ROOT / "yorisoi")
    assert result.returncode == 0, result.stdout
    assert "no import cycles" in result.stdout


def test_a_cycle_through_a_late_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    write(package / "__init__.py", "")
    write(package / "a.py", "from pkg.b import thing\n")
    write(package / "b.py", "def thing():\n    from pkg import c\n    return c\n")
    write(package / "c.py", "import pkg.a\n")
    write(package / "d.py", "import pkg.a\n")  # imports into the cycle, is not part of it
    result = run_checker(package)
    assert result.returncode == 1
    assert "import cycle of 3 modules: pkg.a, pkg.b, pkg.c" in result.stdout
    assert "pkg.b (line 2) -> pkg.c" in result.stdout
    assert "pkg.d" not in result.stdout


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    write(package / "__init__.py", "")
    write(package / "a.py", "from pkg import b\n")
    write(
        package / "b.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n",
    )
    result = run_checker(package)
    assert result.returncode == 0, result.stdout


def test_an_import_through_another_package_entry_counts(tmp_path: Path) -> None:
    # pkg.one.low imports pkg.two.tools, which runs pkg/two/__init__.py first; that entry
    # imports pkg.two.top, which imports pkg.one.low back: it fails whichever comes first.
    package = tmp_path / "pkg"
    write(package / "__init__.py", "")
    write(package / "one" / "__init__.py", "")
    write(package / "one" / "low.py", "from pkg.two.tools import helper\n")
    write(package / "two" / "__init__.py", "from pkg.two.top import Top\n")
    write(package / "two" / "tools.py", "def helper(): ...\n")
    write(package / "two" / "top.py", "from pkg.one.low import helper\nclass Top: ...\n")
    result = run_checker(package)
    assert result.returncode == 1
    assert "pkg.one.low, pkg.two, pkg.two.top" in result.stdout


def test_a_package_entry_reexporting_its_modules_is_no_cycle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    write(package / "__init__.py", "from pkg.a import A\nfrom pkg.b import B\n")
    write(package / "a.py", "class A: ...\n")
    write(package / "b.py", "from pkg.a import A\nfrom . import a\nclass B(A): ...\n")
    result = run_checker(package)
    assert result.returncode == 0, result.stdout
