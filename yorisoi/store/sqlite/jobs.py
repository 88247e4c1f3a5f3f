"""The timed-jobs role on SQLite: scheduling once per key, claiming due jobs under a lease."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from yorisoi.clock import to_ms
from yorisoi.store.records import Job, JobStatus
from yorisoi.store.shaping import dumps
from yorisoi.store.sqlite.connection import SQLiteBase
from yorisoi.store.sqlite.rows import job_from


class SQLiteJobs(SQLiteBase):
    """Durable timed jobs."""

    async def schedule_job(self, job: Job) -> bool:
        """Insert a job unless a live job has the same key."""
        return await self._tx(lambda db: insert_job(db, job))

    async def claim_due_jobs(
        self, now: datetime, owner: str, lease_until: datetime, limit: int = 20
    ) -> list[Job]:
        """Claim due jobs with a lease."""
        now_ms = to_ms(now)

        def run(db: sqlite3.Connection) -> list[Job]:
            cur = db.execute(
                "UPDATE jobs SET status = 'running', lease_owner = ?, lease_until_ms = ?, "
                "attempts = attempts + 1 WHERE id IN (SELECT id FROM jobs WHERE "
                "(status = 'pending' AND due_ms <= ?) OR (status = 'running' AND lease_until_ms <= ?) "
                "ORDER BY due_ms LIMIT ?) RETURNING *",
                (owner, to_ms(lease_until), now_ms, now_ms, limit),
            )
            rows = cur.fetchall()
            return sorted((job_from(r) for r in rows), key=lambda j: j.due_at)

        return await self._tx(run)

    async def finish_job(self, job_id: str, status: JobStatus, error: str | None = None) -> None:
        """Mark a job done or failed."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE jobs SET status = ?, last_error = ?, lease_owner = NULL, "
                "lease_until_ms = NULL WHERE id = ?",
                (str(status), error, job_id),
            )

        await self._tx(run)

    async def retry_job(self, job_id: str, due_at: datetime, error: str) -> None:
        """Put a job back as pending."""

        def run(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE jobs SET status = 'pending', due_ms = ?, last_error = ?, "
                "lease_owner = NULL, lease_until_ms = NULL WHERE id = ?",
                (to_ms(due_at), error, job_id),
            )

        await self._tx(run)


def insert_job(db: sqlite3.Connection, job: Job) -> bool:
    """Insert a job unless its id exists or a live job holds its key; True if inserted."""
    cur = db.execute(
        "INSERT INTO jobs (id, kind, due_ms, payload, key, status, attempts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (job.id, job.kind, to_ms(job.due_at), dumps(job.payload), job.key, str(job.status), 0),
    )
    return cur.rowcount == 1
