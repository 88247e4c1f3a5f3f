"""Content: files imported as versions, bad files refused with file:line, the running flow kept."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from yorisoi.__main__ import main
from yorisoi.clock import FakeClock
from yorisoi.config import REPO_ROOT
from yorisoi.content import ContentError, ContentLibrary
from yorisoi.store.ports import Store


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(REPO_ROOT / "states", root / "states")
    shutil.copytree(REPO_ROOT / "operators", root / "operators")
    return root


@pytest.fixture
def screening() -> Iterator[ThreadPoolExecutor]:
    """The screening thread an app owns."""
    executor = ThreadPoolExecutor(max_workers=1)
    yield executor
    executor.shutdown()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def test_files_become_versions_once(
    store: Store, clock: FakeClock, content: Path, screening: ThreadPoolExecutor
) -> None:
    library = ContentLibrary(store, clock, content, screening=screening)
    first = await library.reload()
    assert first.imported == ["default v1"] and first.active == {"default": 1}
    again = await library.reload()
    assert again.imported == [] and again.active == {"default": 1}
    edit(
        content / "states" / "default.yaml",
        "comes back here.\n    say:\n      - text: どうしますか？ 下の ボタンから えらんでください。",
        "comes back here.\n    say:\n      - text: なにを しますか？",
    )
    changed = await library.reload()
    assert changed.imported == ["default v2"] and changed.active == {"default": 2}
    assert library.engine("default").flow.states["menu"].say[0].text == "なにを しますか？"


async def test_a_bad_file_is_refused_and_the_running_flow_stays(
    store: Store, clock: FakeClock, content: Path, screening: ThreadPoolExecutor
) -> None:
    library = ContentLibrary(store, clock, content, screening=screening)
    await library.reload()
    running = library.engine("default")
    edit(content / "states" / "default.yaml", "dest: faq_search", "dest: faq_serch")
    report = await library.reload()
    assert report.active == {"default": 1}
    assert any(
        "faq_serch" in p.message and p.file.endswith("default.yaml") and p.line > 0
        for p in report.problems
    )
    assert library.engine("default") is running
    (content / "states" / "default.yaml").write_text("flow: [unclosed\n", encoding="utf-8")
    report = await library.reload()
    assert report.problems and "invalid YAML" in report.problems[0].message
    assert library.engine("default") is running


async def test_bad_hours_are_refused_and_the_running_hours_stay(
    store: Store, clock: FakeClock, content: Path, screening: ThreadPoolExecutor
) -> None:
    library = ContentLibrary(store, clock, content, screening=screening)
    await library.reload()
    running = library.hours
    edit(content / "operators" / "hours.yaml", 'mon: ["10:00-22:00"]', 'mon: ["10:00-25:00"]')
    report = await library.reload()
    assert any("hours.yaml" in p.file and p.line > 0 for p in report.problems)
    assert library.hours is running


async def test_the_default_flow_must_word_the_texts_the_code_sends(
    store: Store,
    clock: FakeClock,
    content: Path,
    capsys: pytest.CaptureFixture[str],
    screening: ThreadPoolExecutor,
) -> None:
    path = content / "states" / "default.yaml"
    text = path.read_text(encoding="utf-8")
    cut = text.index("  morning_reply:")
    path.write_text(text[:cut] + text[text.index("  no_one_yet:") :], encoding="utf-8")
    with pytest.raises(ContentError, match="missing: morning_reply"):
        await ContentLibrary(store, clock, content, screening=screening).reload()
    capsys.readouterr()
    assert main(["check", "--content", str(content)]) == 1
    assert "missing: morning_reply" in capsys.readouterr().out


async def test_starting_without_a_valid_default_flow_fails(
    store: Store, clock: FakeClock, content: Path, screening: ThreadPoolExecutor
) -> None:
    edit(content / "states" / "default.yaml", "initial: new", "initial: nwe")
    with pytest.raises(ContentError, match="initial"):
        await ContentLibrary(store, clock, content, screening=screening).reload()


def test_check_command_names_file_and_line(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--content", str(content)]) == 0
    path = content / "states" / "default.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line_no = next(i for i, line in enumerate(lines, 1) if "dest: venting" in line)
    edit(path, "dest: venting", "dest: vent_prep")
    capsys.readouterr()
    assert main(["check", "--content", str(content)]) == 1
    out = capsys.readouterr().out
    assert f"default.yaml:{line_no}: " in out and "vent_prep" in out


def test_the_shipped_content_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--content", str(REPO_ROOT)]) == 0
    # The shipped classifier was fitted with the shipped lexicon's examples: nothing to note.
    assert "note:" not in capsys.readouterr().err


def test_check_notes_classifier_weights_fitted_on_other_examples(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An admin who edits the risk examples is told a refit is due; the content stays valid."""
    edit(
        content / "states" / "safety" / "lexicon.yaml",
        "    - 練炭を買った\n",
        "    - 練炭を買った\n    - 今夜で全部おしまいにする\n",
    )
    assert main(["check", "--content", str(content)]) == 0
    err = capsys.readouterr().err
    assert "note: " in err and "classifier.npz: fitted on other examples" in err
    assert "bench/risk_classifier_fit.py" in err


def test_check_command_validates_service_hours(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    operators = content / "operators"
    (operators / "hours.yaml").write_text(
        'timezone: Asia/Tokyo\nweekly:\n  mon: ["10:00-25:00"]\npublic_holidays: closed\n',
        encoding="utf-8",
    )
    assert main(["check", "--content", str(content)]) == 1
    assert "hours.yaml:3: " in capsys.readouterr().out


def test_check_command_validates_faq_synonyms(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    faq = content / "faq"
    faq.mkdir()
    (faq / "synonyms.yaml").write_text(
        "synonyms:\n  - [旦那, 夫]\n  - [夫, 主人]\n", encoding="utf-8"
    )
    assert main(["check", "--content", str(content)]) == 1
    assert "synonyms.yaml:3: " in capsys.readouterr().out
