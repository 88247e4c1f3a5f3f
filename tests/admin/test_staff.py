"""Staff accounts: argon2 hashes, input checks, and the ``yorisoi staff add`` command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from yorisoi.admin.staff import (
    StaffInputError,
    add_staff,
    ensure_demo_account,
    hash_password,
    verify,
)
from yorisoi.clock import FakeClock
from yorisoi.config import REPO_ROOT
from yorisoi.store.ports import Store
from yorisoi.store.records import AlreadyExists, StaffMember
from yorisoi.store.sqlite import SQLiteStore

PASSWORD = "correct horse battery"


def test_hashes_are_argon2id_and_verify() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert verify(hashed, PASSWORD).ok
    assert not verify(hashed, PASSWORD + "!").ok
    assert not verify("not-a-hash", PASSWORD).ok
    assert hash_password(PASSWORD) != hashed  # salted


def test_short_passwords_are_refused() -> None:
    with pytest.raises(StaffInputError, match="12 characters"):
        hash_password("short")


async def test_add_staff_checks_input_and_stores_only_the_hash(
    store: Store, clock: FakeClock
) -> None:
    member = await add_staff(store, "sato", "responder", PASSWORD, clock.now(), display_name="佐藤")
    stored = await store.staff_by_login("sato")
    assert stored == member and verify(stored.password_hash, PASSWORD).ok
    with pytest.raises(AlreadyExists):
        await add_staff(store, "sato", "admin", PASSWORD, clock.now())
    with pytest.raises(StaffInputError, match="unknown role"):
        await add_staff(store, "abe", "root", PASSWORD, clock.now())
    with pytest.raises(StaffInputError, match="login"):
        await add_staff(store, "A B", "admin", PASSWORD, clock.now())
    with pytest.raises(StaffInputError, match="display name"):
        await add_staff(store, "abe", "admin", PASSWORD, clock.now(), display_name="x" * 21)


def test_staff_add_command_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "YORISOI_"))}
    env.update(
        {
            "YORISOI_DATABASE_URL": f"sqlite:///{tmp_path}/s.sqlite3",
            "YORISOI_VAR_DIR": str(tmp_path / "var"),
        }
    )
    command = [
        sys.executable,
        "-m",
        "yorisoi",
        "staff",
        "add",
        "tanaka",
        "--role",
        "supervisor",
        "--name",
        "田中",
        "--password-stdin",
    ]

    def add() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=env,
            timeout=60,
        )

    done = add()
    assert done.returncode == 0, done.stderr
    assert "added supervisor tanaka (田中)" in done.stdout
    again = add()  # the same login a second time
    assert again.returncode == 1 and "taken" in again.stderr

    async def stored() -> StaffMember | None:
        store = await SQLiteStore.open(tmp_path / "s.sqlite3")
        try:
            return await store.staff_by_login("tanaka")
        finally:
            await store.close()

    member = asyncio.run(stored())
    assert member is not None and verify(member.password_hash, PASSWORD).ok


async def test_demo_mode_has_an_admin_account_whose_password_survives_restarts(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    login, password = await ensure_demo_account(store, tmp_path / "var", clock.now())
    assert login == "demo" and password
    member = await store.staff_by_login("demo")
    assert (
        member is not None and member.role == "admin" and verify(member.password_hash, password).ok
    )
    assert await ensure_demo_account(store, tmp_path / "var", clock.now()) == (login, password)
    assert (tmp_path / "var" / "demo_password").stat().st_mode & 0o777 == 0o600
    (tmp_path / "var" / "demo_password").unlink()  # the database outlives the file
    assert await ensure_demo_account(store, tmp_path / "var", clock.now()) == ("demo", None)
