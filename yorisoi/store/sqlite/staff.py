"""The staff role on SQLite: accounts, presence, on-duty switch and sessions."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from yorisoi.clock import from_ms, to_ms
from yorisoi.store.records import AlreadyExists, StaffMember, StaffSession
from yorisoi.store.shaping import dumps
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.rows import staff_from


class SQLiteStaff(SQLiteBase):
    """Staff members and their sessions."""

    async def add_staff(self, member: StaffMember) -> None:
        """Insert a staff member."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO staff (id, login, display_name, role, password_hash, created_ms, "
                "active, on_duty, topics) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    member.id,
                    member.login,
                    member.display_name,
                    member.role,
                    member.password_hash,
                    to_ms(member.created_at),
                    int(member.active),
                    int(member.on_duty),
                    dumps(list(member.topics)),
                ),
            )

        try:
            await self._tx(run)
        except sqlite3.IntegrityError as exc:
            raise AlreadyExists(f"staff login {member.login!r} is taken") from exc

    async def staff_by_login(self, login: str) -> StaffMember | None:
        """Return the staff member with this login."""
        rows = await self._read("SELECT * FROM staff WHERE login = ?", (login,))
        return staff_from(rows[0]) if rows else None

    async def list_staff(self) -> list[StaffMember]:
        """Return all staff by login."""
        return [staff_from(r) for r in await self._read("SELECT * FROM staff ORDER BY login")]

    async def staff_by_id(self, staff_id: str) -> StaffMember | None:
        """Return the staff member with this id."""
        rows = await self._read("SELECT * FROM staff WHERE id = ?", (staff_id,))
        return staff_from(rows[0]) if rows else None

    async def set_on_duty(self, staff_id: str, on_duty: bool) -> None:
        """Record the on-duty switch."""

        def run(db: sqlite3.Connection) -> None:
            db.execute("UPDATE staff SET on_duty = ? WHERE id = ?", (int(on_duty), staff_id))

        await self._tx(run)

    async def touch_staff(self, staff_id: str, at: datetime) -> None:
        """Record when the staff member was last present."""

        def run(db: sqlite3.Connection) -> None:
            db.execute("UPDATE staff SET last_seen_ms = ? WHERE id = ?", (to_ms(at), staff_id))

        await self._tx(run)

    async def create_session(self, session: StaffSession) -> None:
        """Insert a session (and drop expired ones while at it)."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "DELETE FROM staff_sessions WHERE expires_ms <= ?", (to_ms(session.created_at),)
            )
            db.execute(
                "INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_ms, "
                "expires_ms) VALUES (?, ?, ?, ?, ?)",
                (
                    session.token_hash,
                    session.staff_id,
                    session.csrf_token,
                    to_ms(session.created_at),
                    to_ms(session.expires_at),
                ),
            )

        await self._tx(run)

    async def get_session(self, token_hash: str, now: datetime) -> StaffSession | None:
        """Return a live session."""
        rows = await self._read(
            "SELECT * FROM staff_sessions WHERE token_hash = ? AND expires_ms > ?",
            (token_hash, to_ms(now)),
        )
        if not rows:
            return None
        r = rows[0]
        return StaffSession(
            r["token_hash"],
            r["staff_id"],
            r["csrf_token"],
            from_ms(r["created_ms"]),
            from_ms(r["expires_ms"]),
        )

    async def delete_session(self, token_hash: str) -> None:
        """Delete a session."""

        def run(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

        await self._tx(run)
